package main

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/tunesafe/tunesafe/internal/locks"
)

// noteCleared says which locks taking lock removed from the vault: those
// of processes of this computer that ended without removing them (killed,
// or the computer lost power), one line each, and in one line the stale
// locks of other computers (locks.Lock.Removed), which can be many after
// a long time.
func (a *app) noteCleared(lock *locks.Lock) {
	for _, o := range lock.Cleared() {
		fmt.Fprintf(a.stderr, "tunesafe: removed the lock of %s, which ended without removing it\n", o.Holder())
	}
	if msg := staleRemoved(lock.Removed(), a.now()); msg != "" {
		fmt.Fprintf(a.stderr, "tunesafe: %s\n", msg)
	}
}

// logCleared is noteCleared for the agent, which logs.
func logCleared(log *slog.Logger, lock *locks.Lock) {
	for _, o := range lock.Cleared() {
		log.Info("removed a lock left behind", "holder", o.Holder())
	}
	if removed := lock.Removed(); len(removed) > 0 {
		log.Info("removed stale locks", "count", len(removed), "first", removed[0].Holder())
	}
}

// staleRemoved says which stale locks were removed, "" for none: "removed
// the stale lock of a backup from laptop (pid 7), last refreshed
// 2026-11-20 10:00", or, for several, how many, the latest refresh among
// them and the first holder.
func staleRemoved(removed []locks.Info, now time.Time) string {
	if len(removed) == 0 {
		return ""
	}
	latest := removed[0]
	for _, o := range removed[1:] {
		if o.Refreshed.After(latest.Refreshed) {
			latest = o
		}
	}
	if len(removed) == 1 {
		return fmt.Sprintf("removed the stale lock of %s, last refreshed %s", latest.Holder(), lockTime(latest.Refreshed, now))
	}
	return fmt.Sprintf("removed %d stale locks, none refreshed since %s (%s and %s)",
		len(removed), lockTime(latest.Refreshed, now), latest.Holder(), plural(len(removed)-1, "other", "others"))
}

// releaseLock removes lock from the vault, trying briefly (locks.Release):
// a lock left behind is a warning, not a failure of the command, since
// the next command on this computer removes it and other computers ignore
// it once stale.
func (a *app) releaseLock(ctx context.Context, lock *locks.Lock) {
	if err := lock.Release(ctx); err != nil {
		fmt.Fprintf(a.stderr, "tunesafe: warning: %v\n", err)
	}
}
