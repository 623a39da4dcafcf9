package library

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func TestDefaultLocations(t *testing.T) {
	mac := DefaultLocations("darwin", "/Users/u/")
	wantMac := []string{
		"/Users/u/Music/iTunes/iTunes Library.xml",
		"/Users/u/Music/iTunes/iTunes Music Library.xml",
		"/Users/u/Music/Music/Library.xml",
		"/Users/u/Music/iTunes/iTunes Library.itl",
		"/Users/u/Music/iTunes/iTunes Library",
		"/Users/u/Music/Music/Music Library.musiclibrary",
	}
	if !slices.Equal(mac, wantMac) {
		t.Errorf("darwin:\n got %q\nwant %q", mac, wantMac)
	}

	win := DefaultLocations("windows", `C:\Users\u`)
	for _, want := range []string{
		`C:\Users\u\Music\iTunes\iTunes Library.xml`,
		`C:\Users\u\Music\iTunes\iTunes Music Library.xml`,
		`C:\Users\u\Music\iTunes\iTunes Library.itl`,
		`C:\Users\u\My Documents\My Music\iTunes\iTunes Music Library.xml`,
		`C:\Users\u\Music\Apple Music\Apple Music Library.musiclibrary`,
	} {
		if !slices.Contains(win, want) {
			t.Errorf("windows: %q missing from %q", want, win)
		}
	}
	if win[0] != `C:\Users\u\Music\iTunes\iTunes Library.xml` {
		t.Errorf("windows: first candidate %q, want the current XML name", win[0])
	}
	for _, p := range win {
		if filepath.Ext(p) == ".itl" && slices.Index(win, p) < slices.Index(win, `C:\Users\u\My Documents\My Music\iTunes\iTunes Music Library.xml`) {
			t.Errorf("windows: database %q listed before an XML export", p)
		}
	}

	for _, goos := range []string{"linux", "freebsd", ""} {
		if l := DefaultLocations(goos, "/home/u"); len(l) != 0 {
			t.Errorf("%s: %q, want none", goos, l)
		}
	}
}

func TestDatabaseFiles(t *testing.T) {
	dir := t.TempDir()
	files := []string{
		"iTunes Library.itl",
		"iTunes Library.xml",
		"iTunes Music Library.xml",
		"iTunes Library Extras.itdb",
		"iTunes Library Genius.itdb",
		"iTunes Library", // before iTunes 10.4
		"Music Library.musiclibrary/Library.musicdb",
		"Music Library.musiclibrary/Application.musicdb",
		"Music Library.musiclibrary/Library Preferences.musicdb",
		"Music Library.musiclibrary/Extras.itdb",
		"Music Library.musiclibrary/Genius.itdb",
		"Music Library.musiclibrary/sentinel",
		"Music Library.musiclibrary/Artwork/Originals/ab.jpeg",
		"Library.musicdb", // a loose copy
		// Not databases:
		"notes.txt",
		"sentinel",
		"iTunes Media/Music/a.mp3",
		"Album Artwork/Cache/x.itc",
		"Previous iTunes Libraries/iTunes Library 2017-03-27.itl",
		"playlist.xml",
	}
	for _, f := range files {
		p := filepath.Join(dir, filepath.FromSlash(f))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// A symbolic link is not followed.
	if err := os.Symlink(filepath.Join(dir, "iTunes Library.itl"), filepath.Join(dir, "link.itl")); err != nil {
		t.Logf("no symlink: %v", err)
	}

	got, err := DatabaseFiles(dir)
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, f := range files[:14] {
		want = append(want, filepath.Join(dir, filepath.FromSlash(f)))
	}
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("DatabaseFiles:\n got %q\nwant %q", got, want)
	}

	bundle := filepath.Join(dir, "Music Library.musiclibrary")
	got, err = DatabaseFiles(bundle)
	if err != nil || len(got) != 7 || got[0] != filepath.Join(bundle, "Application.musicdb") {
		t.Errorf("DatabaseFiles(bundle) = %q, %v", got, err)
	}

	if _, err := DatabaseFiles(filepath.Join(dir, "missing")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing folder: error %v, want fs.ErrNotExist", err)
	}
}
