package locks

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/tunesafe/tunesafe/internal/store"
	"github.com/tunesafe/tunesafe/internal/store/memstore"
)

// putLockAt stores a lock as another process wrote it, last refreshed at
// refreshed, under a key of its own.
func putLockAt(t *testing.T, s store.Store, li Info, refreshed time.Time, suffix string) string {
	t.Helper()
	li.Started, li.Refreshed = refreshed.Add(-time.Hour).UTC(), refreshed.UTC()
	b, err := json.Marshal(li)
	if err != nil {
		t.Fatal(err)
	}
	key := Prefix + li.Kind + "-20261124T100000Z-" + suffix
	if err := s.Put(context.Background(), key, b); err != nil {
		t.Fatal(err)
	}
	return key
}

// keysOf are the keys of locks, sorted.
func keysOf(ls []Info) []string {
	var out []string
	for _, l := range ls {
		out = append(out, l.Key)
	}
	slices.Sort(out)
	return out
}

// lockKeys are the keys under locks/ in s, sorted.
func lockKeys(t *testing.T, s store.Store) []string {
	t.Helper()
	var out []string
	for info, err := range s.List(context.Background(), Prefix) {
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, info.Key)
	}
	return out
}

// Stale locks of other computers do not pile up: a command taking an
// exclusive lock deletes every lock stale by Stale once it holds the
// vault, and any command taking a lock deletes those not refreshed for
// Abandoned. Fresh locks stay, and a command that finds the vault held
// deletes nothing.
func TestStaleLocksRemoved(t *testing.T) {
	ctx := context.Background()
	clock := &fakeTime{now: time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)}
	me := on("vm", "b")
	setup := func(t *testing.T) (s *memstore.Store, stale, abandoned string) {
		s = &memstore.Store{}
		stale = putLockAt(t, s, Info{Kind: Backup, Host: "laptop", Space: "l", PID: 7}, clock.Now().Add(-Stale-time.Minute), "000000000001")
		abandoned = putLockAt(t, s, Info{Kind: Prune, Host: "nas", Space: "n", PID: 8}, clock.Now().Add(-Abandoned-time.Minute), "000000000002")
		return s, stale, abandoned
	}

	t.Run("exclusive", func(t *testing.T) {
		s, stale, abandoned := setup(t)
		l, err := acquire(ctx, s, Audit, clock.Now, me)
		if err != nil {
			t.Fatal(err)
		}
		defer l.Release(ctx)
		if got, want := keysOf(l.Removed()), []string{stale, abandoned}; !slices.Equal(got, want) {
			t.Fatalf("Removed = %v, want %v", got, want)
		}
		if len(l.Cleared()) != 0 {
			t.Fatalf("Cleared = %v: no holder of this computer died", l.Cleared())
		}
		if got := lockKeys(t, s); !slices.Equal(got, []string{l.info.Key}) {
			t.Fatalf("locks left %v, want only the audit's", got)
		}
	})

	t.Run("shared", func(t *testing.T) {
		s, stale, abandoned := setup(t)
		fresh := putLockAt(t, s, Info{Kind: Backup, Host: "nas", Space: "n", PID: 9}, clock.Now().Add(-Refresh), "000000000003")
		l, err := acquire(ctx, s, Backup, clock.Now, me)
		if err != nil {
			t.Fatal(err)
		}
		defer l.Release(ctx)
		if got, want := keysOf(l.Removed()), []string{abandoned}; !slices.Equal(got, want) {
			t.Fatalf("Removed = %v, want %v", got, want)
		}
		got := lockKeys(t, s)
		if !slices.Contains(got, stale) || !slices.Contains(got, fresh) || slices.Contains(got, abandoned) {
			t.Fatalf("locks left %v: want %s (stale, not abandoned) and %s (fresh), not %s", got, stale, fresh, abandoned)
		}
	})

	t.Run("held", func(t *testing.T) {
		s, stale, abandoned := setup(t)
		fresh := putLockAt(t, s, Info{Kind: Backup, Host: "nas", Space: "n", PID: 9}, clock.Now().Add(-Refresh), "000000000003")
		var ce *ConflictError
		if _, err := acquire(ctx, s, Prune, clock.Now, me); !errors.As(err, &ce) || ce.Other.Key != fresh {
			t.Fatalf("acquire = %v, want a conflict with %s", err, fresh)
		}
		want := []string{stale, abandoned, fresh}
		slices.Sort(want)
		if got := lockKeys(t, s); !slices.Equal(got, want) {
			t.Fatalf("locks after the conflict %v, want %v", got, want)
		}
	})
}

// A lock of this computer whose holder is gone is removed however long
// ago it was last refreshed (before a reboot it is another process space,
// and only stale).
func TestOldDeadHolderOnThisComputer(t *testing.T) {
	ctx := context.Background()
	clock := &fakeTime{now: time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)}
	s := &memstore.Store{}
	dead := putLockAt(t, s, Info{Kind: Backup, Host: "vm", Space: "b", PID: 4242}, clock.Now().Add(-2*Stale), "000000000001")
	l, err := acquire(ctx, s, Backup, clock.Now, on("vm", "b"))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Release(ctx)
	if got := keysOf(l.Cleared()); !slices.Equal(got, []string{dead}) {
		t.Fatalf("Cleared = %v, want %s", got, dead)
	}
	if got := lockKeys(t, s); slices.Contains(got, dead) {
		t.Fatalf("the dead holder's lock is still there: %v", got)
	}
}

// refusingStore refuses to delete locks, as a bucket under Object Lock or
// a key without delete permission does.
type refusingStore struct {
	memstore.Store
	tries int
}

func (r *refusingStore) Delete(ctx context.Context, key string) error {
	r.tries++
	return store.Permanent(store.KindAccessDenied, errors.New("AccessDenied: object is WORM protected"))
}

// A stale lock the storage refuses to delete stays, ignored: taking the
// lock succeeds all the same.
func TestStaleLockRefusedStays(t *testing.T) {
	ctx := context.Background()
	clock := &fakeTime{now: time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)}
	s := &refusingStore{}
	stale := putLockAt(t, s, Info{Kind: Backup, Host: "laptop", Space: "l", PID: 7}, clock.Now().Add(-Abandoned-time.Hour), "000000000001")
	l, err := acquire(ctx, s, Prune, clock.Now, on("vm", "b"))
	if err != nil {
		t.Fatalf("a stale lock that cannot be deleted failed the prune: %v", err)
	}
	if len(l.Removed()) != 0 || s.tries != 1 {
		t.Fatalf("Removed = %v after %d tries, want none after 1", l.Removed(), s.tries)
	}
	if got := lockKeys(t, s); !slices.Contains(got, stale) {
		t.Fatalf("locks %v: the refused one is gone", got)
	}
	l.Release(ctx) // refused too, and reported by Release
}
