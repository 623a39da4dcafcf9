//go:build unix

package restore

import (
	"errors"
	"os"

	"golang.org/x/sys/unix"
)

// claim takes an exclusive advisory lock (flock) on the target folder
// itself, so that two restores into one folder cannot delete each other's
// temporary files as leftovers or race on the same names. Nothing is
// written into the folder for it; the lock ends with the returned file,
// or with the process.
func claim(dir string) (*os.File, error) {
	f, err := os.Open(dir)
	if err != nil {
		return nil, err
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, unix.EWOULDBLOCK) {
			return nil, ErrBusy
		}
		// A file system without locks (some network shares) cannot tell;
		// the restore goes on as it would have without the lock.
		return nil, nil
	}
	return f, nil
}
