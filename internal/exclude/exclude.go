// Package exclude decides which paths a backup leaves out.
//
// Two kinds of paths are left out. The user's patterns say what is not
// worth keeping: ".DS_Store" or "*.tmp" match a file or folder of that
// name anywhere, "~/Music/Podcasts" or "/media/*/Trash" match one place.
// And the program's own files must never be backed up into themselves: a
// folder vault that lies inside the folder being backed up would otherwise
// grow by its own size at every run, and the local state database changes
// while it is read. Those are added with Own and recognised by identity
// (device and inode, via os.SameFile) as well as by path, so that a
// symbolic link or a differently spelled path to the vault does not
// escape.
//
// A folder that is left out is left out with everything below it: the
// backup does not descend into it.
package exclude

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Set is a list of patterns and of the program's own paths. The zero
// value and nil exclude nothing.
type Set struct {
	names []pattern // no separator: matched against a base name
	paths []pattern // with a separator: matched against the absolute path
	own   []own
}

type pattern struct {
	glob    string
	dirOnly bool // written with a trailing separator
}

type own struct {
	path string
	fi   fs.FileInfo // nil when the path did not exist when added
	why  string
}

// New parses patterns. A pattern without a path separator (".DS_Store",
// "*.tmp") matches a file or folder of that name at any depth; one with a
// separator matches an absolute path, and must be absolute or start with
// "~/" (home). A trailing separator matches folders only. Patterns use
// filepath.Match syntax: "*" and "?" do not cross separators. Matching is
// case-sensitive.
func New(patterns []string, home string) (*Set, error) {
	s := &Set{}
	if err := s.Add(patterns, home); err != nil {
		return nil, err
	}
	return s, nil
}

// Add parses more patterns into s, as New does, so that patterns from
// different sources can each report their own errors. On an error, s is
// left with the patterns before the bad one.
func (s *Set) Add(patterns []string, home string) error {
	for _, p := range patterns {
		if err := s.add(p, home); err != nil {
			return err
		}
	}
	return nil
}

func (s *Set) add(p, home string) error {
	orig := p
	if strings.TrimSpace(p) == "" {
		return errors.New("empty exclude pattern")
	}
	// Slashes work everywhere; on Windows they become separators.
	p = filepath.FromSlash(p)
	sep := string(filepath.Separator)
	dirOnly := len(p) > 1 && strings.HasSuffix(p, sep)
	p = strings.TrimRight(p, sep)
	if p == "" {
		return fmt.Errorf("exclude pattern %q would leave out everything", orig)
	}
	if p == "~" || strings.HasPrefix(p, "~"+sep) {
		if home == "" {
			return fmt.Errorf("exclude pattern %q: no home folder to expand ~ to", orig)
		}
		p = filepath.Join(home, p[1:])
	}
	if _, err := filepath.Match(p, ""); err != nil {
		return fmt.Errorf("exclude pattern %q: %w", orig, err)
	}
	if !strings.Contains(p, sep) {
		s.names = append(s.names, pattern{glob: p, dirOnly: dirOnly})
		return nil
	}
	if !filepath.IsAbs(p) {
		return fmt.Errorf("exclude pattern %q: a pattern with a folder in it must be absolute or start with ~/ (a name alone matches at any depth)", orig)
	}
	s.paths = append(s.paths, pattern{glob: filepath.Clean(p), dirOnly: dirOnly})
	return nil
}

// Own adds one of the program's own paths (the vault folder, the local
// state), which is left out with everything below it; why says what it
// is, for messages ("the vault"). A path that does not exist yet is
// matched by name only.
func (s *Set) Own(path, why string) error {
	abs, err := filepath.Abs(path)
	if err != nil {
		return err
	}
	o := own{path: abs, why: why}
	if fi, err := os.Stat(abs); err == nil {
		o.fi = fi
	} else if !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	s.own = append(s.own, o)
	return nil
}

// Match reports whether the backup leaves out path (absolute), whose
// Lstat is fi, and why: "the vault" for one of the program's own paths,
// "matches PATTERN" for the user's.
func (s *Set) Match(path string, fi fs.FileInfo) (why string, excluded bool) {
	if s == nil {
		return "", false
	}
	if why, ok := s.ownPath(path, fi); ok {
		return why, true
	}
	isDir := fi != nil && fi.IsDir()
	name := filepath.Base(path)
	for _, p := range s.names {
		if p.dirOnly && !isDir {
			continue
		}
		if ok, _ := filepath.Match(p.glob, name); ok {
			return "matches " + p.glob, true
		}
	}
	for _, p := range s.paths {
		if p.dirOnly && !isDir {
			continue
		}
		if ok, _ := filepath.Match(p.glob, path); ok {
			return "matches " + p.glob, true
		}
	}
	return "", false
}

func (s *Set) ownPath(path string, fi fs.FileInfo) (string, bool) {
	for _, o := range s.own {
		if path == o.path || (fi != nil && o.fi != nil && os.SameFile(fi, o.fi)) {
			return o.why, true
		}
	}
	return "", false
}

// Within reports whether path (absolute) is one of the program's own
// paths or lies inside one: backing it up is a mistake, not a choice.
func (s *Set) Within(path string) (why string, inside bool) {
	if s == nil {
		return "", false
	}
	for p := filepath.Clean(path); ; p = filepath.Dir(p) {
		fi, err := os.Stat(p)
		if err != nil {
			fi = nil
		}
		if why, ok := s.ownPath(p, fi); ok {
			return why, true
		}
		if parent := filepath.Dir(p); parent == p {
			return "", false
		}
	}
}

// OwnError refuses a source path that is one of the program's own paths
// or lies inside one.
type OwnError struct {
	Path string // as given
	Why  string // what it is, as given to Own
}

func (e *OwnError) Error() string {
	return fmt.Sprintf("cannot back up %s: it is %s, or inside it", e.Path, e.Why)
}

// CheckSource returns an *OwnError when path, a source path as given,
// lies within one of the program's own paths (Within).
func (s *Set) CheckSource(path string) error {
	abs, err := filepath.Abs(path)
	if err != nil {
		return err
	}
	if why, inside := s.Within(abs); inside {
		return &OwnError{Path: path, Why: why}
	}
	return nil
}
