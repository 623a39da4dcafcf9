package auditlog

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/tunesafe/tunesafe/internal/store"
)

// resetReads zeroes the count of entries objects downloaded.
func (s *slowEntriesStore) resetReads() {
	s.mu.Lock()
	s.reads, s.most = 0, 0
	s.mu.Unlock()
}

func (s *slowEntriesStore) readCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.reads
}

// countEntries reads the whole log with Entries and returns how many
// records it had.
func countEntries(t *testing.T, l *Log) int {
	t.Helper()
	return len(entries(t, l))
}

// TestEntriesFromLocalCopy: entries objects this computer published are
// read from its local copy; FreshEntries downloads them all.
func TestEntriesFromLocalCopy(t *testing.T) {
	const n = 20
	_, slow, l := manySegments(t, n)
	slow.delay.Store(0)
	slow.resetReads()
	if got := countEntries(t, l); got != n {
		t.Fatalf("%d entries, want %d", got, n)
	}
	if r := slow.readCount(); r != 0 {
		t.Fatalf("Entries downloaded %d entries objects this computer published", r)
	}
	for _, err := range l.FreshEntries(t.Context()) {
		if err != nil {
			t.Fatal(err)
		}
	}
	if r := slow.readCount(); r != n {
		t.Fatalf("FreshEntries downloaded %d entries objects, want %d", r, n)
	}
}

// TestEntriesDamagedLocalCopy: a local copy that no longer hashes to what
// state.json says, or that is gone, is downloaded again and replaced; the
// records are the vault's.
func TestEntriesDamagedLocalCopy(t *testing.T) {
	const n = 10
	f, slow, l := manySegments(t, n)
	slow.delay.Store(0)
	damaged := l.segmentCachePath(3, 1)
	b, err := os.ReadFile(damaged)
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)/2] ^= 0x20
	if err := os.WriteFile(damaged, b, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(l.segmentCachePath(7, 1)); err != nil {
		t.Fatal(err)
	}
	slow.resetReads()
	es := entries(t, l)
	if len(es) != n || es[3].Record.(Put).Key != "blobs/003" || es[7].Record.(Put).Key != "blobs/007" {
		t.Fatalf("entries %+v", es)
	}
	if r := slow.readCount(); r != 2 {
		t.Fatalf("%d entries objects downloaded, want the 2 whose local copy was damaged or gone", r)
	}
	// Both are whole again.
	slow.resetReads()
	countEntries(t, l)
	if r := slow.readCount(); r != 0 {
		t.Fatalf("%d entries objects downloaded after the local copy was restored", r)
	}
	want, _ := os.ReadFile(filepath.Join(f.dir, entriesCacheDir, filepath.Base(segmentKey(3, 1))))
	stored, err := store.ReadAll(t.Context(), f.mem, segmentKey(3, 1))
	if err != nil {
		t.Fatal(err)
	}
	if string(stored) != string(want) {
		t.Fatal("the local copy differs from the stored entries object")
	}
}

// TestCatchUpKeepsLocalCopy: a computer that catches up with the log keeps
// what it downloaded, and reads it locally afterwards.
func TestCatchUpKeepsLocalCopy(t *testing.T) {
	const n = 12
	f, slow, _ := manySegments(t, n)
	slow.delay.Store(0)
	other := *f
	other.dir = t.TempDir()
	slow.resetReads()
	l := other.open()
	if r := slow.readCount(); r != n {
		t.Fatalf("catching up downloaded %d entries objects, want %d", r, n)
	}
	slow.resetReads()
	if got := countEntries(t, l); got != n {
		t.Fatalf("%d entries", got)
	}
	if r := slow.readCount(); r != 0 {
		t.Fatalf("%d entries objects downloaded again after catching up", r)
	}
}

// TestAuditReadsLogByDepth: a quick audit replays the log from the local
// copy, a deep one downloads every entries object, and finds one the
// provider lost.
func TestAuditReadsLogByDepth(t *testing.T) {
	const n = 8
	f, slow, l := manySegments(t, n)
	slow.delay.Store(0)
	l.flushEvery = -1
	slow.resetReads()
	rep, err := Audit(t.Context(), l, f.mem, AuditOptions{})
	if err != nil || rep.Records != n {
		t.Fatalf("quick audit: %v, %d records", err, rep.Records)
	}
	if r := slow.readCount(); r != 0 {
		t.Fatalf("a quick audit downloaded %d entries objects", r)
	}
	// The verify records the audits publish are read back too.
	slow.resetReads()
	want := len(l.Published().Entries)
	rep, err = Audit(t.Context(), l, f.mem, AuditOptions{Deep: true})
	if err != nil || !rep.Complete {
		t.Fatalf("deep audit: %v, %+v", err, rep)
	}
	if r := slow.readCount(); r != want {
		t.Fatalf("a deep audit downloaded %d entries objects, want all %d", r, want)
	}
	slow.missing = segmentKey(5, 1)
	rep, err = Audit(t.Context(), l, f.mem, AuditOptions{Deep: true})
	if err != nil || rep.Complete || rep.Counts.Tampered != 1 {
		t.Fatalf("deep audit of a log missing an entries object: %v, %+v", err, rep.Counts)
	}
}
