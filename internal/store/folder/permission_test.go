//go:build !windows

package folder_test

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/tunesafe/tunesafe/internal/store"
	"github.com/tunesafe/tunesafe/internal/store/folder"
)

// TestPermissionError: a permission problem or a read-only disk is a
// *folder.PermissionError, so that the user hears about the folder and
// not about storage credentials, and it keeps its store kind and errno.
func TestPermissionError(t *testing.T) {
	for _, c := range []struct {
		errno    syscall.Errno
		readOnly bool
	}{
		{syscall.EACCES, false},
		{syscall.EPERM, false},
		{syscall.EROFS, true},
	} {
		err := folder.Classify(&fs.PathError{Op: "open", Path: "/vault/x", Err: c.errno})
		var pe *folder.PermissionError
		if !errors.As(err, &pe) || pe.ReadOnlyDisk != c.readOnly {
			t.Errorf("%v: %#v, want a PermissionError with ReadOnlyDisk %v", c.errno, err, c.readOnly)
		}
		if store.KindOf(err) != store.KindAccessDenied || !errors.Is(err, c.errno) {
			t.Errorf("%v: kind %q", c.errno, store.KindOf(err))
		}
	}
	for _, errno := range []syscall.Errno{syscall.ENOSPC, syscall.ETIMEDOUT, syscall.EIO} {
		var pe *folder.PermissionError
		if errors.As(folder.Classify(&fs.PathError{Op: "open", Path: "/x", Err: errno}), &pe) {
			t.Errorf("%v is not a permission problem", errno)
		}
	}
}

// TestCheckWritable: a folder this user may not write to is reported
// before anything is written, and its objects can still be read.
func TestCheckWritable(t *testing.T) {
	dir := t.TempDir()
	s, err := folder.New(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.CheckWritable(); err != nil {
		t.Fatalf("a fresh folder: %v", err)
	}
	if err := s.Put(t.Context(), "config", []byte("x")); err != nil {
		t.Fatal(err)
	}
	if os.Geteuid() == 0 {
		// Permissions do not bind root; the CLI's TestReadOnlyVault
		// runs this case as an unprivileged user.
		t.Log("running as root: the read-only case is tested by cmd/tunesafe's TestReadOnlyVault")
		return
	}
	if err := os.Chmod(dir, 0o555); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Chmod(dir, 0o755) })
	err = s.CheckWritable()
	var pe *folder.PermissionError
	if !errors.As(err, &pe) || pe.ReadOnlyDisk || store.KindOf(err) != store.KindAccessDenied {
		t.Fatalf("read-only folder: %v", err)
	}
	if _, err := store.ReadAll(t.Context(), s, "config"); err != nil {
		t.Fatalf("read from a read-only folder: %v", err)
	}
	err = s.Put(t.Context(), "blobs/aa", []byte("y"))
	if !errors.As(err, &pe) {
		t.Fatalf("Put into a read-only folder: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "blobs")); err == nil {
		t.Error("the refused Put left a directory")
	}
}
