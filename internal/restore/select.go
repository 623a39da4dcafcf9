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
	matched  []bool
	sel      func(string, *vault.Node) bool
}

func newSelection(o Options) (*selection, error) {
	if err := CheckPatterns(o.Patterns); err != nil {
		return nil, err
	}
	s := &selection{given: o.Patterns, matched: make([]bool, len(o.Patterns)), sel: o.Select}
	for _, p := range o.Patterns {
		s.patterns = append(s.patterns, strings.Trim(path.Clean("/"+p), "/"))
	}
	return s, nil
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

// check returns a NoMatchError for the patterns that matched nothing.
func (s *selection) check() error {
	var none []string
	for i, m := range s.matched {
		if !m {
			none = append(none, s.given[i])
		}
	}
	if len(none) > 0 {
		return &NoMatchError{Patterns: none}
	}
	return nil
}
