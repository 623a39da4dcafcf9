//go:build !linux

package locks

// processSpace is "" where the system does not name it: the host name
// alone then says whether a lock's PID is this computer's.
func processSpace() string { return "" }
