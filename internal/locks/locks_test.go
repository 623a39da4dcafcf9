package locks

import (
	"context"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/tunesafe/tunesafe/internal/store/memstore"
)

func TestBackupsShareAndPruneExcludes(t *testing.T) {
	ctx := context.Background()
	s := &memstore.Store{}
	b1, err := Acquire(ctx, s, Backup)
	if err != nil {
		t.Fatal(err)
	}
	b2, err := Acquire(ctx, s, Backup)
	if err != nil {
		t.Fatalf("two backups: %v", err)
	}
	var ce *ConflictError
	if _, err := Acquire(ctx, s, Prune); !errors.As(err, &ce) || ce.Other.Kind != Backup {
		t.Fatalf("prune during backup: %v", err)
	}
	b1.Release(ctx)
	b2.Release(ctx)
	p, err := Acquire(ctx, s, Prune)
	if err != nil {
		t.Fatalf("prune alone: %v", err)
	}
	if _, err := Acquire(ctx, s, Backup); !errors.As(err, &ce) || ce.Other.Kind != Prune {
		t.Fatalf("backup during prune: %v", err)
	}
	// The failed attempts left nothing behind.
	ls, _ := List(ctx, s)
	if len(ls) != 1 {
		t.Fatalf("locks left: %v", ls)
	}
	p.Release(ctx)
	if ls, _ := List(ctx, s); len(ls) != 0 {
		t.Fatalf("locks left after release: %v", ls)
	}
}

func TestStaleLockIgnored(t *testing.T) {
	ctx := context.Background()
	s := &memstore.Store{}
	past := func() time.Time { return time.Now().Add(-2 * Stale) }
	dead, err := acquire(ctx, s, Backup, past, thisProcess())
	if err != nil {
		t.Fatal(err)
	}
	defer dead.Release(ctx)
	p, err := Acquire(ctx, s, Prune)
	if err != nil {
		t.Fatalf("stale backup lock blocked prune: %v", err)
	}
	p.Release(ctx)
}

func TestWaitGivesUpWithContext(t *testing.T) {
	s := &memstore.Store{}
	b, _ := Acquire(context.Background(), s, Backup)
	defer b.Release(context.Background())
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	waits := 0
	_, err := Wait(ctx, s, Prune, 10*time.Millisecond, func(*ConflictError) { waits++ })
	if !errors.Is(err, context.DeadlineExceeded) || waits == 0 {
		t.Fatalf("Wait: %v after %d waits", err, waits)
	}
}

// countingGets is a store that counts the objects read.
type countingGets struct {
	*memstore.Store
	gets []string
}

func (c *countingGets) Get(ctx context.Context, key string, off, n int64) (io.ReadCloser, error) {
	c.gets = append(c.gets, key)
	return c.Store.Get(ctx, key, off, n)
}

// Taking a lock reads the other locks, not the one just written: on a
// provider far away each read is a round trip before the command starts.
func TestAcquireReadsOnlyOtherLocks(t *testing.T) {
	ctx := context.Background()
	s := &countingGets{Store: &memstore.Store{}}
	first, err := Acquire(ctx, s, Backup)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.gets) != 0 {
		t.Fatalf("the first lock read %v", s.gets)
	}
	second, err := Acquire(ctx, s, Backup)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.gets) != 1 || s.gets[0] != first.info.Key {
		t.Fatalf("the second lock read %v, want only %s", s.gets, first.info.Key)
	}
	first.Release(ctx)
	second.Release(ctx)
}
