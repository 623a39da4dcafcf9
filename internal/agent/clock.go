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

// realClock is the system's clock.
type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }

func (realClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

func (realClock) Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
