package estimate

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/tunesafe/tunesafe/internal/exclude"
)

// Totals counts what a backup of some paths would read.
type Totals struct {
	Files    int64 // regular files
	Bytes    int64 // their total size
	Dirs     int64
	Symlinks int64 // kept as links, never followed; no content to send
	// Skipped counts what a backup skips with a warning: special files
	// (devices, sockets, pipes) and entries that cannot be read.
	Skipped int64
	// Excluded counts the files and folders left out by the exclusions.
	Excluded int64
}

// Scan walks paths the way the backup engine does (internal/backup,
// scan.go): without following symbolic links, counting regular files and
// their sizes, and skipping special files and unreadable entries. A path
// that does not exist or cannot be read is an error, as it is for a
// backup. Bytes is an upper bound of what a first backup sends: identical
// files are counted each time, though the vault stores them once, while
// the vault's own overhead (encryption headers, indexes) is not counted.
// What x excludes is left out, as the backup leaves it out (x may be nil).
func Scan(ctx context.Context, paths []string, x *exclude.Set) (Totals, error) {
	var t Totals
	for _, p := range paths {
		if _, err := os.Lstat(p); err != nil {
			return t, cannotRead(p, err)
		}
		root, err := filepath.Abs(p)
		if err != nil {
			return t, err
		}
		err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if cerr := ctx.Err(); cerr != nil {
				return cerr
			}
			if err != nil {
				if path == root {
					return cannotRead(p, err)
				}
				t.Skipped++ // a directory that cannot be listed
				if d != nil && d.IsDir() {
					return fs.SkipDir
				}
				return nil
			}
			if path != root {
				fi, err := d.Info()
				if err != nil {
					t.Skipped++ // gone since the directory was listed
					return nil
				}
				if _, ok := x.Match(path, fi); ok {
					t.Excluded++
					if d.IsDir() {
						return fs.SkipDir
					}
					return nil
				}
			}
			switch typ := d.Type(); {
			case typ.IsRegular():
				fi, err := d.Info()
				if err != nil {
					t.Skipped++ // gone since the directory was listed
					return nil
				}
				t.Files++
				t.Bytes += fi.Size()
			case typ.IsDir():
				t.Dirs++
			case typ&fs.ModeSymlink != 0:
				t.Symlinks++
			default:
				t.Skipped++
			}
			return nil
		})
		if err != nil {
			return t, err
		}
	}
	return t, nil
}

// cannotRead is the error for a path given to Scan that cannot be read.
// The path is named once: an *fs.PathError would repeat it.
func cannotRead(p string, err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	return fmt.Errorf("cannot read %s: %w", p, err)
}
