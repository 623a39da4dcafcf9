//go:build !linux && !darwin && !windows

package schedule

import (
	"fmt"
	"runtime"
)

// SystemIdle returns an Idle that always reports ErrUnknown: this system
// has no supported way to tell.
func SystemIdle() Idle { return Fixed{Err: fmt.Errorf("idle time %w on %s", ErrUnknown, runtime.GOOS)} }

// SystemPower returns a Power that always reports ErrUnknown.
func SystemPower() Power {
	return Fixed{Err: fmt.Errorf("power source %w on %s", ErrUnknown, runtime.GOOS)}
}
