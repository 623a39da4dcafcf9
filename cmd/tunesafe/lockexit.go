package main

import (
	"context"
	"fmt"

	"github.com/tunesafe/tunesafe/internal/locks"
)

// noteCleared says which locks of processes of this computer that ended
// without removing them (killed, or the computer lost power) taking lock
// removed from the vault.
func (a *app) noteCleared(lock *locks.Lock) {
	for _, o := range lock.Cleared() {
		fmt.Fprintf(a.stderr, "tunesafe: removed the lock of %s, which ended without removing it\n", o.Holder())
	}
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
