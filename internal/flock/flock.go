// Package flock keeps two processes of one computer from working on the
// same local thing at once: a restore's target folder, the journal of a
// vault's log. It takes flock(2) advisory locks, which the kernel drops
// when the holder exits or dies, so a lock is never left behind by a
// kill -9 or a power cut, and needs no staleness rule.
//
// Where the system has no flock, TryLock always succeeds: the protection
// is then the user's care alone.
package flock

import (
	"errors"
	"os"
)

// ErrBusy is returned by TryLock when another process holds the lock.
var ErrBusy = errors.New("locked by another process")

// TryLock takes an exclusive lock on the open file or folder f without
// waiting. The lock lasts until f is closed. A file system that cannot
// lock (some network shares) is taken as granting it: the caller then
// goes on as it would without the lock.
func TryLock(f *os.File) error { return tryLock(f) }
