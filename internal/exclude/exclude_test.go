package exclude

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestPatterns(t *testing.T) {
	root := t.TempDir()
	home := filepath.Join(root, "home")
	mkdir := func(p string) string {
		t.Helper()
		p = filepath.Join(root, p)
		if err := os.MkdirAll(p, 0o755); err != nil {
			t.Fatal(err)
		}
		return p
	}
	file := func(p string) string {
		t.Helper()
		p = filepath.Join(root, p)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	s, err := New([]string{".DS_Store", "*.tmp", "Cache/", "~/Music/Podcasts", filepath.ToSlash(root) + "/media/*/Trash"}, home)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		path string
		want string // "" means kept
	}{
		{file("home/Music/A/.DS_Store"), "matches .DS_Store"},
		{file("home/Music/A/01.mp3"), ""},
		{file("home/Music/A/01.mp3.tmp"), "matches *.tmp"},
		{mkdir("home/Music/A/Cache"), "matches Cache"},
		{file("home/Music/A/Cache2/Cache"), ""}, // a file: Cache/ matches folders only
		{mkdir("home/Music/Podcasts"), "matches " + filepath.Join(home, "Music/Podcasts")},
		{mkdir("home/Music/Podcasts2"), ""},
		{mkdir("home/Other/Music/Podcasts"), ""},
		{mkdir("media/usb/Trash"), "matches " + filepath.Join(root, "media/*/Trash")},
		{mkdir("media/usb/deep/Trash"), ""}, // * does not cross a separator
		{file("home/Music/.ds_store"), ""},  // case-sensitive
	} {
		fi, err := os.Lstat(c.path)
		if err != nil {
			t.Fatal(err)
		}
		why, ok := s.Match(c.path, fi)
		if ok != (c.want != "") || why != c.want {
			t.Errorf("Match(%s) = %q, %v; want %q", c.path, why, ok, c.want)
		}
	}
}

func TestBadPatterns(t *testing.T) {
	for _, p := range []string{"", "  ", "/", "[", "Music/Podcasts", "~/[x"} {
		if _, err := New([]string{p}, "/home/u"); err == nil {
			t.Errorf("New(%q): no error", p)
		}
	}
	if _, err := New([]string{"~/Music"}, ""); err == nil || !strings.Contains(err.Error(), "home") {
		t.Errorf("~ without a home: %v", err)
	}
}

func TestNilSetExcludesNothing(t *testing.T) {
	var s *Set
	if _, ok := s.Match("/x", nil); ok {
		t.Error("nil set excluded a path")
	}
	if _, ok := s.Within("/x"); ok {
		t.Error("nil set reported a path inside its own")
	}
}

// The vault is recognised through another spelling of its path, here a
// symbolic link to a parent folder, by its identity.
func TestOwnByIdentity(t *testing.T) {
	root := t.TempDir()
	music := filepath.Join(root, "Music")
	vault := filepath.Join(music, "vault")
	if err := os.MkdirAll(vault, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(music, filepath.Join(root, "link")); err != nil {
		t.Skip("no symbolic links:", err)
	}
	var s Set
	if err := s.Own(filepath.Join(root, "link", "vault"), "the vault"); err != nil {
		t.Fatal(err)
	}
	if err := s.Own(filepath.Join(root, "not-yet"), "the local state"); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Lstat(vault)
	if err != nil {
		t.Fatal(err)
	}
	if why, ok := s.Match(vault, fi); !ok || why != "the vault" {
		t.Errorf("Match(vault) = %q, %v", why, ok)
	}
	mfi, err := os.Lstat(music)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := s.Match(music, mfi); ok {
		t.Error("the folder holding the vault is excluded")
	}
	if why, ok := s.Match(filepath.Join(root, "not-yet"), nil); !ok || why != "the local state" {
		t.Errorf("a missing own path by name: %q, %v", why, ok)
	}
	if why, ok := s.Within(filepath.Join(vault, "blobs", "ab")); !ok || why != "the vault" {
		t.Errorf("Within(inside the vault) = %q, %v", why, ok)
	}
	if _, ok := s.Within(music); ok {
		t.Error("Within(the folder holding the vault) = true")
	}
}

// FuzzPatterns: any pattern is accepted or refused with an error, and an
// accepted one matches any path without panicking.
func FuzzPatterns(f *testing.F) {
	for _, s := range []string{".DS_Store", "*.tmp", "Cache/", "~/Music/Podcasts", "/media/*/Trash", "[", "~", "a\\b"} {
		f.Add(s, "/home/u/Music/A/x.tmp")
	}
	f.Fuzz(func(t *testing.T, p, path string) {
		s, err := New([]string{p}, "/home/u")
		if err != nil {
			return
		}
		s.Match(path, nil)
		s.Match(filepath.Clean("/"+path), nil)
	})
}
