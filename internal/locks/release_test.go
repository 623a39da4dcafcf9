package locks

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tunesafe/tunesafe/internal/store"
	"github.com/tunesafe/tunesafe/internal/store/memstore"
	"github.com/tunesafe/tunesafe/internal/store/retry"
)

// downStore is a memstore whose requests all fail as a line that is down
// does once down is set, counting the attempts of each operation.
type downStore struct {
	memstore.Store
	mu       sync.Mutex
	down     bool
	attempts map[string]int
}

var errDown = store.Transient(store.KindUnreachable, errors.New("dial tcp: connect: network is unreachable"))

func (d *downStore) fail(op string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.attempts == nil {
		d.attempts = map[string]int{}
	}
	d.attempts[op]++
	if d.down {
		return errDown
	}
	return nil
}

func (d *downStore) setDown() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.down = true
	d.attempts = nil
}

func (d *downStore) count(op string) int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.attempts[op]
}

func (d *downStore) Put(ctx context.Context, key string, b []byte) error {
	if err := d.fail("put"); err != nil {
		return err
	}
	return d.Store.Put(ctx, key, b)
}

func (d *downStore) Delete(ctx context.Context, key string) error {
	if err := d.fail("delete"); err != nil {
		return err
	}
	return d.Store.Delete(ctx, key)
}

// fakeTime is a clock whose sleeps pass at once.
type fakeTime struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeTime) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeTime) Sleep(ctx context.Context, d time.Duration) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	return ctx.Err()
}

// Removing a lock is best effort: against storage that does not answer,
// a few attempts, not the store's retry period (here: never give up).
func TestReleaseGivesUpSoon(t *testing.T) {
	ctx := context.Background()
	d := &downStore{}
	c := &fakeTime{now: time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)}
	s := retry.Wrap(d, retry.Policy{MaxElapsed: -1, Sleep: c.Sleep, Now: c.Now})
	l, err := Acquire(ctx, s, Backup)
	if err != nil {
		t.Fatal(err)
	}
	d.setDown()
	err = l.Release(ctx)
	if got := d.count("delete"); got != releaseAttempts {
		t.Errorf("Release made %d attempts, want %d", got, releaseAttempts)
	}
	var se *StaysError
	if !errors.As(err, &se) || !errors.Is(err, errDown) || se.Lock.Key != l.info.Key {
		t.Fatalf("Release: %v, want a *StaysError for %s", err, l.info.Key)
	}
	if canTellGone && !strings.Contains(err.Error(), "the backup lock stays in the vault (") ||
		!strings.Contains(err.Error(), "ignore it from "+l.info.StaleAt().Local().Format("2006-01-02 15:04")) {
		t.Errorf("message %q", err)
	}
	// The lock is there, and is taken for dead once its holder has ended.
	ls, _ := List(ctx, &d.Store)
	if len(ls) != 1 || ls[0].Key != l.info.Key {
		t.Fatalf("locks %v", ls)
	}
}

// A backup that failed because the storage stopped answering for the whole
// retry period removes its lock on its way out with DownAttempts attempts:
// the period is not waited for again.
func TestReleaseAfterTheStorageStoppedAnswering(t *testing.T) {
	ctx := context.Background()
	d := &downStore{}
	c := &fakeTime{now: time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)}
	s := retry.Wrap(d, retry.Policy{MaxElapsed: time.Minute, Sleep: c.Sleep, Now: c.Now})
	l, err := Acquire(ctx, s, Backup)
	if err != nil {
		t.Fatal(err)
	}
	d.setDown()
	if err := s.Put(ctx, "blobs/ab/abcd", []byte("audio")); !store.IsTransient(err) {
		t.Fatalf("Put: %v", err)
	}
	if d.count("put") <= releaseAttempts {
		t.Fatalf("the Put made only %d attempts: the test needs more", d.count("put"))
	}
	if err := l.Release(ctx); err == nil {
		t.Fatal("Release succeeded against storage that does not answer")
	}
	if got := d.count("delete"); got != retry.DownAttempts {
		t.Errorf("Release made %d attempts, want %d", got, retry.DownAttempts)
	}
}
