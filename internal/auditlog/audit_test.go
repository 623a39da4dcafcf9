package auditlog

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"sync"
	"testing"

	"github.com/tunesafe/tunesafe/internal/store"
)

// auditFixture stores five objects through the log, deletes one through
// it, and then damages the vault behind the log's back:
//
//	blobs/lost      deleted          → Lost
//	blobs/flipped   one byte flipped → Corrupted (deep; quick only with the provider's SHA-256)
//	blobs/replaced  other content, other size → Corrupted
//	blobs/ok        untouched        → OK
//	blobs/pruned    logged DELETE    → DeletedByUser
//	blobs/foreign   never logged     → Foreign
func auditFixture(t *testing.T) (*fixture, *Log) {
	t.Helper()
	f := newFixture(t)
	l := f.open()
	s := Wrap(f.store, l)
	for _, k := range []string{"lost", "flipped", "replaced", "ok", "pruned"} {
		put(t, s, "blobs/"+k, "content of "+k)
	}
	del(t, s, "blobs/pruned")
	flush(t, l)

	ctx := t.Context()
	if err := f.mem.Delete(ctx, "blobs/lost"); err != nil {
		t.Fatal(err)
	}
	b, _ := store.ReadAll(ctx, f.mem, "blobs/flipped")
	b[3] ^= 0x01
	put(t, f.mem, "blobs/flipped", string(b))
	put(t, f.mem, "blobs/replaced", "something else entirely")
	put(t, f.mem, "blobs/foreign", "who put this here?")
	return f, l
}

func classes(rep Report) map[string]Class {
	out := map[string]Class{}
	for _, f := range rep.Findings {
		out[f.Key] = f.Class
	}
	return out
}

func TestAuditClassifies(t *testing.T) {
	want := map[string]Class{
		"blobs/lost":     Lost,
		"blobs/flipped":  Corrupted,
		"blobs/replaced": Corrupted,
		"blobs/pruned":   DeletedByUser,
		"blobs/foreign":  Foreign,
	}
	for _, tc := range []struct {
		name   string
		opts   AuditOptions
		noSums bool
		want   map[string]Class
	}{
		{"deep", AuditOptions{Deep: true}, true, want},
		{"quick with provider SHA-256", AuditOptions{}, false, want},
		{"quick, sizes only", AuditOptions{}, true, without(want, "blobs/flipped")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, l := auditFixture(t)
			var s store.Store = f.mem
			if tc.noSums {
				s = noSumStore{f.mem}
			}
			rep, err := Audit(t.Context(), l, s, tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			got := classes(rep)
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Fatalf("findings\n got %v\nwant %v", got, tc.want)
			}
			wantOK := int64(1)
			if len(tc.want) < len(want) {
				wantOK = 2 // the flipped object passes a size-only check
			}
			if rep.Counts.OK != wantOK || rep.Objects != 6 || !rep.Complete || !rep.Recorded {
				t.Fatalf("report %+v", rep)
			}
			lost := rep.Of(Lost)[0]
			if lost.Record != 0 || lost.Want.Size != int64(len("content of lost")) || lost.Host != "laptop" {
				t.Errorf("lost finding %+v", lost)
			}
			pruned := rep.Of(DeletedByUser)[0]
			if pruned.Reason != "prune" || pruned.Command != "tunesafe prune --keep-last 3" || pruned.Record != 5 || pruned.Time.IsZero() {
				t.Errorf("deleted finding %+v", pruned)
			}
			// The audit is in the log.
			es := entries(t, l)
			v, ok := es[len(es)-1].Record.(Verify)
			if !ok || v.Mode != rep.Mode || v.Failures != rep.Failures() || v.Objects != 6 {
				t.Errorf("last record %#v", es[len(es)-1].Record)
			}
		})
	}
}

func without(m map[string]Class, key string) map[string]Class {
	out := map[string]Class{}
	for k, v := range m {
		if k != key {
			out[k] = v
		}
	}
	return out
}

func TestAuditClean(t *testing.T) {
	f := newFixture(t)
	l := f.open()
	s := Wrap(f.store, l)
	for i := range 10 {
		put(t, s, fmt.Sprintf("blobs/%d", i), fmt.Sprint("data ", i))
	}
	put(t, s, "blobs/3", "overwritten") // a later PUT replaces the expected content
	del(t, s, "blobs/4")
	del(t, s, "blobs/never-existed")
	// A command's lock, taken and released: routine, not a deletion.
	put(t, s, "locks/backup-20260101T000000Z-0123", "lock")
	del(t, s, "locks/backup-20260101T000000Z-0123")
	if err := Wrap(&faultStore{Store: f.store, fail: func(string, string) bool { return true }}, l).
		Put(t.Context(), "blobs/failed", []byte("x")); err == nil {
		t.Fatal("injected failure did not fail")
	}
	for _, opts := range []AuditOptions{{}, {Deep: true}, {Sample: 0.5}} {
		rep, err := Audit(t.Context(), l, f.store, opts)
		if err != nil {
			t.Fatal(err)
		}
		if !rep.Clean() || rep.Counts.OK != 11 || rep.Counts.DeletedByUser != 2 || len(rep.Of(DeletedByUser)) != 2 {
			t.Fatalf("%+v: %+v %+v", opts, rep.Counts, rep.Findings)
		}
	}
}

// TestAuditSampleRotates: with Sample 1/4, four runs download every object
// once.
func TestAuditSampleRotates(t *testing.T) {
	f := newFixture(t)
	l := f.open()
	s := Wrap(f.store, l)
	const n = 40
	for i := range n {
		put(t, s, fmt.Sprintf("blobs/%d", i), fmt.Sprint("data ", i))
	}
	rec := &getRecorder{Store: noSumStore{f.mem}}
	seen := map[string]int{}
	for run := range 4 {
		rec.keys = nil
		rep, err := Audit(t.Context(), l, rec, AuditOptions{Sample: 0.3})
		if err != nil {
			t.Fatal(err)
		}
		if rep.Sample == nil || rep.Sample.Buckets != 3 || rep.Sample.Bucket != uint64(run%3) {
			t.Fatalf("run %d: sample %+v", run, rep.Sample)
		}
		if rep.Hashed != int64(len(rec.keys)) || rep.Downloaded != int64(len(rec.keys)) || !rep.Clean() {
			t.Fatalf("run %d: hashed %d, counted %d downloads, downloaded %d", run, rep.Hashed, rep.Downloaded, len(rec.keys))
		}
		if run < 3 {
			for _, k := range rec.keys {
				seen[k]++
			}
		}
	}
	if len(seen) != n {
		t.Fatalf("three runs of 1/3 downloaded %d of %d objects", len(seen), n)
	}
	for k, c := range seen {
		if c != 1 {
			t.Errorf("%s downloaded %d times", k, c)
		}
	}
}

// TestAuditCountsDownloads: a quick audit compares the provider's
// checksums and downloads nothing; a sampled one downloads its share, and
// Downloaded counts exactly what it read, not every hash compared.
func TestAuditCountsDownloads(t *testing.T) {
	f := newFixture(t)
	l := f.open()
	s := Wrap(f.store, l)
	const n = 30
	for i := range n {
		put(t, s, fmt.Sprintf("blobs/%d", i), fmt.Sprint("data ", i))
	}
	rec := &getRecorder{Store: &listNoSumStore{Store: f.mem}}
	quick, err := Audit(t.Context(), l, rec, AuditOptions{Checksums: true})
	if err != nil {
		t.Fatal(err)
	}
	if quick.Hashed < n || quick.Downloaded != 0 || quick.Bytes != 0 || len(rec.keys) != 0 {
		t.Fatalf("quick audit: hashed %d, downloaded %d (%d bytes), %d GETs", quick.Hashed, quick.Downloaded, quick.Bytes, len(rec.keys))
	}
	sampled, err := Audit(t.Context(), l, rec, AuditOptions{Checksums: true, Sample: 0.1})
	if err != nil {
		t.Fatal(err)
	}
	if sampled.Downloaded != int64(len(rec.keys)) || sampled.Downloaded >= sampled.Hashed || sampled.Hashed < n {
		t.Fatalf("sampled audit: hashed %d, downloaded %d, %d GETs", sampled.Hashed, sampled.Downloaded, len(rec.keys))
	}
}

type getRecorder struct {
	store.Store
	mu   sync.Mutex
	keys []string
}

func (g *getRecorder) Get(ctx context.Context, key string, off, n int64) (io.ReadCloser, error) {
	g.mu.Lock()
	g.keys = append(g.keys, key)
	g.mu.Unlock()
	return g.Store.Get(ctx, key, off, n)
}

func (g *getRecorder) String() string { return "recorder" }

func TestReportGolden(t *testing.T) {
	f, l := auditFixture(t)
	rep, err := Audit(t.Context(), l, f.mem, AuditOptions{Deep: true})
	if err != nil {
		t.Fatal(err)
	}
	var js, text bytes.Buffer
	if err := rep.WriteJSON(&js); err != nil {
		t.Fatal(err)
	}
	if err := rep.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	golden(t, "report.json.golden", js.Bytes())
	golden(t, "report.txt.golden", text.Bytes())
}

func TestStats(t *testing.T) {
	f, l := auditFixture(t)
	if err := l.Append(Snapshot{ID: "snap1", Tree: "tree1"}); err != nil {
		t.Fatal(err)
	}
	for _, opts := range []AuditOptions{{}, {Deep: true}} {
		if _, err := Audit(t.Context(), l, f.mem, opts); err != nil {
			t.Fatal(err)
		}
	}
	st, err := Stats(t.Context(), l)
	if err != nil {
		t.Fatal(err)
	}
	want := Summary{Puts: 5, Deletes: 1, Snapshots: 1, VerifyRuns: 2, Objects: 12, Failures: 6}
	got := st
	got.Checkpoint, got.Since, got.LastVerify, got.LastFailure, got.Bytes = Checkpoint{}, want.Since, want.LastVerify, want.LastFailure, 0
	if got != want {
		t.Fatalf("Stats = %+v\nwant %+v", got, want)
	}
	if st.Bytes == 0 || st.LastVerify.IsZero() || st.LastFailure != st.LastVerify || st.Since.IsZero() || st.Checkpoint.Size != 9 {
		t.Fatalf("Stats = %+v", st)
	}
}
