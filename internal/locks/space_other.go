//go:build !linux && !darwin

package locks

// processSpace is "" where the system does not name it: the host name
// alone then says whether a lock's PID is this computer's, for locks that
// name no space either.
func processSpace() string { return "" }
