//go:build unix

package restore

import "golang.org/x/sys/unix"

// FreeSpace returns the bytes of the file system of dir that an
// unprivileged user may write (statfs's available blocks, not its free
// ones, which include the blocks reserved for root).
func FreeSpace(dir string) (int64, error) {
	var st unix.Statfs_t
	if err := unix.Statfs(dir, &st); err != nil {
		return 0, err
	}
	return int64(st.Bavail) * int64(st.Bsize), nil //nolint:unconvert // the field types differ between systems
}
