package auditlog

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/tunesafe/tunesafe/internal/locks"
)

// A command that removes another computer's stale lock logs the delete as
// "stale-lock", not with its own reason: a reader of the log sees that a
// prune removed a dead backup's lock, not that it pruned it. The command's
// own lock is released with the command's reason.
func TestStaleLockDeleteReason(t *testing.T) {
	f := newFixture(t)
	l := f.open()
	s := Wrap(f.store, l)
	refreshed := time.Now().Add(-2 * locks.Abandoned).UTC()
	b, err := json.Marshal(locks.Info{Kind: locks.Backup, Host: "old-laptop", PID: 4242, Command: "backup",
		Started: refreshed.Add(-time.Hour), Refreshed: refreshed})
	if err != nil {
		t.Fatal(err)
	}
	stale := locks.Prefix + locks.Backup + "-20240101T000000Z-aabbccddeeff"
	put(t, s, stale, string(b))

	ctx := WithReason(t.Context(), "prune", "tunesafe prune")
	lock, err := locks.Acquire(ctx, s, locks.Prune)
	if err != nil {
		t.Fatal(err)
	}
	if len(lock.Removed()) != 1 {
		t.Fatalf("removed %v, want the stale lock", lock.Removed())
	}
	if err := lock.Release(ctx); err != nil {
		t.Fatal(err)
	}
	flush(t, l)
	reasons := map[string]string{}
	for _, e := range entries(t, l) {
		if d, ok := e.Record.(Delete); ok {
			reasons[d.Key] = d.Reason
		}
	}
	if reasons[stale] != ReasonStaleLock {
		t.Fatalf("the stale lock's delete has reason %q, want %q (all: %v)", reasons[stale], ReasonStaleLock, reasons)
	}
	if len(reasons) != 2 {
		t.Fatalf("deletes %v, want the stale lock's and the prune's own", reasons)
	}
	for key, why := range reasons {
		if key != stale && why != "prune" {
			t.Fatalf("the prune's own lock %s was released with reason %q, want prune", key, why)
		}
	}
}
