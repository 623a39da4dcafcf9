package locks

import (
	"os"
	"strings"
)

// processSpace names the process space of this process: the boot (a
// random ID per boot) and the PID namespace, so that a PID in a lock is
// looked up only where it means the same process.
func processSpace() string {
	boot, err := os.ReadFile("/proc/sys/kernel/random/boot_id")
	if err != nil {
		return ""
	}
	ns, err := os.Readlink("/proc/self/ns/pid")
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(boot)) + " " + ns
}
