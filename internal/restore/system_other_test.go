//go:build !linux

package restore

import "testing"

// smallDisk skips the test: only Linux tests mount file systems.
func smallDisk(t *testing.T, size int) string {
	t.Skip("mounting a small file system is done on Linux only")
	return ""
}
