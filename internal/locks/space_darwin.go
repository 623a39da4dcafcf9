package locks

import "golang.org/x/sys/unix"

// processSpace names this boot of this Mac (kern.bootsessionuuid): a PID
// means the same process only within it, and two Macs of the same host
// name differ in it.
func processSpace() string {
	s, err := unix.Sysctl("kern.bootsessionuuid")
	if err != nil {
		return ""
	}
	return "macos " + s
}
