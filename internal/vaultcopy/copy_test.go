package vaultcopy_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"iter"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/tunesafe/tunesafe/internal/auditlog"
	"github.com/tunesafe/tunesafe/internal/s3test"
	"github.com/tunesafe/tunesafe/internal/store"
	"github.com/tunesafe/tunesafe/internal/store/folder"
	"github.com/tunesafe/tunesafe/internal/store/memstore"
	"github.com/tunesafe/tunesafe/internal/store/s3store"
	"github.com/tunesafe/tunesafe/internal/vaultcopy"
)

func TestMain(m *testing.M) { s3test.Main(m) }

// source is a vault-like store whose writes go through a log.
type source struct {
	t   *testing.T
	raw *memstore.Store
	log *auditlog.Log
	st  store.Store
}

func newSource(t *testing.T, id string) *source {
	raw := new(memstore.Store)
	l := auditlog.TestLog(t, raw)
	s := &source{t: t, raw: raw, log: l, st: auditlog.Wrap(raw, l)}
	s.put("tunesafe.json", `{"id":"`+id+`"}`)
	s.put("FORMAT.md", "how to read this vault")
	s.put("keys/k1", "sealed key")
	return s
}

func (s *source) put(key, content string) {
	s.t.Helper()
	if err := s.st.Put(s.t.Context(), key, []byte(content)); err != nil {
		s.t.Fatal(err)
	}
}

func (s *source) del(key string) {
	s.t.Helper()
	ctx := auditlog.WithReason(s.t.Context(), "prune", "test")
	if err := s.st.Delete(ctx, key); err != nil {
		s.t.Fatal(err)
	}
}

func (s *source) flush() {
	s.t.Helper()
	if err := s.log.Flush(s.t.Context()); err != nil {
		s.t.Fatal(err)
	}
}

// content writes n blobs and a snapshot naming them, and publishes the log.
func (s *source) content(tag string, n int) {
	for i := range n {
		s.put(fmt.Sprintf("blobs/%02x/%s-%d", i, tag, i), strings.Repeat(tag, 100+i))
	}
	s.put("trees/"+tag, "tree "+tag)
	s.put("snapshots/"+tag, "snapshot "+tag)
	s.flush()
}

func (s *source) copyTo(t *testing.T, dest store.Store) (vaultcopy.Result, error) {
	t.Helper()
	return vaultcopy.Copy(t.Context(), vaultcopy.Options{Source: s.raw, SourceName: s.raw.String(), Dest: dest, Log: s.log, Workers: 3})
}

func objects(t *testing.T, s store.Store) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	for info, err := range s.List(t.Context(), "") {
		if err != nil {
			t.Fatal(err)
		}
		b, err := store.ReadAll(t.Context(), s, info.Key)
		if err != nil {
			t.Fatal(err)
		}
		out[info.Key] = b
	}
	return out
}

// sameObjects fails unless dest holds exactly what the source holds, and
// the replica's mark.
func sameObjects(t *testing.T, src, dest store.Store) {
	t.Helper()
	a, b := objects(t, src), objects(t, dest)
	m, ok, err := vaultcopy.ReadMarker(t.Context(), dest)
	if err != nil || !ok || m.Of != src.String() {
		t.Fatalf("replica mark: %+v %v %v", m, ok, err)
	}
	delete(b, vaultcopy.ReplicaKey)
	if !maps.EqualFunc(a, b, bytes.Equal) {
		ka, kb := slices.Sorted(maps.Keys(a)), slices.Sorted(maps.Keys(b))
		t.Fatalf("replica differs from the source:\nsource  %q\nreplica %q", ka, kb)
	}
}

// auditReplica opens the replica's log as a new computer would (read-only,
// fresh local state) and audits every object of the replica against it.
func auditReplica(t *testing.T, dest store.Store) auditlog.Report {
	t.Helper()
	_, vkey := auditlog.TestKey(t, "")
	v, err := auditlog.NewVerifier(vkey)
	if err != nil {
		t.Fatal(err)
	}
	l, err := auditlog.Open(t.Context(), auditlog.Options{Store: dest, Verifier: v, StateDir: t.TempDir()})
	if err != nil {
		t.Fatalf("open the replica's log: %v", err)
	}
	defer l.Close(context.Background())
	rep, err := auditlog.Audit(t.Context(), l, dest, auditlog.AuditOptions{Deep: true})
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Clean() {
		t.Fatalf("audit of the replica: %+v %+v", rep.Counts, rep.Findings)
	}
	return rep
}

// destinations are the stores a replica can live in.
func destinations(t *testing.T) map[string]func(t *testing.T) store.Store {
	return map[string]func(t *testing.T) store.Store{
		"memory": func(t *testing.T) store.Store { return new(memstore.Store) },
		"folder": func(t *testing.T) store.Store {
			s, err := folder.New(filepath.Join(t.TempDir(), "replica"))
			if err != nil {
				t.Fatal(err)
			}
			return s
		},
		"s3": func(t *testing.T) store.Store {
			cfg := s3test.NewBucket(t)
			cfg.Prefix = "replica"
			s, err := s3store.New(t.Context(), cfg)
			if err != nil {
				t.Fatal(err)
			}
			return s
		},
	}
}

// TestCopy follows a replica through a vault's life: the first copy, a
// copy with nothing new, one after new content and a prune, on every kind
// of store.
func TestCopy(t *testing.T) {
	for name, newDest := range destinations(t) {
		t.Run(name, func(t *testing.T) {
			src := newSource(t, "v1")
			src.content("a", 12)
			dest := newDest(t)

			res, err := src.copyTo(t, dest)
			if err != nil {
				t.Fatal(err)
			}
			all := int64(len(objects(t, src.raw)))
			logObjects := int64(len(objects(t, logOnly{src.raw})))
			if !res.Complete || res.Copied != all-logObjects || res.Present != 0 || res.Deleted != 0 || res.Records != src.log.Size() {
				t.Fatalf("first copy: %+v (source: %d objects, %d of them the log's, %d records)", res, all, logObjects, src.log.Size())
			}
			sameObjects(t, src.raw, dest)
			auditReplica(t, dest)

			res, err = src.copyTo(t, dest)
			if err != nil {
				t.Fatal(err)
			}
			if res.Copied != 0 || res.Present != all-logObjects || !res.Complete {
				t.Fatalf("copy with nothing new: %+v", res)
			}

			src.content("b", 3)
			src.del("blobs/00/a-0")
			src.del("snapshots/a")
			src.flush()
			res, err = src.copyTo(t, dest)
			if err != nil {
				t.Fatal(err)
			}
			if res.Copied != 5 || res.Deleted != 2 || !res.Complete || res.Records != src.log.Size() {
				t.Fatalf("copy after new content and a prune: %+v", res)
			}
			sameObjects(t, src.raw, dest)
			auditReplica(t, dest)
		})
	}
}

// logOnly is a store seen through its log/ objects only.
type logOnly struct{ store.Store }

func (s logOnly) List(ctx context.Context, prefix string) iter.Seq2[store.Info, error] {
	return s.Store.List(ctx, auditlog.Prefix+strings.TrimPrefix(prefix, auditlog.Prefix))
}

// TestCopyDoesNotSpreadDamage: objects the source's provider lost or
// corrupted are reported and not copied, and the replica's log stays
// behind until the source is repaired.
func TestCopyDoesNotSpreadDamage(t *testing.T) {
	src := newSource(t, "v1")
	src.content("a", 6)
	good := objects(t, src.raw)
	ctx := t.Context()
	src.raw.Put(ctx, "blobs/01/a-1", []byte("bit rot")) // behind the log's back
	src.raw.Delete(ctx, "blobs/02/a-2")
	dest := new(memstore.Store)

	res, err := src.copyTo(t, dest)
	if err != nil {
		t.Fatal(err)
	}
	want := []vaultcopy.Problem{{Key: "blobs/01/a-1", Kind: "differs"}, {Key: "blobs/02/a-2", Kind: "missing"}}
	slices.SortFunc(res.Problems, func(a, b vaultcopy.Problem) int { return strings.Compare(a.Key, b.Key) })
	if !slices.Equal(res.Problems, want) || res.Complete || res.Records != 0 {
		t.Fatalf("copy of a damaged source: %+v", res)
	}
	got := objects(t, dest)
	if _, ok := got["blobs/01/a-1"]; ok {
		t.Error("the corrupted object was copied")
	}
	if _, ok := got[auditlog.CheckpointKey]; ok {
		t.Error("the replica's log moved on although objects are missing")
	}

	// Repaired, the source copies completely, sending only what is left.
	src.raw.Put(ctx, "blobs/01/a-1", good["blobs/01/a-1"])
	src.raw.Put(ctx, "blobs/02/a-2", good["blobs/02/a-2"])
	res, err = src.copyTo(t, dest)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Complete || res.Copied != 2 || len(res.Problems) != 0 {
		t.Fatalf("copy after repair: %+v", res)
	}
	sameObjects(t, src.raw, dest)
	auditReplica(t, dest)
}

// TestCopyProgress: the objects copied never exceed the total, the
// vault's tunesafe.json included, and the last report has them equal, also
// when damaged objects and objects already in the replica leave the total.
func TestCopyProgress(t *testing.T) {
	src := newSource(t, "v1")
	src.content("a", 6)
	ctx := t.Context()
	dest := new(memstore.Store)
	copyWithProgress := func(what string) (vaultcopy.Result, vaultcopy.Progress) {
		t.Helper()
		var last vaultcopy.Progress
		reports := 0
		res, err := vaultcopy.Copy(ctx, vaultcopy.Options{Source: src.raw, SourceName: src.raw.String(), Dest: dest, Log: src.log, Workers: 3,
			Progress: func(p vaultcopy.Progress) {
				reports++
				if p.Objects > p.TotalObjects || p.Bytes > p.TotalBytes || p.Objects < last.Objects {
					t.Errorf("%s: progress %+v after %+v", what, p, last)
				}
				last = p
			}})
		if err != nil {
			t.Fatal(err)
		}
		if reports > 0 && (last.Objects != last.TotalObjects || last.Bytes != last.TotalBytes || last.Objects != res.Copied || last.Bytes != res.CopiedBytes) {
			t.Errorf("%s: last progress %+v, result %+v", what, last, res)
		}
		return res, last
	}

	good := objects(t, src.raw)
	src.raw.Put(ctx, "blobs/01/a-1", []byte("bit rot")) // behind the log's back
	src.raw.Delete(ctx, "blobs/02/a-2")
	if res, last := copyWithProgress("first copy, damaged"); res.Copied == 0 || len(res.Problems) != 2 || last.TotalObjects != res.Copied {
		t.Fatalf("first copy: %+v, progress %+v", res, last)
	}
	src.raw.Put(ctx, "blobs/01/a-1", good["blobs/01/a-1"])
	src.raw.Put(ctx, "blobs/02/a-2", good["blobs/02/a-2"])
	if res, last := copyWithProgress("copy after repair"); res.Copied != 2 || last.TotalObjects != 2 {
		t.Fatalf("copy after repair: %+v, progress %+v", res, last)
	}
}

// TestCopyRefuses: a destination holding another vault, unrelated objects,
// or a replica written to directly is refused, untouched.
func TestCopyRefuses(t *testing.T) {
	src := newSource(t, "v1")
	src.content("a", 2)

	other := newSource(t, "v2")
	other.content("x", 1)
	otherDest := new(memstore.Store)
	if _, err := other.copyTo(t, otherDest); err != nil {
		t.Fatal(err)
	}
	unrelated := new(memstore.Store)
	unrelated.Put(t.Context(), "photos/cat.jpg", []byte("meow"))

	diverged := new(memstore.Store)
	if _, err := src.copyTo(t, diverged); err != nil {
		t.Fatal(err)
	}
	// A backup straight into the replica: its log gets a record of its own.
	skey, _ := auditlog.TestKey(t, "")
	signer, verifier, err := auditlog.NewSigner(skey)
	if err != nil {
		t.Fatal(err)
	}
	dl, err := auditlog.Open(t.Context(), auditlog.Options{Store: diverged, Signer: signer, Verifier: verifier, StateDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if err := auditlog.Wrap(diverged, dl).Put(t.Context(), "blobs/ff/own", []byte("written to the replica")); err != nil {
		t.Fatal(err)
	}
	if err := dl.Close(t.Context()); err != nil {
		t.Fatal(err)
	}
	src.content("b", 1)

	for name, tc := range map[string]struct {
		dest store.Store
		want error
	}{
		"another vault":    {otherDest, vaultcopy.ErrOtherVault},
		"unrelated":        {unrelated, vaultcopy.ErrNotEmpty},
		"written directly": {diverged, vaultcopy.ErrDiverged},
	} {
		t.Run(name, func(t *testing.T) {
			before := objects(t, tc.dest)
			_, err := src.copyTo(t, tc.dest)
			if !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
			if after := objects(t, tc.dest); !maps.EqualFunc(before, after, bytes.Equal) {
				t.Error("the refused destination was changed")
			}
		})
	}
}

// failingStore fails every Put after the first n.
type failingStore struct {
	store.Store
	n, puts atomic.Int64
}

var errCut = errors.New("line cut")

func (s *failingStore) Put(ctx context.Context, key string, data []byte) error {
	if s.n.Load() >= 0 && s.puts.Load() >= s.n.Load() {
		return store.Transient(store.KindUnreachable, errCut)
	}
	s.puts.Add(1)
	return s.Store.Put(ctx, key, data)
}

// TestCopyResumes: an interrupted copy leaves the replica consistent and
// the next one sends only what is missing.
func TestCopyResumes(t *testing.T) {
	src := newSource(t, "v1")
	src.content("a", 20)
	dest := &failingStore{Store: new(memstore.Store)}
	dest.n.Store(9)
	if _, err := vaultcopy.Copy(t.Context(), vaultcopy.Options{Source: src.raw, SourceName: "memory", Dest: dest, Log: src.log, Workers: 1}); !errors.Is(err, errCut) {
		t.Fatalf("interrupted copy: %v", err)
	}
	if _, err := dest.Stat(t.Context(), auditlog.CheckpointKey); err == nil {
		t.Fatal("an interrupted copy published the log")
	}
	dest.n.Store(-1)
	res, err := vaultcopy.Copy(t.Context(), vaultcopy.Options{Source: src.raw, SourceName: "memory", Dest: dest, Log: src.log})
	if err != nil {
		t.Fatal(err)
	}
	// The nine PUTs were tunesafe.json, the replica's mark and 7 objects.
	data := int64(len(objects(t, src.raw)) - len(objects(t, logOnly{src.raw})))
	if res.Present != 8 || res.Copied != data-8 || !res.Complete {
		t.Fatalf("resumed copy: %+v, want 8 present and %d copied", res, data-8)
	}
	sameObjects(t, src.raw, dest.Store)
	auditReplica(t, dest.Store)
}

// TestCopyRunningBackup: a lock refreshed on the source since the log's
// checkpoint (a backup is running there) holds the replica's log back
// without being an error.
func TestCopyRunningBackup(t *testing.T) {
	src := newSource(t, "v1")
	src.content("a", 2)
	src.put("locks/backup-1", `{"refreshed":"10:00"}`)
	src.flush()
	src.put("locks/backup-1", `{"refreshed":"10:05"}`) // not yet published
	dest := new(memstore.Store)
	res, err := src.copyTo(t, dest)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Problems) != 0 || len(res.Pending) != 1 || res.Pending[0].Key != "locks/backup-1" || res.Complete {
		t.Fatalf("copy during a backup: %+v", res)
	}
	src.del("locks/backup-1")
	src.flush()
	if res, err = src.copyTo(t, dest); err != nil || !res.Complete {
		t.Fatalf("copy after the backup: %+v %v", res, err)
	}
	sameObjects(t, src.raw, dest)
	auditReplica(t, dest)
}

// noWrites is a store that fails the test on any write.
type noWrites struct {
	store.Store
	t *testing.T
}

func (s noWrites) Put(_ context.Context, key string, _ []byte) error {
	s.t.Errorf("wrote %s", key)
	return errors.New("no writes")
}

func (s noWrites) Delete(_ context.Context, key string) error {
	s.t.Errorf("deleted %s", key)
	return errors.New("no writes")
}

// Current tells, reading only, that a replica holds everything: even when
// the source's log has grown since by records of locks alone, as by the
// lock of the copy that made the replica. Any other record, a missing
// object or one to delete makes a copy due.
func TestCurrent(t *testing.T) {
	for name, newDest := range destinations(t) {
		t.Run(name, func(t *testing.T) {
			src := newSource(t, "v1")
			src.content("a", 4)
			dest := newDest(t)
			current := func() (vaultcopy.Result, bool) {
				t.Helper()
				res, ok, err := vaultcopy.Current(t.Context(), vaultcopy.Options{Source: noWrites{src.raw, t}, SourceName: src.raw.String(), Dest: noWrites{dest, t}, Log: src.log})
				if err != nil {
					t.Fatal(err)
				}
				return res, ok
			}
			if _, ok := current(); ok {
				t.Fatal("an empty replica is current")
			}
			if _, err := src.copyTo(t, dest); err != nil {
				t.Fatal(err)
			}
			records := src.log.Size()
			res, ok := current()
			if !ok || !res.Complete || !res.Current || res.Records != records || res.Copied != 0 {
				t.Fatalf("after a copy: %v %+v", ok, res)
			}
			// A lock taken and released, then a lock still held.
			src.put("locks/copy-1", "lock")
			src.del("locks/copy-1")
			src.flush()
			if res, ok := current(); !ok || res.Records != records {
				t.Fatalf("after a released lock: %v %+v (log %d records, replica %d)", ok, res, src.log.Size(), records)
			}
			src.put("locks/backup-2", "lock")
			src.flush()
			if _, ok := current(); ok {
				t.Fatal("a held lock is not in the replica, yet it is current")
			}
			src.del("locks/backup-2")
			src.flush()
			if _, ok := current(); !ok {
				t.Fatal("after the lock's release: not current")
			}
			// A new object, a deleted one, a lost one in the replica.
			for what, change := range map[string]func(){
				"new":     func() { src.put("blobs/ff/new", "new") },
				"deleted": func() { src.del("blobs/00/a-0") },
				"lost":    func() { dest.Delete(t.Context(), "blobs/01/a-1") },
			} {
				change()
				src.flush()
				if _, ok := current(); ok {
					t.Fatalf("%s: current", what)
				}
				if _, err := src.copyTo(t, dest); err != nil {
					t.Fatal(err)
				}
				if _, ok := current(); !ok {
					t.Fatalf("%s: not current after a copy", what)
				}
			}
			// A record of no object (a verify) leaves the replica current.
			if err := src.log.Append(auditlog.Verify{Mode: "quick"}); err != nil {
				t.Fatal(err)
			}
			src.flush()
			if _, ok := current(); !ok {
				t.Fatal("after a verify record: not current")
			}
		})
	}
}
