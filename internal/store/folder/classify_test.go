//go:build !windows

package folder_test

import (
	"errors"
	"io/fs"
	"syscall"
	"testing"

	"github.com/tunesafe/tunesafe/internal/store"
	"github.com/tunesafe/tunesafe/internal/store/folder"
)

// TestClassify checks the classes of filesystem errors that a test cannot
// provoke portably (a full disk; permissions, which root ignores).
func TestClassify(t *testing.T) {
	for _, c := range []struct {
		errno     syscall.Errno
		kind      string
		transient bool
	}{
		{syscall.ENOSPC, store.KindDiskFull, false},
		{syscall.EDQUOT, store.KindDiskFull, false},
		{syscall.EACCES, store.KindAccessDenied, false},
		{syscall.EPERM, store.KindAccessDenied, false},
		{syscall.EROFS, store.KindAccessDenied, false},
		{syscall.ETIMEDOUT, store.KindUnreachable, true},
		{syscall.EIO, "", false},
	} {
		err := folder.Classify(&fs.PathError{Op: "write", Path: "/x", Err: c.errno})
		if store.KindOf(err) != c.kind || store.IsTransient(err) != c.transient || !errors.Is(err, c.errno) {
			t.Errorf("%v: kind %q transient %v, want kind %q transient %v",
				c.errno, store.KindOf(err), store.IsTransient(err), c.kind, c.transient)
		}
	}
}
