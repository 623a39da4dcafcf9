package auditlog

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tunesafe/tunesafe/internal/store"
)

// Two computers backing up into one vault at the same moment both publish
// to its log, again and again: their flushes take turns, so the log stays
// one append-only history, which a third computer verifies, with every
// record of both.
func TestTwoComputersPublishAtOnce(t *testing.T) {
	f := newFixture(t)
	a := f.open()
	g := *f
	g.dir = t.TempDir()
	b := g.open()
	const rounds = 15
	var wg sync.WaitGroup
	errs := make(chan error, 2)
	for name, l := range map[string]*Log{"a": a, "b": b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := Wrap(f.store, l)
			for i := range rounds {
				if err := s.Put(t.Context(), fmt.Sprintf("blobs/%s%02d", name, i), []byte(name)); err != nil {
					errs <- err
					return
				}
				if err := l.Flush(t.Context()); err != nil {
					errs <- fmt.Errorf("%s, round %d: %w", name, i, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	h := *f
	h.dir = t.TempDir()
	c := h.open()
	if c.Size() != 2*rounds {
		t.Fatalf("a third computer sees %d records, want %d", c.Size(), 2*rounds)
	}
	rep, err := Audit(t.Context(), c, f.mem, AuditOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Failures() != 0 || rep.Counts.Foreign != 0 || rep.Counts.OK != 2*rounds {
		t.Fatalf("audit: %+v", rep.Counts)
	}
	for info, err := range f.mem.List(t.Context(), writerPrefix) {
		t.Fatalf("claim left behind: %s %v", info.Key, err)
	}
}

// A claim left by a writer that died blocks others only until it is
// stale; a live one makes a writer give up, its records kept for later.
func TestWriterClaims(t *testing.T) {
	f := newFixture(t)
	old := writerPrefix + "20000101T000000.000Z-dead"
	// A claim written long before ours (by the storage's clock) is stale.
	f.store = agedStore{f.mem, old, writerStale + time.Minute}
	l := f.open()
	put(t, Wrap(f.store, l), "blobs/aa", "one")
	f.mem.Put(t.Context(), old, []byte(`{"host":"gone","pid":1}`))
	flush(t, l)
	// A recent one is another writer at work: this one gives up in the
	// end, and its records wait for the next flush.
	live := writerPrefix + "20000101T000000.000Z-live"
	f.mem.Put(t.Context(), live, []byte(`{"host":"desktop","pid":42,"started":"2026-11-25T09:00:00Z"}`))
	put(t, Wrap(f.store, l), "blobs/bb", "two")
	l.writerWait = 300 * time.Millisecond
	err := l.Flush(t.Context())
	if !errors.Is(err, ErrWriterBusy) || !strings.Contains(err.Error(), "desktop, pid 42") {
		t.Fatalf("Flush with another writer at work = %v", err)
	}
	if l.Size() != 1 {
		t.Fatalf("published %d records", l.Size())
	}
	f.mem.Delete(t.Context(), live)
	flush(t, l)
	if l.Size() != 2 {
		t.Fatalf("after the other writer: %d records", l.Size())
	}
}

// agedStore lists key as written age ago.
type agedStore struct {
	store.Store
	key string
	age time.Duration
}

func (s agedStore) List(ctx context.Context, prefix string) iter.Seq2[store.Info, error] {
	return func(yield func(store.Info, error) bool) {
		for info, err := range s.Store.List(ctx, prefix) {
			if info.Key == s.key {
				info.ModTime = time.Now().Add(-s.age)
			}
			if !yield(info, err) {
				return
			}
		}
	}
}
