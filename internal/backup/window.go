package backup

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// window bounds the blob bytes queued or being uploaded, and sizes the
// bound to the line it finds, the way TCP sizes its congestion window:
//
//   - A kill loses what is in flight. On a slow uplink (36 kB/s) eight
//     blobs of a megabyte each are four minutes of upload, so there the
//     window holds one blob at a time and a kill costs that blob alone.
//   - A fast line to a provider far away needs many requests in flight to
//     stay busy: each PUT waits a round trip for its answer, and one blob
//     at a time would leave the line idle most of the time.
//
// The window allows as many bytes in flight as uploads completed in the
// last horizon (at least one job, however large, and at most max). A line
// nothing has crossed yet, or nothing within the horizon, gets one job at
// a time: two pieces of half a megabyte sent side by side on a slow line
// would both be lost to a kill, and a limit reached meanwhile would wait
// for both. That
// is the line's rate times the horizon: enough for any request that takes
// less than the horizon to keep the line full, so the bound grows by about
// what completes in each round trip (doubling, as TCP's slow start does)
// until it reaches max on a fast line, and it falls to one blob on a line
// that takes longer than the horizon to carry one.
type window struct {
	max     int64
	horizon time.Duration
	now     func() time.Time
	poll    time.Duration // how often a waiting acquire asks its stop function

	// inFlight, if not nil, is kept equal to used, for the progress
	// (Progress.BytesInFlight).
	inFlight *atomic.Int64

	mu   sync.Mutex
	used int64 // bytes acquired and not yet released
	// busy is the time something was in flight (used > 0) before the
	// current such span, which began at busySince; busyToLast is the
	// time something was in flight until the last upload completed (see
	// busyTime).
	busy, busyToLast time.Duration
	busySince        time.Time
	done             []completion  // completions within the horizon, oldest first
	recent           int64         // sum of done's bytes
	changed          chan struct{} // closed and replaced whenever used falls or the bound may grow
}

type completion struct {
	at    time.Time
	bytes int64
}

// horizon is how long the window's bound can keep the line busy.
const horizon = 2 * time.Second

func newWindow(max int64) *window {
	return &window{max: max, horizon: horizon, now: time.Now, poll: stopPoll, changed: make(chan struct{})}
}

// limitLocked is the current bound; acquire lets one job go whatever it
// is, so a bound of 0 means one job at a time.
func (w *window) limitLocked(now time.Time) int64 {
	w.expireLocked(now)
	return min(w.recent, w.max)
}

func (w *window) expireLocked(now time.Time) {
	i := 0
	for i < len(w.done) && now.Sub(w.done[i].at) > w.horizon {
		w.recent -= w.done[i].bytes
		i++
	}
	if i > 0 {
		w.done = append(w.done[:0], w.done[i:]...)
	}
}

// stopPoll is how often a waiting acquire asks its stop function again.
const stopPoll = time.Second

// acquire waits until n more bytes fit in the window, or until nothing is
// in flight (a job larger than the bound then goes alone), or ctx ends.
//
// stop, if not nil, is asked before each wait and every poll while
// waiting; when it returns an error, acquire gives up with that error.
// On a slow line a blob waits a piece's upload time (half a minute at
// 36 kB/s) for room: a limit or a closed window reached meanwhile must
// stop the pass now, not after this blob and the next reader's have gone
// too.
func (w *window) acquire(ctx context.Context, n int64, stop func() error) error {
	for {
		if stop != nil {
			if err := stop(); err != nil {
				return err
			}
		}
		w.mu.Lock()
		if w.used == 0 || w.used+n <= w.limitLocked(w.now()) {
			w.setUsedLocked(w.used + n)
			w.mu.Unlock()
			return nil
		}
		ch := w.changed
		// Only a release or a cancel can make room (a completion leaving
		// the horizon lowers the bound), and one will come: something is
		// in flight (used > 0).
		w.mu.Unlock()
		var poll <-chan time.Time
		var t *time.Timer
		if stop != nil {
			t = time.NewTimer(w.poll)
			poll = t.C
		}
		select {
		case <-ch:
		case <-poll:
		case <-ctx.Done():
		}
		if t != nil {
			t.Stop()
		}
		if ctx.Err() != nil {
			return context.Cause(ctx)
		}
	}
}

// idle waits until nothing is in flight, or ctx ends.
func (w *window) idle(ctx context.Context) error {
	for {
		w.mu.Lock()
		if w.used == 0 {
			w.mu.Unlock()
			return nil
		}
		ch := w.changed
		w.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return context.Cause(ctx)
		}
	}
}

// cancel gives back n acquired bytes whose upload did not complete.
func (w *window) cancel(n int64) {
	w.mu.Lock()
	w.setUsedLocked(w.used - n)
	w.wakeLocked()
	w.mu.Unlock()
}

// release gives back n bytes whose upload completed after took; they
// count toward the bound for the next horizon in the share of took that
// lies within it. A piece that took 17 s to cross a slow line stands for
// what the line carried in the last horizon (2/17 of it), not for the
// whole of it: counted whole, it would let that much go side by side
// next, all lost to a kill. On a line where every upload takes less
// than the horizon, each counts whole; where they take longer because
// many share it, the bound settles where an upload takes about the
// horizon, which keeps the line busy.
func (w *window) release(n int64, took time.Duration) {
	w.mu.Lock()
	w.setUsedLocked(w.used - n)
	now := w.now()
	w.busyToLast = w.busyLocked(now)
	credit := n
	if took > w.horizon {
		credit = int64(float64(n) * float64(w.horizon) / float64(took))
	}
	w.done = append(w.done, completion{at: now, bytes: credit})
	w.recent += credit
	w.expireLocked(now)
	w.wakeLocked()
	w.mu.Unlock()
}

func (w *window) wakeLocked() {
	close(w.changed)
	w.changed = make(chan struct{})
}

// setUsedLocked sets the bytes in flight, and keeps the time the window
// was busy and the mirror (inFlight) with it.
func (w *window) setUsedLocked(used int64) {
	switch {
	case w.used == 0 && used > 0:
		w.busySince = w.now()
	case w.used > 0 && used == 0:
		w.busy += w.now().Sub(w.busySince)
	}
	w.used = used
	if w.inFlight != nil {
		w.inFlight.Store(used)
	}
}

// busyLocked is the time something has been in flight until now.
func (w *window) busyLocked(now time.Time) time.Duration {
	if w.used > 0 {
		return w.busy + now.Sub(w.busySince)
	}
	return w.busy
}

// busyTime is the time something was in flight until the last upload
// completed: the time the completed uploads took, less the time the line
// was idle (the scan, the readers cutting files, nothing to send). The
// bytes of the completed uploads over it are the line's rate; the uploads
// cancelled after the last completion (the pass was cancelled) do not
// lower it.
func (w *window) busyTime() time.Duration {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.busyToLast
}
