// Package bwlimit keeps Tunesafe's transfers under a bandwidth limit that
// can change while they run, so a backup on a 36 kB/s uplink never hogs the
// line.
//
// # Limiter
//
// A Limiter is a token bucket (golang.org/x/time/rate) counted in bytes:
// tokens flow in at the limit's rate, and every byte read or written through
// the limiter takes one. Everything that shares a Limiter shares its rate,
// so one Limiter for all uploads keeps their sum under the limit however
// many run at once.
//
// The bucket is small: it holds a tenth of a second of traffic, at least
// 16 KiB so that reads are not chopped too finely, and at most one second
// of traffic (so at 36 kB/s it holds 16 KiB, and at 100 B/s 100 B). Bytes
// pass in slices no larger than the bucket, each waiting for its tokens
// before it goes on, so the line never sees a burst of more than one
// bucket above the limit, however large the object. A rate of 0 means no
// limit. SetRate changes the rate at once, waking waiters so that a switch
// to a higher rate (or to no limit) takes effect without finishing the
// waits computed at the old one.
//
// The limit counts payload bytes: object bodies on their way to or from
// the store. HTTP headers, TLS records and TCP/IP headers add a few per
// cent on the wire (about 3.5 % for full 1448-byte TCP segments in
// 1500-byte IP packets); set the limit a little below the line rate.
//
// # Where to limit
//
// For the S3 store, wrap its HTTP transport with Transport: request bodies
// (uploads) and response bodies (downloads) are limited as the HTTP client
// sends and receives them, so the rate on the wire follows the limit, for
// large bodies too, and for every attempt of the retry decorator. For the
// folder store wrap the store itself with Store. Never both: each would
// take its own tokens.
//
// # Timetables
//
// ParseTimetable reads a limit that changes with the time of day and the
// day of the week, in the spirit of rclone's --bwlimit. Follow applies a
// timetable to a Limiter as time passes. See timetable.go for the grammar
// and parse.go for the parser.
package bwlimit

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"
)

// MinBurst is the smallest bucket size for rates of at least MinBurst bytes
// per second. Smaller rates get a bucket of one second's traffic.
const MinBurst = 16 << 10

// maxBurst bounds the bucket at very high rates.
const maxBurst = 64 << 20

// BurstFor returns the bucket size, in bytes, used for a rate of
// bytesPerSec: min(bytesPerSec, max(bytesPerSec/10, MinBurst)), and at most
// 64 MiB. It returns 0 for no limit (bytesPerSec ≤ 0).
func BurstFor(bytesPerSec int64) int {
	if bytesPerSec <= 0 {
		return 0
	}
	b := min(bytesPerSec, max(bytesPerSec/10, MinBurst), maxBurst)
	return int(b)
}

// A Limiter limits the bytes per second that pass through it. A nil
// *Limiter is valid and does not limit. All methods may be called from
// many goroutines.
type Limiter struct {
	mu  sync.Mutex
	bps int64
	// lim is nil when there is no limit. SetRate replaces it rather than
	// adjusting it, so each bucket has a fixed size and starts full.
	lim *rate.Limiter
	// changed is closed, and replaced, when the rate changes, to wake
	// waiters so they wait again at the new rate.
	changed chan struct{}
	// passed counts the bytes let through, at any rate.
	passed atomic.Int64

	// Tests replace the clock and the sleep.
	now   func() time.Time
	sleep func(ctx context.Context, d time.Duration, wake <-chan struct{}) (woken bool, err error)
}

// New returns a Limiter at bytesPerSec; 0 or less means no limit.
func New(bytesPerSec int64) *Limiter {
	l := &Limiter{changed: make(chan struct{}), now: time.Now, sleep: sleep}
	l.set(bytesPerSec)
	return l
}

// SetRate changes the limit to bytesPerSec; 0 or less means no limit.
// Waiting readers and writers continue at the new rate at once.
func (l *Limiter) SetRate(bytesPerSec int64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	bytesPerSec = max(bytesPerSec, 0)
	if bytesPerSec == l.bps {
		return
	}
	l.set(bytesPerSec)
	close(l.changed)
	l.changed = make(chan struct{})
}

// set installs a fresh bucket for bytesPerSec; l.mu is held or l is new.
func (l *Limiter) set(bytesPerSec int64) {
	l.bps = max(bytesPerSec, 0)
	l.lim = nil
	if l.bps > 0 {
		l.lim = rate.NewLimiter(rate.Limit(l.bps), BurstFor(l.bps))
	}
}

// Rate returns the current limit in bytes per second, 0 for none.
func (l *Limiter) Rate() int64 {
	if l == nil {
		return 0
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.bps
}

// state returns the current bucket (nil for no limit) and the channel that
// is closed when it is replaced.
func (l *Limiter) state() (*rate.Limiter, <-chan struct{}) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.lim, l.changed
}

// chunk returns how many bytes to move at a time: the bucket size, or
// want when there is no limit.
func (l *Limiter) chunk(want int) int {
	if l == nil {
		return want
	}
	lim, _ := l.state()
	if lim == nil {
		return want
	}
	return min(want, lim.Burst())
}

// WaitN blocks until n bytes may pass, taking their tokens in slices of at
// most one bucket. It returns ctx's error if ctx ends first; the tokens of
// the slice it was waiting for are then given back.
func (l *Limiter) WaitN(ctx context.Context, n int) error {
	if l == nil {
		return ctx.Err()
	}
	for n > 0 {
		if err := ctx.Err(); err != nil {
			return err
		}
		lim, changed := l.state()
		if lim == nil {
			l.passed.Add(int64(n))
			return nil
		}
		take := min(n, lim.Burst())
		now := l.now()
		r := lim.ReserveN(now, take) // take ≤ burst: always OK
		if d := r.DelayFrom(now); d > 0 {
			woken, err := l.sleep(ctx, d, changed)
			if err != nil || woken {
				r.CancelAt(l.now())
			}
			if err != nil {
				return err
			}
			if woken {
				continue // the rate changed: wait again at the new one
			}
		}
		l.passed.Add(int64(take))
		n -= take
	}
	return nil
}

// Passed returns how many bytes the limiter has let through (WaitN, and the
// readers, writers, stores and transports built on it), under any rate or
// none: the bytes sent as they go, for a rate that follows the line rather
// than the objects that finish. A nil Limiter counts nothing.
func (l *Limiter) Passed() int64 {
	if l == nil {
		return 0
	}
	return l.passed.Load()
}

// sleep waits for d, for ctx to end (returning its error) or for wake to
// be closed (returning woken).
func sleep(ctx context.Context, d time.Duration, wake <-chan struct{}) (bool, error) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return false, nil
	case <-wake:
		return true, nil
	case <-ctx.Done():
		return false, ctx.Err()
	}
}
