package restore

import (
	"fmt"
	"path"
	"strings"

	"github.com/tunesafe/tunesafe/internal/vault"
)

// CheckPatterns reports the first malformed pattern.
func CheckPatterns(patterns []string) error {
	for _, p := range patterns {
		if _, err := path.Match(p, ""); err != nil {
			return fmt.Errorf("bad pattern %q: %w", p, err)
		}
	}
	return nil
}

// NoMatchError reports patterns that match nothing in the snapshot.
type NoMatchError struct{ Patterns []string }

func (e *NoMatchError) Error() string {
	q := make([]string, len(e.Patterns))
	for i, p := range e.Patterns {
		q[i] = fmt.Sprintf("%q", p)
	}
	if len(q) == 1 {
		return fmt.Sprintf("pattern %s matches nothing in the snapshot", q[0])
	}
	return fmt.Sprintf("patterns %s match nothing in the snapshot", strings.Join(q, ", "))
}

// selection is what Options select, Patterns and Select together, and
// which patterns matched something. A walk uses it from one goroutine.
type selection struct {
	given    []string // Options.Patterns as given, for messages
	patterns []string // the same, cleaned
	// names holds each cleaned pattern split at its slashes (patternNames),
	// or nil for one whose depth is not known.
	names   [][]string
	matched []bool
	// unknown marks the patterns that may match something in a folder
	// whose tree could not be read: whether they match nothing is not
	// known.
	unknown []bool
	sel     func(string, *vault.Node) bool
}

func newSelection(o Options) (*selection, error) {
	if err := CheckPatterns(o.Patterns); err != nil {
		return nil, err
	}
	n := len(o.Patterns)
	s := &selection{given: o.Patterns, matched: make([]bool, n), unknown: make([]bool, n), sel: o.Select}
	for _, p := range o.Patterns {
		p = strings.Trim(path.Clean("/"+p), "/")
		s.patterns = append(s.patterns, p)
		s.names = append(s.names, patternNames(p))
	}
	return s, nil
}

// patternNames splits a cleaned pattern at its slashes. A pattern matches
// whole paths, and its '*' and '?' never match a slash, so a path it
// matches has as many names as the pattern, each matching the pattern's
// name at its place. That is not so when a character class could match a
// slash ("[^a]") or the pattern escapes one ("\/"): patternNames then
// returns nil.
func patternNames(p string) []string {
	var names []string
	start := 0
	for i := 0; i < len(p); i++ {
		switch p[i] {
		case '\\':
			if i+1 < len(p) && p[i+1] == '/' {
				return nil
			}
			i++
		case '[':
			end := classEnd(p, i)
			if end < 0 {
				return nil
			}
			if m, _ := path.Match(p[i:end+1], "/"); m {
				return nil
			}
			i = end
		case '/':
			names = append(names, p[start:i])
			start = i + 1
		}
	}
	return append(names, p[start:])
}

// classEnd returns the index of the ']' that ends the character class
// opening at p[i], or -1.
func classEnd(p string, i int) int {
	i++
	if i < len(p) && p[i] == '^' {
		i++
	}
	for first := true; i < len(p); i, first = i+1, false {
		switch {
		case p[i] == '\\':
			i++
		case p[i] == ']' && !first:
			return i
		}
	}
	return -1
}

// any reports whether anything narrows the selection.
func (s *selection) any() bool { return s.sel != nil || len(s.patterns) > 0 }

// match reports whether rel is selected, and notes the patterns it matches.
func (s *selection) match(rel string, n *vault.Node) bool {
	if s.sel != nil && !s.sel(rel, n) {
		return false
	}
	if len(s.patterns) == 0 {
		return true
	}
	ok := false
	for i, p := range s.patterns {
		for r := rel; r != "." && r != ""; r = path.Dir(r) {
			if m, _ := path.Match(p, r); m {
				s.matched[i], ok = true, true
				break
			}
		}
	}
	return ok
}

// below reports whether the folder rel, or something below it, may be
// selected: whether a walk must read its tree. With no patterns, every
// folder may hold what Select selects.
func (s *selection) below(rel string) bool {
	if len(s.patterns) == 0 {
		return true
	}
	for i := range s.patterns {
		if s.reaches(i, rel) {
			return true
		}
	}
	return false
}

// reaches reports whether pattern i may match the folder rel, a folder
// above it (selecting rel whole) or a path below it: whether the names
// they have in common match.
func (s *selection) reaches(i int, rel string) bool {
	pn := s.names[i]
	if pn == nil {
		return true
	}
	for j, name := range strings.Split(rel, "/") {
		if j == len(pn) {
			break
		}
		if m, _ := path.Match(pn[j], name); !m {
			return false
		}
	}
	return true
}

// unreadable notes that the tree of the folder rel could not be read:
// the patterns that may match something in it are not said to match
// nothing.
func (s *selection) unreadable(rel string) {
	for i := range s.patterns {
		if s.reaches(i, rel) {
			s.unknown[i] = true
		}
	}
}

// check returns a NoMatchError for the patterns that matched nothing.
func (s *selection) check() error {
	var none []string
	for i, m := range s.matched {
		if !m && !s.unknown[i] {
			none = append(none, s.given[i])
		}
	}
	if len(none) > 0 {
		return &NoMatchError{Patterns: none}
	}
	return nil
}
