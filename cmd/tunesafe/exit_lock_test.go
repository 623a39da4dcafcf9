package main

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tunesafe/tunesafe/internal/auditlog"
	"github.com/tunesafe/tunesafe/internal/locks"
	"github.com/tunesafe/tunesafe/internal/store"
	"github.com/tunesafe/tunesafe/internal/store/memstore"
	"github.com/tunesafe/tunesafe/internal/store/retry"
)

// lineDown is a memstore whose every request fails, once down, as over a
// line that is down; it counts the attempts by operation and the top
// folder of the key ("put blobs", "delete locks", "put log").
type lineDown struct {
	memstore.Store
	mu       sync.Mutex
	down     bool
	attempts map[string]int
}

func (d *lineDown) try(op, key string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if !d.down {
		return nil
	}
	top, _, _ := strings.Cut(key, "/")
	d.attempts[op+" "+top]++
	return store.Transient(store.KindUnreachable, errors.New("dial tcp: i/o timeout"))
}

func (d *lineDown) count(what string) int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.attempts[what]
}

func (d *lineDown) Put(ctx context.Context, key string, b []byte) error {
	if err := d.try("put", key); err != nil {
		return err
	}
	return d.Store.Put(ctx, key, b)
}

func (d *lineDown) Delete(ctx context.Context, key string) error {
	if err := d.try("delete", key); err != nil {
		return err
	}
	return d.Store.Delete(ctx, key)
}

// fakeSleeps is a clock whose sleeps pass at once.
type fakeSleeps struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeSleeps) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeSleeps) Sleep(ctx context.Context, d time.Duration) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	return ctx.Err()
}

// A backup whose storage stops answering gives up once, after --retry-for
// (here a minute of a fake clock), not once more per request on its way
// out: its lock's DELETE and the claim that publishes the log's last
// records make DownAttempts attempts each, and the lock says it stays.
func TestFailingBackupGivesUpOnce(t *testing.T) {
	ctx := withDeleteReason(t.Context(), "backup", "tunesafe backup")
	d := &lineDown{attempts: map[string]int{}}
	c := &fakeSleeps{now: time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)}
	chain := retry.Wrap(d, retry.Policy{MaxElapsed: time.Minute, Sleep: c.Sleep, Now: c.Now})
	skey, _ := auditlog.TestKey(t, "")
	signer, verifier, err := auditlog.NewSigner(skey)
	if err != nil {
		t.Fatal(err)
	}
	l, err := auditlog.Open(ctx, auditlog.Options{Store: chain, Signer: signer, Verifier: verifier, StateDir: t.TempDir(), Host: "test"})
	if err != nil {
		t.Fatal(err)
	}
	logged := auditlog.Wrap(chain, l)
	lock, err := locks.Acquire(ctx, logged, locks.Backup)
	if err != nil {
		t.Fatal(err)
	}

	d.mu.Lock()
	d.down = true
	d.mu.Unlock()
	if err := logged.Put(ctx, "blobs/ab/abcdef", []byte("audio")); !store.IsTransient(err) {
		t.Fatalf("the blob's PUT: %v", err)
	}
	if n := d.count("put blobs"); n <= retry.DownAttempts {
		t.Fatalf("the blob's PUT made %d attempts: the test needs more", n)
	}
	start := c.Now()

	// On the way out: the lock, then the log (session.Close).
	err = lock.Release(ctx)
	var stays *locks.StaysError
	if !errors.As(err, &stays) {
		t.Errorf("Release: %v, want a *locks.StaysError", err)
	}
	if n := d.count("delete locks"); n != retry.DownAttempts {
		t.Errorf("the lock's DELETE made %d attempts, want %d", n, retry.DownAttempts)
	}
	if err := l.Close(context.Background()); err == nil {
		t.Error("the log was published over a line that is down")
	}
	if n := d.count("put log"); n != retry.DownAttempts {
		t.Errorf("the log's claim made %d attempts, want %d", n, retry.DownAttempts)
	}
	if waited := c.Now().Sub(start); waited >= time.Minute {
		t.Errorf("the way out waited %v of the retry clock, the whole --retry-for again", waited)
	}
}
