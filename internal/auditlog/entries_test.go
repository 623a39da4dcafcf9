package auditlog

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tunesafe/tunesafe/internal/store"
)

// slowEntriesStore delays every read of an entries object, like a provider
// far away, and counts how many are read at once.
type slowEntriesStore struct {
	store.Store
	delay   atomic.Int64 // nanoseconds
	mu      sync.Mutex
	now     int
	most    int
	reads   int
	missing string // an entries object to report gone
}

func (s *slowEntriesStore) Get(ctx context.Context, key string, off, n int64) (io.ReadCloser, error) {
	if !strings.HasPrefix(key, entriesPrefix) {
		return s.Store.Get(ctx, key, off, n)
	}
	s.mu.Lock()
	s.now++
	s.reads++
	s.most = max(s.most, s.now)
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.now--
		s.mu.Unlock()
	}()
	select {
	case <-time.After(time.Duration(s.delay.Load())):
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	if key == s.missing {
		return nil, store.NotFound(key)
	}
	return s.Store.Get(ctx, key, off, n)
}

// manySegments writes a log of n entries objects of one record each.
func manySegments(t *testing.T, n int) (*fixture, *slowEntriesStore, *Log) {
	f := newFixture(t)
	slow := &slowEntriesStore{Store: f.mem}
	f.store = slow
	l := f.open()
	s := Wrap(f.store, l)
	for i := range n {
		put(t, s, fmt.Sprintf("blobs/%03d", i), fmt.Sprint("data ", i))
		flush(t, l)
	}
	slow.delay.Store(int64(5 * time.Millisecond))
	return f, slow, l
}

// TestEntriesReadAhead: the entries objects are downloaded several at a
// time, at most readAhead, and the records still come in order.
func TestEntriesReadAhead(t *testing.T) {
	const n = 60
	_, slow, l := manySegments(t, n)
	var got []string
	for e, err := range l.FreshEntries(t.Context()) {
		if err != nil {
			t.Fatal(err)
		}
		if int64(len(got)) != e.Index {
			t.Fatalf("entry %d after %d entries", e.Index, len(got))
		}
		got = append(got, e.Record.(Put).Key)
	}
	if len(got) != n || got[0] != "blobs/000" || got[n-1] != fmt.Sprintf("blobs/%03d", n-1) {
		t.Fatalf("entries %v", got)
	}
	if slow.most < 2 || slow.most > readAhead {
		t.Fatalf("at most %d entries objects read at once, want 2 to %d", slow.most, readAhead)
	}
}

// TestEntriesStopEarly: a reader that stops early stops the downloads.
func TestEntriesStopEarly(t *testing.T) {
	_, slow, l := manySegments(t, 60)
	slow.mu.Lock()
	slow.reads = 0
	slow.mu.Unlock()
	for e, err := range l.FreshEntries(t.Context()) {
		if err != nil {
			t.Fatal(err)
		}
		if e.Index == 2 {
			break
		}
	}
	time.Sleep(50 * time.Millisecond) // reads already started may end
	slow.mu.Lock()
	defer slow.mu.Unlock()
	if slow.reads > 3+readAhead {
		t.Fatalf("%d entries objects read for 3 records", slow.reads)
	}
}

// TestEntriesMissingInOrder: an entries object gone from the vault ends
// the records just before it, whatever the downloads after it found.
func TestEntriesMissingInOrder(t *testing.T) {
	_, slow, l := manySegments(t, 40)
	slow.missing = segmentKey(17, 1)
	var n int64
	var last error
	for e, err := range l.FreshEntries(t.Context()) {
		if err != nil {
			last = err
			break
		}
		if e.Index != n {
			t.Fatalf("entry %d, want %d", e.Index, n)
		}
		n++
	}
	te := wantTamper(t, "entries", last, TamperMissing)
	if n != 17 || te.Object != slow.missing {
		t.Fatalf("%d entries, then %v", n, last)
	}
}

// TestCatchUpReadAhead: a computer that has never seen the log reads its
// entries objects several at a time when it opens it.
func TestCatchUpReadAhead(t *testing.T) {
	f, slow, _ := manySegments(t, 60)
	other := *f
	other.dir = t.TempDir()
	slow.mu.Lock()
	slow.most, slow.reads = 0, 0
	slow.mu.Unlock()
	l := other.open()
	if got := l.CurrentCheckpoint().Size; got != 60 {
		t.Fatalf("the new computer verified %d records, want 60", got)
	}
	if slow.reads != 60 || slow.most < 2 || slow.most > readAhead {
		t.Fatalf("%d entries objects read, at most %d at once", slow.reads, slow.most)
	}
	// And it agrees with the writer on every record.
	if es := entries(t, l); len(es) != 60 || es[59].Record.(Put).Key != "blobs/059" {
		t.Fatalf("entries %d", len(es))
	}
}
