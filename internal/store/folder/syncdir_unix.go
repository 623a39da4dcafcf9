//go:build !windows

package folder

import (
	"errors"
	"os"
	"syscall"
)

// syncDir makes the entries of dir (a rename, a new file) durable. Some
// filesystems (several FUSE and SMB mounts) cannot fsync a directory and say
// so with EINVAL or ENOTSUP; there the rename is as durable as they allow.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	if errors.Is(err, syscall.EINVAL) || errors.Is(err, syscall.ENOTSUP) {
		return nil
	}
	return err
}
