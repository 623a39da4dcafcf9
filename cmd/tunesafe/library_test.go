package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tunesafe/tunesafe/internal/library"
	"github.com/tunesafe/tunesafe/internal/testenv"
)

// TestLibraryBackupAndRestoreByPlaylist backs up a real iTunes library
// export whose paths are remapped onto generated files: tracks inside and
// outside the media folder, one missing file, the database files; then
// restores by playlist (with an .m3u8), by artist, and everything.
func TestLibraryBackupAndRestoreByPlaylist(t *testing.T) {
	xmlSrc := filepath.Join(testenv.Corpus(t, "itunes"), "libpytunes-Test Library.xml")
	dir := t.TempDir()
	home, data := filepath.Join(dir, "home"), filepath.Join(dir, "data")
	remaps := []string{"/Users/nathan=" + home, "/Volumes/data=" + data}

	raw, err := os.ReadFile(xmlSrc)
	if err != nil {
		t.Fatal(err)
	}
	itunes := filepath.Join(home, "Music", "iTunes")
	os.MkdirAll(itunes, 0o755)
	xml := filepath.Join(itunes, "iTunes Library.xml")
	os.WriteFile(xml, raw, 0o644)
	os.WriteFile(filepath.Join(itunes, "iTunes Library.itl"), []byte("binary database"), 0o644)

	lib, err := loadLibrary(libraryOptions{xml: xml, remap: remaps})
	if err != nil {
		t.Fatal(err)
	}
	missingName := "A Good Day to Die Hard (Extended)"
	var outside, made int
	for _, tr := range lib.AllTracks() {
		if !tr.IsLocal() || tr.Name == missingName {
			continue
		}
		p := library.NativePath(tr.Path)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(fmt.Sprintf("track %d %s", tr.ID, tr.PersistentID)), 0o644); err != nil {
			t.Fatal(err)
		}
		made++
		if strings.HasPrefix(p, data) || strings.Contains(p, "Movies") {
			outside++
		}
	}
	if outside == 0 {
		t.Fatal("the corpus should have tracks outside the media folder")
	}
	env := map[string]string{"XDG_CONFIG_HOME": filepath.Join(dir, "cfg"), "XDG_STATE_HOME": filepath.Join(dir, "state"), "TUNESAFE_PASSPHRASE": "", "TUNESAFE_VAULT": filepath.Join(dir, "vault")}
	args := []string{"backup", "--library", xml, "--json"}
	for _, r := range remaps {
		args = append(args, "--library-remap", r)
	}
	code, stdout, stderr := tunesafe(t, env, args...)
	if code != 0 {
		t.Fatalf("backup: exit %d\n%s", code, stderr)
	}
	if !strings.Contains(stderr, "no file for 1 track in your library") || !strings.Contains(stderr, missingName) {
		t.Fatalf("no warning about the missing track:\n%s", stderr)
	}
	// Every track file plus the XML and the .itl.
	if !strings.Contains(stdout, fmt.Sprintf(`"files_new": %d`, made+2)) {
		t.Fatalf("want %d files in the backup:\n%s", made+2, stdout)
	}

	code, stdout, stderr = tunesafe(t, env, "ls", "--playlists")
	if code != 0 || !strings.Contains(stdout, "Films") || !strings.Contains(stdout, "Jazz") {
		t.Fatalf("ls --playlists: %d\n%s%s", code, stdout, stderr)
	}

	out := filepath.Join(dir, "usb")
	code, _, stderr = tunesafe(t, env, "restore", "--playlist", "films", "--m3u8", "--to", out)
	if code != 0 {
		t.Fatalf("restore --playlist: %d\n%s", code, stderr)
	}
	m3u, err := os.ReadFile(filepath.Join(out, "Films.m3u8"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(m3u), "#EXTM3U") || !strings.Contains(string(m3u), "Casino Royale") || strings.Contains(string(m3u), "Die Hard") {
		t.Fatalf("playlist file:\n%s", m3u)
	}
	// The .m3u8 paths lead to the restored files, byte-identical.
	for _, line := range strings.Split(string(m3u), "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		got, err := os.ReadFile(filepath.Join(out, filepath.FromSlash(line)))
		if err != nil {
			t.Fatalf("playlist entry %q: %v", line, err)
		}
		if !strings.HasPrefix(string(got), "track ") {
			t.Fatalf("%s has wrong content", line)
		}
	}

	byArtist := filepath.Join(dir, "nina")
	code, stdout, stderr = tunesafe(t, env, "restore", "--artist", "nina simone", "--to", byArtist, "--json")
	if code != 0 || !strings.Contains(stdout, `"files_restored": 75`) {
		t.Fatalf("restore --artist: %d\n%s%s", code, stdout, stderr)
	}

	all := filepath.Join(dir, "all")
	if code, _, stderr = tunesafe(t, env, "restore", "--to", all); code != 0 {
		t.Fatalf("restore all: %s", stderr)
	}
	for _, tr := range lib.AllTracks() {
		if !tr.IsLocal() || tr.Name == missingName {
			continue
		}
		want, _ := os.ReadFile(library.NativePath(tr.Path))
		rel := strings.TrimPrefix(filepath.ToSlash(library.NativePath(tr.Path)), "/")
		if strings.HasPrefix(library.NativePath(tr.Path), filepath.Join(home, "Music", "iTunes", "iTunes Media")) {
			rel = "iTunes Media/" + strings.TrimPrefix(library.NativePath(tr.Path), filepath.Join(home, "Music", "iTunes", "iTunes Media")+"/")
		}
		got, err := os.ReadFile(filepath.Join(all, filepath.FromSlash(rel)))
		if err != nil || string(got) != string(want) {
			t.Fatalf("track %q not restored at %s: %v", tr.Name, rel, err)
		}
	}
}
