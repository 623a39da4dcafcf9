package agent

import (
	"context"
	"time"
)

// Clock is the agent's time source. The loop sleeps with Sleep; the
// watcher that runs beside a pass waits with After. A fake for tests can
// make Sleep advance its time at once, and let After fire when the test (or
// a fake pass) advances it.
type Clock interface {
	Now() time.Time
	// Sleep waits for d or until ctx ends, and returns ctx.Err() then.
	Sleep(ctx context.Context, d time.Duration) error
	// After returns a channel that receives the time once d has passed.
	After(d time.Duration) <-chan time.Time
}

// SystemClock returns the system's clock, with now as its notion of the
// current time (nil: time.Now). The command line passes its own now,
// which its tests may fix; the timers are real either way.
func SystemClock(now func() time.Time) Clock {
	if now == nil {
		now = time.Now
	}
	return systemClock{now}
}

type systemClock struct{ now func() time.Time }

func (c systemClock) Now() time.Time { return c.now() }

func (systemClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

func (systemClock) Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
