package auditlog

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/tunesafe/tunesafe/internal/store"
)

func TestAppendFlushReopen(t *testing.T) {
	f := newFixture(t)
	l := f.open()
	if l.Size() != 0 || l.Checkpoint() != nil {
		t.Fatalf("new log: size %d, checkpoint %q", l.Size(), l.Checkpoint())
	}
	s := Wrap(f.store, l)
	put(t, s, "blobs/aa", "one")
	put(t, s, "blobs/bb", "two")
	put(t, s, "index/1", "three")
	del(t, s, "blobs/aa")
	if err := l.Append(Snapshot{ID: "s1", Tree: "t1"}); err != nil {
		t.Fatal(err)
	}
	if n := l.Pending(); n != 5 {
		t.Fatalf("Pending = %d, want 5", n)
	}
	flush(t, l)
	if l.Size() != 5 || l.Pending() != 0 {
		t.Fatalf("after flush: size %d, pending %d", l.Size(), l.Pending())
	}
	want := []string{"put blobs/aa ok", "put blobs/bb ok", "put index/1 ok", "delete blobs/aa ok", "snapshot s1"}
	if got := keysOf(entries(t, l)); !slices.Equal(got, want) {
		t.Fatalf("entries %q, want %q", got, want)
	}
	cp := l.Checkpoint()
	if err := l.Close(t.Context()); err != nil {
		t.Fatal(err)
	}

	l = f.open()
	if l.Size() != 5 || string(l.Checkpoint()) != string(cp) {
		t.Fatalf("reopened: size %d", l.Size())
	}
	if got := keysOf(entries(t, l)); !slices.Equal(got, want) {
		t.Fatalf("reopened entries %q", got)
	}
	s = Wrap(f.store, l)
	put(t, s, "blobs/cc", "four")
	flush(t, l)
	flush(t, l) // nothing to do
	var keys []string
	for info, err := range f.store.List(t.Context(), "log/entries/") {
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, info.Key)
	}
	if want := []string{"log/entries/000000000000-5", "log/entries/000000000005-1"}; !slices.Equal(keys, want) {
		t.Fatalf("entries objects %q, want %q", keys, want)
	}
	if _, err := f.store.Stat(t.Context(), "log/checkpoints/000000000006"); err != nil {
		t.Fatal(err)
	}
}

func TestRecordsFromAnotherComputer(t *testing.T) {
	f := newFixture(t)
	a := f.open()
	put(t, Wrap(f.store, a), "blobs/aa", "one")
	flush(t, a)

	g := *f
	g.dir = t.TempDir()
	b := g.open()
	if b.Size() != 1 {
		t.Fatalf("second computer sees %d records", b.Size())
	}
	put(t, Wrap(f.store, b), "blobs/bb", "two")
	flush(t, b)

	// a catches up when it flushes next, and its record goes after b's.
	put(t, Wrap(f.store, a), "blobs/cc", "three")
	flush(t, a)
	want := []string{"put blobs/aa ok", "put blobs/bb ok", "put blobs/cc ok"}
	for _, l := range []*Log{a, b} {
		if l == b {
			if err := b.Verify(t.Context()); err != nil {
				t.Fatal(err)
			}
		}
		if got := keysOf(entries(t, l)); !slices.Equal(got, want) {
			t.Fatalf("entries %q, want %q", got, want)
		}
	}
}

func TestFailedFlushIsRetried(t *testing.T) {
	f := newFixture(t)
	fs := &faultStore{Store: f.mem}
	f.store = fs
	l := f.open()
	s := Wrap(fs, l)
	put(t, s, "blobs/aa", "one")
	put(t, s, "blobs/bb", "two")
	fs.setFail(func(op, key string) bool { return op == "put" && key == checkpointKey })
	if err := l.Flush(t.Context()); !errors.Is(err, errInjected) {
		t.Fatalf("Flush = %v, want the injected failure", err)
	}
	fs.setFail(nil)
	put(t, s, "blobs/cc", "three")
	flush(t, l)
	want := []string{"put blobs/aa ok", "put blobs/bb ok", "put blobs/cc ok"}
	if got := keysOf(entries(t, l)); !slices.Equal(got, want) {
		t.Fatalf("entries %q, want %q", got, want)
	}
	// The failed flush wrote its entries and the archive's copy of its
	// checkpoint: those records are history, not leftovers, and the next
	// flush goes on from them.
	objs := snapshotLog(t, f.mem)
	for _, key := range []string{"log/entries/000000000000-2", "log/entries/000000000002-1"} {
		if _, ok := objs[key]; !ok {
			t.Errorf("%s missing; the log holds %v", key, slices.Sorted(maps.Keys(objs)))
		}
	}
	if _, err := f.tryOpen(); err != nil {
		t.Fatal(err)
	}
}

// A provider serving an old signed checkpoint as log/checkpoint to a
// computer that knows nothing yet does not make the newer history
// leftovers: the newest checkpoint of the archive wins, nothing is
// deleted, and the log reads in full.
func TestOldCheckpointServedOnFirstUse(t *testing.T) {
	f := newFixture(t)
	l := f.open()
	s := Wrap(f.store, l)
	put(t, s, "blobs/aa", "one")
	flush(t, l)
	old, _ := store.ReadAll(t.Context(), f.mem, checkpointKey)
	put(t, s, "blobs/bb", "two")
	flush(t, l)
	put(t, s, "blobs/cc", "three")
	flush(t, l)
	before := snapshotLog(t, f.mem)
	f.mem.Put(t.Context(), checkpointKey, old)

	g := *f
	g.dir = t.TempDir()
	other := g.open()
	if other.Size() != 3 {
		t.Fatalf("the new computer verified %d records, want 3", other.Size())
	}
	after := snapshotLog(t, f.mem)
	for key := range before {
		if _, ok := after[key]; !ok && key != checkpointKey {
			t.Errorf("%s was deleted", key)
		}
	}
}

func TestOperationRunningDuringFlush(t *testing.T) {
	f := newFixture(t)
	l := f.open()
	in, err := l.Begin(Put{Key: "blobs/slow", SHA256: sum("x"), Size: 1})
	if err != nil {
		t.Fatal(err)
	}
	put(t, Wrap(f.store, l), "blobs/fast", "y")
	flush(t, l)
	if l.Size() != 1 || l.Pending() != 1 {
		t.Fatalf("size %d pending %d, want 1 and 1", l.Size(), l.Pending())
	}
	in.Done(nil)
	in.Done(errors.New("ignored: second call"))
	flush(t, l)
	want := []string{"put blobs/fast ok", "put blobs/slow ok"}
	if got := keysOf(entries(t, l)); !slices.Equal(got, want) {
		t.Fatalf("entries %q, want %q", got, want)
	}
}

func TestConcurrentWriters(t *testing.T) {
	f := newFixture(t)
	l := f.open()
	s := Wrap(f.store, l)
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for w := range 8 {
		wg.Go(func() {
			for i := range 40 {
				if err := s.Put(t.Context(), fmt.Sprintf("blobs/%d/%d", w, i), []byte{byte(i)}); err != nil {
					errs <- err
					return
				}
				if i%10 == 9 {
					if err := l.Flush(t.Context()); err != nil {
						errs <- err
						return
					}
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	flush(t, l)
	got := keysOf(entries(t, l))
	if len(got) != 320 {
		t.Fatalf("%d entries, want 320", len(got))
	}
	slices.Sort(got)
	if len(slices.Compact(got)) != 320 {
		t.Fatal("duplicate entries")
	}
	rep, err := Audit(t.Context(), l, f.store, AuditOptions{Deep: true})
	if err != nil || !rep.Clean() || rep.Counts.OK != 320 {
		t.Fatalf("audit: %v %+v", err, rep.Counts)
	}
}

func TestCodec(t *testing.T) {
	f := newFixture(t)
	opts := f.options()
	opts.Codec = xorCodec{}
	l, err := Open(t.Context(), opts)
	if err != nil {
		t.Fatal(err)
	}
	put(t, Wrap(f.store, l), "blobs/secret-name", "x")
	if err := l.Close(t.Context()); err != nil {
		t.Fatal(err)
	}
	for key, b := range snapshotLog(t, f.store) {
		if strings.HasPrefix(key, entriesPrefix) && strings.Contains(string(b), "secret-name") {
			t.Fatalf("%s is not sealed: %s", key, b)
		}
	}
	// A second computer with the codec reads it; one without sees garbage.
	g := *f
	g.dir = t.TempDir()
	opts = g.options()
	opts.Codec = xorCodec{}
	l2, err := Open(t.Context(), opts)
	if err != nil {
		t.Fatal(err)
	}
	defer l2.release()
	if got := keysOf(entries(t, l2)); !slices.Equal(got, []string{"put blobs/secret-name ok"}) {
		t.Fatalf("entries %q", got)
	}
	g.dir = t.TempDir()
	var te *TamperError
	if _, err := g.tryOpen(); !errors.As(err, &te) || te.Kind != TamperMalformed {
		t.Fatalf("Open without the codec = %v, want a malformed-log error", err)
	}
}

func TestReadOnly(t *testing.T) {
	f := newFixture(t)
	l := f.open()
	put(t, Wrap(f.store, l), "blobs/aa", "one")
	if err := l.Close(t.Context()); err != nil {
		t.Fatal(err)
	}
	f.signer = nil
	ro := f.open()
	if !ro.ReadOnly() || ro.Size() != 1 {
		t.Fatalf("read-only log: size %d", ro.Size())
	}
	if err := Wrap(f.store, ro).Put(t.Context(), "blobs/bb", nil); !errors.Is(err, ErrReadOnly) {
		t.Fatalf("Put through a read-only log = %v", err)
	}
	rep, err := Audit(t.Context(), ro, f.store, AuditOptions{})
	if err != nil || !rep.Clean() || rep.Recorded {
		t.Fatalf("read-only audit: %v, %+v", err, rep)
	}
}

// TestUnpublished: records a run left in the journal stay there while the
// log cannot publish them, and a reader sees them through Unpublished; a
// log that can sign publishes them at Open, and none remain.
func TestUnpublished(t *testing.T) {
	f := newFixture(t)
	l := f.open()
	s := Wrap(f.store, l)
	put(t, s, "snapshots/aa", "one")
	flush(t, l)
	del(t, s, "snapshots/aa")
	if got := l.Unpublished(); len(got) != 1 || got[0].Kind() != KindDelete {
		t.Fatalf("Unpublished before the flush = %+v, want the delete", got)
	}
	l.release() // the process dies before its flush

	signer := f.signer
	f.signer = nil
	ro := f.open()
	got := ro.Unpublished()
	if len(got) != 1 {
		t.Fatalf("read-only log: Unpublished = %+v, want the delete", got)
	}
	if d, ok := got[0].(Delete); !ok || d.Key != "snapshots/aa" {
		t.Fatalf("read-only log: Unpublished = %+v, want the delete of snapshots/aa", got)
	}
	if ro.Size() != 1 {
		t.Fatalf("read-only log published: size %d", ro.Size())
	}
	ro.release()

	f.signer = signer
	rw := f.open()
	if got := rw.Unpublished(); len(got) != 0 || rw.Size() != 2 {
		t.Fatalf("writable log: Unpublished = %+v, size %d; want none, 2", got, rw.Size())
	}
}

func TestVerifyCheckpoint(t *testing.T) {
	f := newFixture(t)
	l := f.open()
	s := Wrap(f.store, l)
	put(t, s, "blobs/aa", "one")
	put(t, s, "blobs/bb", "two")
	flush(t, l)
	old := l.Checkpoint()
	for i := range 5 {
		put(t, s, fmt.Sprintf("blobs/%d", i), "more")
		flush(t, l)
	}
	if c, err := l.VerifyCheckpoint(old); err != nil || c.Size != 2 {
		t.Fatalf("VerifyCheckpoint(old) = %v, %v", c, err)
	}
	if _, err := l.VerifyCheckpoint(l.Checkpoint()); err != nil {
		t.Fatal(err)
	}

	// The same size with another history, correctly signed: a fork.
	forged := Checkpoint{Origin: l.Origin(), Size: 2, Hash: sum("other history")}
	signed, err := SignCheckpoint(forged, f.signer)
	if err != nil {
		t.Fatal(err)
	}
	wantTamper(t, "fork", func() error { _, err := l.VerifyCheckpoint(signed); return err }(), TamperForked)

	// Larger than the log: the log was cut back since.
	forged.Size = 100
	signed, _ = SignCheckpoint(forged, f.signer)
	wantTamper(t, "future", func() error { _, err := l.VerifyCheckpoint(signed); return err }(), TamperRolledBack)

	// Signed by another key.
	other, _ := TestKey(t, "other")
	os, _, _ := NewSigner(other)
	signed, _ = SignCheckpoint(Checkpoint{Origin: l.Origin(), Size: 2, Hash: l.CurrentCheckpoint().Hash}, os)
	wantTamper(t, "other key", func() error { _, err := l.VerifyCheckpoint(signed); return err }(), TamperBadSignature)
}

func wantTamper(t *testing.T, what string, err error, kind TamperKind) *TamperError {
	t.Helper()
	var te *TamperError
	if !errors.As(err, &te) {
		t.Fatalf("%s: got %v, want a *TamperError (%s)", what, err, kind)
	}
	if te.Kind != kind {
		t.Fatalf("%s: got %s (%v), want %s", what, te.Kind, te, kind)
	}
	return te
}

var _ store.Store = (*faultStore)(nil)
