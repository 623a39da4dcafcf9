package restore

import (
	"errors"
	"os"

	"github.com/tunesafe/tunesafe/internal/flock"
)

// claim takes an exclusive lock (package flock) on the target folder
// itself, so that two restores into one folder cannot delete each other's
// temporary files as leftovers or race on the same names. Nothing is
// written into the folder for it; the lock ends with the returned file,
// or with the process.
func claim(dir string) (*os.File, error) {
	f, err := os.Open(dir)
	if err != nil {
		return nil, err
	}
	if err := flock.TryLock(f); err != nil {
		f.Close()
		if errors.Is(err, flock.ErrBusy) {
			return nil, ErrBusy
		}
		return nil, err
	}
	return f, nil
}
