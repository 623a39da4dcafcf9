package backup

import (
	"context"
	"fmt"
	"time"

	"github.com/tunesafe/tunesafe/internal/state"
)

// A pass that ends unfinished (stopped by a limit or an interrupt,
// cancelled, or failed) leaves work to the next: what it tells of itself
// must be what its checkpoint holds, and what it left. This file counts
// the files of a stopped pass as its checkpoint holds them, decides
// whether a checkpoint is worth saving, and records every pass's end in
// the cache (state.LastPass) for 'tunesafe status', which has nothing else
// to go by after a backup run by hand.

// holdsFiles reports whether a checkpoint would hold any file: one this
// pass stored, or one stored before that it reuses (unchanged since the
// last complete backup, or stored by a pass that stopped before it
// finished, which no snapshot may hold). A checkpoint without any has
// nothing to restore: a first backup stopped before its first file.
func (r *run) holdsFiles() bool { return r.p.FilesDone.Load() > 0 }

// countHeld makes the counts of a stopped pass's files those of what its
// checkpoint holds (saved), or of nothing when it saved none: the files
// the pass did not get to count in FilesRemaining instead.
func (r *run) countHeld(saved bool) {
	r.warnM.Lock()
	defer r.warnM.Unlock()
	var walk func([]*entry)
	walk = func(es []*entry) {
		for _, e := range es {
			if e.isDir() {
				walk(e.children)
			} else if e.changed && e.node.Load() == nil {
				r.uncountLocked(e)
			}
		}
	}
	walk(r.roots)
	r.res.Dirs = 0
	if saved {
		r.res.Dirs = r.held.Dirs
	}
}

// uncountLocked takes back how the scan counted e, a file the pass did
// not store: it could not be read, or the pass stopped before it. Called
// with warnM held.
func (r *run) uncountLocked(e *entry) {
	if e.uncounted {
		return
	}
	e.uncounted = true
	switch e.pending {
	case state.PendingNew:
		r.res.FilesNew--
	case state.PendingChanged:
		r.res.FilesChanged--
	default:
		r.res.FilesUnchanged--
	}
	if e.storedAgain {
		r.res.FilesStoredAgain--
	}
}

// rateMinBusy is the least time the uploads must have been under way for
// a pass to measure the line's rate (LastPass.Rate): over a few seconds, a
// bandwidth limiter's bucket that started full, and uploads that finish
// together, make it look faster than it is.
const rateMinBusy = 15 * time.Second

// recordPass records how the pass ended, for 'tunesafe status'
// (state.LastPass); ok says it ended without error. A pass that ended
// before its scan did (cancelled, or the vault did not answer) stored
// nothing and counted nothing: the record stays as it was. The rate is
// the bytes of the completed uploads over the time they were under way,
// or, when that was too short to tell, the last pass's.
func (r *run) recordPass(ctx context.Context, ok bool) error {
	files, bytes, counted := r.p.Remaining()
	if !counted {
		return nil
	}
	lp := state.LastPass{
		Started: r.start.UTC(), Ended: time.Now().UTC(), Paths: absPaths(r.o.Paths),
		Complete: ok && !r.res.Partial, Snapshot: r.res.SnapshotID,
	}
	if !ok {
		lp.Snapshot = ""
		if r.checkpoint != nil {
			lp.Snapshot = r.checkpoint.String()
		}
	}
	if !lp.Complete {
		lp.FilesRemaining, lp.BytesRemaining = files, bytes
	}
	if r.up != nil {
		if busy := r.up.bytes.busyTime(); busy >= rateMinBusy {
			lp.Rate = float64(r.p.BytesUploaded.Load()) / busy.Seconds()
			lp.RateMeasured = lp.Ended
		}
	}
	if lp.Rate <= 0 {
		prev, found, err := r.c.LastPass(ctx)
		if err != nil {
			return fmt.Errorf("read cache: %w", err)
		}
		if found {
			lp.Rate, lp.RateMeasured = prev.Rate, prev.RateMeasured
		}
	}
	return r.c.SetLastPass(ctx, lp)
}
