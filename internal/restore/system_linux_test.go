package restore

import (
	"fmt"
	"os"
	"syscall"
	"testing"

	"github.com/tunesafe/tunesafe/internal/testenv"
)

// smallDisk mounts a file system of size bytes for the test (root only).
func smallDisk(t *testing.T, size int) string {
	t.Helper()
	dir := t.TempDir()
	if os.Geteuid() != 0 {
		testenv.SkipOrFail(t, "mounting a small file system needs root")
	}
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, fmt.Sprintf("size=%d", size)); err != nil {
		testenv.SkipOrFail(t, "cannot mount a small file system: %v", err)
	}
	t.Cleanup(func() {
		if err := syscall.Unmount(dir, 0); err != nil {
			t.Errorf("unmount %s: %v", dir, err)
		}
	})
	return dir
}
