package restore

import (
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// A pattern naming a folder restores all of it; a pattern that matches
// nothing is an error naming it, before anything is written.
func TestPatterns(t *testing.T) {
	f := newFixture(t)
	snap := f.snapshot(f.dir("Music", 0o755,
		f.dir("Other", 0o755, f.file("x.flac", 0o644, "x"), f.dir("Live", 0o755, f.file("y.flac", 0o644, "y")), f.dir("Empty", 0o755)),
		f.dir("Sibelius 1", 0o755, f.file("s.flac", 0o644, "s")),
		f.dir("Sibelius 2", 0o755, f.link("l", "../Other/x.flac")),
		f.file("top.mp3", 0o644, "top")))
	for _, tc := range []struct {
		patterns []string
		want     []string // restored entries, or the patterns said to match nothing
		err      bool
	}{
		{[]string{"Music/Other"}, []string{"Music", "Music/Other", "Music/Other/Empty", "Music/Other/Live", "Music/Other/Live/y.flac", "Music/Other/x.flac"}, false},
		{[]string{"Music/Other/"}, []string{"Music", "Music/Other", "Music/Other/Empty", "Music/Other/Live", "Music/Other/Live/y.flac", "Music/Other/x.flac"}, false},
		{[]string{"Music/Sibelius*", "Music/top.mp3"}, []string{"Music", "Music/Sibelius 1", "Music/Sibelius 1/s.flac", "Music/Sibelius 2", "Music/Sibelius 2/l", "Music/top.mp3"}, false},
		{[]string{"Music/Other/Empty"}, []string{"Music", "Music/Other", "Music/Other/Empty"}, false},
		{[]string{"Music/Typo"}, []string{"Music/Typo"}, true},
		{[]string{"Music/Other", "Music/Typo", "music/top.mp3"}, []string{"Music/Typo", "music/top.mp3"}, true},
	} {
		t.Run(strings.Join(tc.patterns, ","), func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "out")
			_, err := f.restore(snap, Options{To: out, Patterns: tc.patterns})
			if tc.err {
				var nm *NoMatchError
				if !errors.As(err, &nm) || !slices.Equal(nm.Patterns, tc.want) {
					t.Fatalf("restore: %v, want a NoMatchError for %q", err, tc.want)
				}
				for _, p := range tc.want {
					if !strings.Contains(err.Error(), p) {
						t.Errorf("message %q does not name %q", err, p)
					}
				}
				if got := entries(t, filepath.Dir(out)); len(got) != 0 {
					t.Errorf("restore with a pattern matching nothing wrote %v", got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := entries(t, out); !slices.Equal(got, tc.want) {
				t.Errorf("restored %q, want %q", got, tc.want)
			}
		})
	}
	if _, err := f.restore(snap, Options{To: t.TempDir(), Patterns: []string{"Music/[a"}}); err == nil || !strings.Contains(err.Error(), "Music/[a") {
		t.Errorf("a malformed pattern: %v", err)
	}
}

// A walk reads a folder's tree only when a pattern may match the folder,
// a folder above it or a path below it; a pattern whose depth cannot be
// told (a class or an escape that could match a slash) reads them all.
func TestBelow(t *testing.T) {
	for _, tc := range []struct {
		pattern  string
		yes, not []string
	}{
		{"Music/Sib*", []string{"Music", "Music/Sibelius 1", "Music/Sibelius 1/Live"}, []string{"Other", "Music/Other", "Music/Other/Sibelius"}},
		{"/Music/Sib*/", []string{"Music", "Music/Sibelius 1"}, []string{"Music/Other"}},
		{"*/Live/*.flac", []string{"Music", "Other/Live", "Other/Live/x.flac"}, []string{"Music/Studio", "Music/Studio/Live"}},
		{"Music/[OP]ther", []string{"Music/Other", "Music/Pther/deep"}, []string{"Music/Sibelius"}},
		{"Music/Ot\\her?", []string{"Music/Others"}, []string{"Music/Other", "Music/Sibelius"}},
		{"Music/[^x]Other", []string{"Music/Sibelius", "Other"}, nil},
		{"Music/[/]", []string{"Music/Sibelius", "Other"}, nil},
		{"Music/[!-@]", []string{"Music/Sibelius", "Other"}, nil},
		{"Music/[^/]/x", []string{"Music/a"}, []string{"Other", "Music/ab"}},
		{"Music\\/Other", []string{"Music", "Other/Live"}, nil},
		{"Music/?", []string{"Music/a"}, []string{"Music/ab"}},
	} {
		s, err := newSelection(Options{Patterns: []string{tc.pattern}})
		if err != nil {
			t.Fatal(err)
		}
		for _, rel := range tc.yes {
			if !s.below(rel) {
				t.Errorf("pattern %q: below(%q) = false", tc.pattern, rel)
			}
		}
		for _, rel := range tc.not {
			if s.below(rel) {
				t.Errorf("pattern %q: below(%q) = true", tc.pattern, rel)
			}
		}
	}
	if s, _ := newSelection(Options{}); !s.below("anything") {
		t.Error("without patterns, below = false")
	}
}
