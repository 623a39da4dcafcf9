package bwlimit

import (
	"context"
	"time"
)

// recheck is the longest Follow sleeps before looking at the clock again.
// Timers run on the monotonic clock, which stops while a laptop is
// suspended and ignores changes of the wall clock and the time zone; waking
// every minute keeps the limit right after a resume or a journey.
const recheck = time.Minute

// Follow sets l to tt's rate now and at every change, until ctx ends. Run
// it in its own goroutine:
//
//	go bwlimit.Follow(ctx, up, tt)
func Follow(ctx context.Context, l *Limiter, tt Timetable) {
	follow(ctx, l, tt, time.Now, sleepCtx)
}

func follow(ctx context.Context, l *Limiter, tt Timetable, now func() time.Time, sleep func(context.Context, time.Duration) error) {
	for {
		t := now()
		rate, _ := tt.RateAt(t)
		l.SetRate(rate)
		d := recheck
		if next := tt.NextChange(t); !next.IsZero() {
			d = min(d, next.Sub(t))
		}
		if sleep(ctx, d) != nil {
			return
		}
	}
}

// sleepCtx waits for d or until ctx ends.
func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
