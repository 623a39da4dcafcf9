package auditlog

import (
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/tunesafe/tunesafe/internal/store"
	"github.com/tunesafe/tunesafe/internal/store/memstore"
)

func TestWrapDeleteNeedsReason(t *testing.T) {
	f := newFixture(t)
	l := f.open()
	s := Wrap(f.store, l)
	put(t, s, "blobs/aa", "one")
	err := s.Delete(t.Context(), "blobs/aa")
	if !errors.Is(err, ErrNoReason) || !store.IsPermanent(err) {
		t.Fatalf("Delete without a reason = %v", err)
	}
	if _, err := f.store.Stat(t.Context(), "blobs/aa"); err != nil {
		t.Fatal("the object was deleted anyway")
	}
	if l.Pending() != 1 {
		t.Fatalf("%d records pending, want only the PUT", l.Pending())
	}
	why, cmd, ok := ReasonFrom(WithReason(t.Context(), "forget", "tunesafe forget \xff"))
	if !ok || why != "forget" || cmd != "tunesafe forget \uFFFD" {
		t.Fatalf("ReasonFrom = %q %q %v", why, cmd, ok)
	}
}

func TestWrapRecordsFailures(t *testing.T) {
	f := newFixture(t)
	l := f.open()
	fs := &faultStore{Store: f.store, fail: func(op, key string) bool { return key == "blobs/bad" }}
	s := Wrap(fs, l)
	if err := s.Put(t.Context(), "blobs/bad", []byte("x")); !errors.Is(err, errInjected) {
		t.Fatalf("Put = %v", err)
	}
	if err := s.Delete(WithReason(t.Context(), "repair", "tunesafe repair"), "blobs/bad"); !errors.Is(err, errInjected) {
		t.Fatalf("Delete = %v", err)
	}
	if err := s.Put(t.Context(), "not a valid key", nil); !store.IsPermanent(err) {
		t.Fatalf("Put of an invalid key = %v", err)
	}
	flush(t, l)
	want := []string{"put blobs/bad failed", "delete blobs/bad failed"}
	if got := keysOf(entries(t, l)); !slices.Equal(got, want) {
		t.Fatalf("entries %q, want %q", got, want)
	}
}

func TestWrapPassesThrough(t *testing.T) {
	f := newFixture(t)
	l := f.open()
	s := Wrap(f.store, l)
	put(t, s, "log/something", "the log's own") // not recorded
	if err := s.Delete(t.Context(), "log/something"); err != nil {
		t.Fatal(err)
	}
	put(t, s, "blobs/aa", "one")
	if b, err := store.ReadAll(t.Context(), s, "blobs/aa"); err != nil || string(b) != "one" {
		t.Fatalf("Get = %q, %v", b, err)
	}
	if info, err := s.Stat(t.Context(), "blobs/aa"); err != nil || info.Size != 3 {
		t.Fatalf("Stat = %+v, %v", info, err)
	}
	n := 0
	for _, err := range s.List(t.Context(), "blobs/") {
		if err != nil {
			t.Fatal(err)
		}
		n++
	}
	if n != 1 || s.String() != f.store.String() || l.Pending() != 1 {
		t.Fatalf("List yielded %d, String %q, pending %d", n, s, l.Pending())
	}
}

func TestTestLog(t *testing.T) {
	mem := new(memstore.Store)
	l := TestLog(t, mem)
	put(t, Wrap(mem, l), "blobs/aa", "one")
	rep, err := Audit(t.Context(), l, mem, AuditOptions{})
	if err != nil || !rep.Clean() || rep.Counts.OK != 1 {
		t.Fatalf("audit: %v %+v", err, rep.Counts)
	}
}

// The audited store publishes by itself every FlushEvery records, so a
// long run keeps few in memory; an explicit Flush publishes the rest, and
// the log holds every record once, in order.
func TestWrapFlushesEvery(t *testing.T) {
	f := newFixture(t)
	opts := f.options()
	opts.FlushEvery = 3
	l, err := Open(t.Context(), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(l.release)
	s := Wrap(f.store, l)
	var want []string
	for i := range 7 {
		key := fmt.Sprintf("blobs/%02d", i)
		put(t, s, key, key)
		want = append(want, "put "+key+" ok")
	}
	published := 0
	for info, err := range f.store.List(t.Context(), Prefix+"entries/") {
		if err != nil {
			t.Fatal(err)
		}
		published++
		_ = info
	}
	if published != 2 {
		t.Fatalf("%d entries objects published before Flush, want 2 (after 3 and 6 records)", published)
	}
	l.mu.Lock()
	waiting := len(l.ready)
	l.mu.Unlock()
	if waiting != 1 {
		t.Fatalf("%d records wait, want 1", waiting)
	}
	flush(t, l)
	if got := keysOf(entries(t, l)); !slices.Equal(got, want) {
		t.Fatalf("entries %q, want %q", got, want)
	}
}
