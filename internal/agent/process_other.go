//go:build !unix

package agent

import "os"

// processExists reports whether a process with this PID exists. On
// Windows, FindProcess opens the process and fails if there is none.
func processExists(pid int) bool {
	p, err := os.FindProcess(pid)
	if err != nil {
		return false
	}
	p.Release()
	return true
}
