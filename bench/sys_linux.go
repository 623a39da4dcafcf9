package main

import (
	"os"
	"syscall"
)

// peakRSS returns the maximum resident set size of an exited child in
// bytes (Linux reports ru_maxrss in KiB), or 0 if unknown.
func peakRSS(ps *os.ProcessState) int64 {
	if ps == nil {
		return 0
	}
	if ru, ok := ps.SysUsage().(*syscall.Rusage); ok {
		return ru.Maxrss * 1024
	}
	return 0
}

// flushDisks writes dirty pages out before a measured command, so that no
// command pays for the writeback of the previous one's data (or of the
// library copy).
func flushDisks() { syscall.Sync() }
