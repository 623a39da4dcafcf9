package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tunesafe/tunesafe/internal/library"
)

// restoreEnv backs up a small music folder to a folder vault and returns
// the environment for further commands and the work folder.
func restoreEnv(t *testing.T) (map[string]string, string) {
	t.Helper()
	dir := t.TempDir()
	env := map[string]string{
		"XDG_CONFIG_HOME": filepath.Join(dir, "cfg"), "XDG_STATE_HOME": filepath.Join(dir, "state"),
		"TUNESAFE_PASSPHRASE": "", "TUNESAFE_VAULT": filepath.Join(dir, "vault"),
	}
	album := filepath.Join(dir, "music", "Artist", "Album")
	os.MkdirAll(album, 0o755)
	for _, name := range []string{"01.mp3", "02.mp3"} {
		os.WriteFile(filepath.Join(album, name), []byte("ID3 not really "+name), 0o644)
	}
	if code, _, stderr := tunesafe(t, env, "backup", filepath.Join(dir, "music")); code != 0 {
		t.Fatalf("backup: exit %d\n%s", code, stderr)
	}
	return env, dir
}

// errorLines returns the lines of stderr that the command's error printed.
func errorLines(stderr string) []string {
	var out []string
	for _, l := range strings.Split(stderr, "\n") {
		if strings.HasPrefix(l, "tunesafe: error: ") || strings.HasPrefix(l, "tunesafe: hint: ") {
			out = append(out, l)
		}
	}
	return out
}

// A symlink in the target where the snapshot has a folder: exit 1, an
// error naming it, nothing written where it points; --overwrite replaces
// the symlink by the folder.
func TestRestoreSymlinkInTarget(t *testing.T) {
	env, dir := restoreEnv(t)
	out, elsewhere := filepath.Join(dir, "out"), filepath.Join(dir, "elsewhere")
	os.MkdirAll(filepath.Join(out, "music"), 0o755)
	os.Mkdir(elsewhere, 0o700)
	link := filepath.Join(out, "music", "Artist")
	os.Symlink(elsewhere, link)

	code, _, stderr := tunesafe(t, env, "restore", "--to", out)
	lines := errorLines(stderr)
	if code != exitFailure || len(lines) != 2 || lines[0] != "tunesafe: error: music/Artist: a symlink is in the way of the folder (use --overwrite to replace it)" {
		t.Fatalf("restore over a symlinked folder: exit %d\n%s", code, stderr)
	}
	if des, _ := os.ReadDir(elsewhere); len(des) != 0 {
		t.Fatalf("restore wrote through the symlink: %v", des)
	}
	if code, _, stderr := tunesafe(t, env, "restore", "--to", out, "--overwrite"); code != 0 {
		t.Fatalf("restore --overwrite: exit %d\n%s", code, stderr)
	}
	if fi, err := os.Lstat(link); err != nil || !fi.IsDir() {
		t.Fatalf("music/Artist after --overwrite: %v %v", fi, err)
	}
	if b, _ := os.ReadFile(filepath.Join(link, "Album", "01.mp3")); string(b) != "ID3 not really 01.mp3" {
		t.Fatalf("01.mp3 = %q", b)
	}
	if des, _ := os.ReadDir(elsewhere); len(des) != 0 {
		t.Fatalf("restore --overwrite wrote through the symlink: %v", des)
	}
}

// A pattern that matches nothing is a usage error with a hint, and nothing
// is written, even when another pattern matches.
func TestRestorePatternMatchingNothing(t *testing.T) {
	env, dir := restoreEnv(t)
	out := filepath.Join(dir, "out")
	code, stdout, stderr := tunesafe(t, env, "restore", "--to", out, "music/Artist", "music/Artsit")
	lines := errorLines(stderr)
	if code != exitUsage || len(lines) != 2 ||
		lines[0] != `tunesafe: error: pattern "music/Artsit" matches nothing in the snapshot` ||
		!strings.Contains(lines[1], "tunesafe ls -r") {
		t.Fatalf("restore with a pattern matching nothing: exit %d\n%s%s", code, stdout, stderr)
	}
	if _, err := os.Stat(out); err == nil {
		t.Fatal("restore with a pattern matching nothing created the target")
	}
	if code, _, stderr := tunesafe(t, env, "restore", "--to", out, "music/Artist/"); code != 0 {
		t.Fatalf("restore music/Artist/: exit %d\n%s", code, stderr)
	}
	if des, _ := os.ReadDir(filepath.Join(out, "music", "Artist", "Album")); len(des) != 2 {
		t.Fatalf("a pattern naming a folder restored %v", des)
	}
}

// The playlist file is written like the tracks: never through a symlink,
// never over a different file without --overwrite.
func TestRestorePlaylistFile(t *testing.T) {
	dir := t.TempDir()
	victim := filepath.Join(dir, "victim")
	os.WriteFile(victim, []byte("precious"), 0o600)
	out := filepath.Join(dir, "usb")
	os.Mkdir(out, 0o755)
	os.Symlink(victim, filepath.Join(out, "Films.m3u8"))
	tracks := []library.Track{{ID: 1, Name: "Casino Royale"}}
	view := &library.View{Paths: map[int]string{1: "Movies/Casino Royale.m4v"}}
	if err := writePlaylist(out, "Films", tracks, view, false); err == nil {
		t.Fatal("a symlink in the playlist's place was replaced without --overwrite")
	}
	if err := writePlaylist(out, "Films", tracks, view, true); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(victim); string(b) != "precious" {
		t.Fatalf("the playlist was written through the symlink: %q", b)
	}
	fi, err := os.Lstat(filepath.Join(out, "Films.m3u8"))
	b, _ := os.ReadFile(filepath.Join(out, "Films.m3u8"))
	if err != nil || !fi.Mode().IsRegular() || !strings.Contains(string(b), "Casino Royale.m4v") {
		t.Fatalf("Films.m3u8: %v %v\n%s", fi, err, b)
	}
	// The same playlist again is not an error; a different one is, without --overwrite.
	if err := writePlaylist(out, "Films", tracks, view, false); err != nil {
		t.Fatalf("the same playlist again: %v", err)
	}
	view.Paths[1] = "Movies/Other.m4v"
	if err := writePlaylist(out, "Films", tracks, view, false); err == nil {
		t.Fatal("a different playlist replaced the existing one without --overwrite")
	}
}

// A blob the storage damaged fails its file with the integrity exit code
// (4) and a hint that restoring again will not help, to verify and repair
// deeply; the other files are restored.
func TestRestoreDamagedBlob(t *testing.T) {
	env, dir := restoreEnv(t)
	blobs, _ := filepath.Glob(filepath.Join(dir, "vault", "blobs", "*", "*"))
	if len(blobs) == 0 {
		t.Fatal("no blob files in the vault")
	}
	b, err := os.ReadFile(blobs[0])
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)/2] ^= 0x20
	os.WriteFile(blobs[0], b, 0o644)
	out := filepath.Join(dir, "out")
	code, _, stderr := tunesafe(t, env, "restore", "--to", out)
	lines := errorLines(stderr)
	if code != exitIntegrity || len(lines) != 2 || !strings.Contains(lines[0], "music/Artist/Album/0") ||
		!strings.Contains(lines[0], filepath.Base(blobs[0])+" is damaged") || !strings.Contains(lines[1], "running restore again will not help") ||
		!strings.Contains(lines[1], "'tunesafe repair --deep'") {
		t.Fatalf("restore with a damaged blob: exit %d\n%s", code, stderr)
	}
	des, _ := os.ReadDir(filepath.Join(out, "music", "Artist", "Album"))
	if len(des) != 1 {
		t.Fatalf("want the undamaged file restored, and only it: %v", des)
	}
}

// A --to that names a file is refused with a hint, and the file is left as
// it was.
func TestRestoreIntoFile(t *testing.T) {
	env, dir := restoreEnv(t)
	file := filepath.Join(dir, "afile")
	os.WriteFile(file, []byte("mine"), 0o644)
	code, _, stderr := tunesafe(t, env, "restore", "--to", file)
	lines := errorLines(stderr)
	if code == 0 || len(lines) != 2 || !strings.Contains(lines[0], "not a directory") || !strings.Contains(lines[1], "is a file, not a folder") {
		t.Fatalf("restore into a file: exit %d\n%s", code, stderr)
	}
	if b, _ := os.ReadFile(file); string(b) != "mine" {
		t.Fatalf("the file holds %q", b)
	}
}
