//go:build aix || darwin || dragonfly || freebsd || linux || netbsd || openbsd || solaris

package restore

import (
	"path/filepath"

	"golang.org/x/sys/unix"

	"github.com/tunesafe/tunesafe/internal/vault"
)

// lchtimesSupported reports whether symlinks get their own mtime.
const lchtimesSupported = true

// lchtimes sets the times of the symlink lp itself, relative to its folder
// opened through the root, so that no symlink on the way is followed.
func (tg *target) lchtimes(lp string, n *vault.Node) error {
	ts, err := unix.TimeToTimespec(n.MTime)
	if err != nil {
		return err
	}
	d, err := tg.root.Open(filepath.Dir(lp))
	if err != nil {
		return local(err)
	}
	defer d.Close()
	return local(unix.UtimesNanoAt(int(d.Fd()), filepath.Base(lp), []unix.Timespec{ts, ts}, unix.AT_SYMLINK_NOFOLLOW))
}
