package backup

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/tunesafe/tunesafe/internal/vault"
)

// CheckNames reports two source paths that would have the same name at the
// root of a snapshot, which holds each source path under its last element
// (rootName): /a/Music and /b/Music cannot both be "Music". The command
// line calls it before it opens or creates the vault; a pass checks again.
func CheckNames(paths []string) error {
	names := map[string]string{}
	for _, p := range paths {
		abs, err := filepath.Abs(p)
		if err != nil {
			return err
		}
		name := vault.RootName(abs)
		if other, dup := names[name]; dup {
			return sameNameError(other, abs, name)
		}
		names[name] = abs
	}
	return nil
}

func sameNameError(a, b, name string) error {
	return fmt.Errorf("%s and %s have the same name %q: back them up to separate vaults or pass their parent", a, b, name)
}

// NameClashError: a file outside the source paths (Options.Files) would be
// stored under a root-tree entry that already holds a source path. Such a
// file is stored under its absolute path, whose first element names its
// entry (SnapshotPath), and a source path under its last element: backing
// up /data/tmp while a library keeps tracks in /tmp, both would be "tmp".
// Neither can move: a source path's entry is what ls, restore and diff of
// earlier snapshots know it by, and a file's absolute path is how a
// restore by playlist (library.View) and ls of an absolute path find it.
// So the clash is refused, not stored in a way no reader expects.
type NameClashError struct {
	File   string // the first file that clashes
	Source string // the source path of the same name
	Name   string // the name they share
	More   int    // how many other files clash, when counted (CheckFiles)
}

func (e *NameClashError) Error() string {
	more := ""
	switch {
	case e.More == 1:
		more = " (and 1 more file)"
	case e.More > 1:
		more = fmt.Sprintf(" (and %d more files)", e.More)
	}
	return fmt.Sprintf("%s%s, outside the paths backed up, would be stored under %q, the name of backed-up path %s", e.File, more, e.Name, e.Source)
}

// CheckFiles reports the files outside the source paths that clash with a
// source path's name (*NameClashError). The command line calls it before a
// pass, which checks again.
func CheckFiles(paths, files []string) error {
	names := map[string]string{}
	for _, p := range paths {
		abs, err := filepath.Abs(p)
		if err != nil {
			return err
		}
		names[vault.RootName(abs)] = abs
	}
	var first *NameClashError
	for _, f := range files {
		abs, err := filepath.Abs(f)
		if err != nil {
			return err
		}
		if _, covered := underPaths(paths, abs); covered {
			continue
		}
		src, clash := outsideClash(names, abs)
		switch {
		case !clash:
		case first == nil:
			first = &NameClashError{File: abs, Source: src, Name: vault.RootName(src)}
		default:
			first.More++
		}
	}
	if first == nil {
		return nil
	}
	return first
}

// outsideClash decides where file abs, outside the source paths, goes
// when its first element is the name of a source path's entry (names maps
// those names to the source paths). When the folder of that name at the
// filesystem root is the source path itself, reached through a symlink
// (/Volumes/Macintosh HD/Users is /Users), abs lies inside it: its walk
// stores abs at the very snapshot path abs gives, and clash is false with
// src set. Otherwise they clash, two folders under one name.
func outsideClash(names map[string]string, abs string) (src string, clash bool) {
	parts := pathParts(abs)
	if len(parts) < 2 {
		return "", false
	}
	src, ok := names[parts[0]]
	if !ok {
		return "", false
	}
	return src, !sameFolder(rootPrefix(abs)+parts[0], src)
}

// sameFolder reports whether the folder at path top (symlinks followed) is
// the source path src, itself a folder and not a symlink to one (a walk
// stores a symlink, not what it leads to).
func sameFolder(top, src string) bool {
	sfi, err := os.Lstat(src)
	if err != nil || !sfi.IsDir() {
		return false
	}
	tfi, err := os.Stat(top)
	return err == nil && os.SameFile(tfi, sfi)
}

// passFolder returns the file info of a folder on the way to a file
// outside the source paths, with symlinks followed: a folder there may be
// a symlink (macOS's /tmp and /var, a folder linked to another disk). The
// file is then stored under the path it was named by, and the link as the
// folder it leads to, as a restore makes it again. Only the folders of
// that one path are followed, and nothing below them is walked: a link
// that loops fails to resolve (a warning), it cannot make the scan loop.
func passFolder(p string) (fs.FileInfo, error) {
	fi, err := os.Stat(p)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return nil, fmt.Errorf("folder %s: %w", p, err)
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("%s is not a folder", p)
	}
	return fi, nil
}
