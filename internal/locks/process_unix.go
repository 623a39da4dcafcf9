//go:build unix

package locks

import (
	"errors"
	"syscall"
)

// canTellGone: signal 0 tells whether a process exists.
const canTellGone = true

// processGone reports whether no process with this PID exists: signal 0
// checks without sending anything. Only ESRCH says so; EPERM means it
// exists but belongs to someone else.
func processGone(pid int) bool {
	return pid > 0 && errors.Is(syscall.Kill(pid, 0), syscall.ESRCH)
}
