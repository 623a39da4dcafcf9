package schedule

import (
	"context"
	"errors"
	"time"
)

// Idle reports how long the user has left the keyboard and mouse alone.
type Idle interface {
	IdleTime(ctx context.Context) (time.Duration, error)
}

// Power reports whether the computer runs on battery (or on a UPS).
type Power interface {
	OnBattery(ctx context.Context) (bool, error)
}

// ErrUnknown is wrapped by the errors of Idle and Power implementations
// that cannot find out, with the reason: no graphical session, no tool
// installed, an operating system without support. Callers treat an unknown
// idle time as zero and an unknown power source as mains.
var ErrUnknown = errors.New("unknown")

// Fixed is an Idle and a Power that give fixed answers: a test double, and
// a stand-in on systems where the answers cannot be found out.
type Fixed struct {
	IdleFor time.Duration
	Battery bool
	// Err, if set, is returned by both methods instead.
	Err error
}

// IdleTime returns f.IdleFor, or f.Err.
func (f Fixed) IdleTime(ctx context.Context) (time.Duration, error) {
	if f.Err != nil {
		return 0, f.Err
	}
	return f.IdleFor, ctx.Err()
}

// OnBattery returns f.Battery, or f.Err.
func (f Fixed) OnBattery(ctx context.Context) (bool, error) {
	if f.Err != nil {
		return false, f.Err
	}
	return f.Battery, ctx.Err()
}
