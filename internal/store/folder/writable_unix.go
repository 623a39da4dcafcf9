//go:build !windows

package folder

import "golang.org/x/sys/unix"

// canWrite asks the kernel whether the calling user may write in dir
// (access(2) with W_OK): EACCES for permissions, EROFS for a read-only
// mount. It creates nothing.
func canWrite(dir string) error {
	return unix.Access(dir, unix.W_OK)
}
