//go:build unix

package main

import (
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// ancestorsLibrary writes a library whose XML, in the backed-up folder
// home/Music, lists a track there and one outside it, in shared/x: shared
// is world-writable and sticky (as /tmp), x setgid and world-writable.
// Inside Music, folders have modes of their own, a setgid one too. It
// returns the XML's path and the outside track's.
func ancestorsLibrary(t *testing.T, dir string) (xml, outside string) {
	t.Helper()
	music := filepath.Join(dir, "home", "Music")
	inside := filepath.Join(music, "Album", "a.mp3")
	outside = filepath.Join(dir, "shared", "x", "b.mp3")
	for p, content := range map[string]string{inside: "inside track", outside: "outside track"} {
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.MkdirAll(filepath.Join(music, "Shared"), 0o755); err != nil {
		t.Fatal(err)
	}
	track := func(id int, p string) string {
		return fmt.Sprintf(`<key>%d</key><dict><key>Track ID</key><integer>%d</integer><key>Name</key><string>%s</string>`+
			`<key>Track Type</key><string>File</string><key>Location</key><string>%s</string></dict>`,
			id, id, filepath.Base(p), (&url.URL{Scheme: "file", Path: p}).String())
	}
	xml = filepath.Join(music, "iTunes Library.xml")
	doc := `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple Computer//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
<key>Major Version</key><integer>1</integer>
<key>Music Folder</key><string>` + (&url.URL{Scheme: "file", Path: music + "/"}).String() + `</string>
<key>Tracks</key><dict>
` + track(1, inside) + "\n" + track(2, outside) + `
</dict>
<key>Playlists</key><array></array>
</dict>
</plist>
`
	if err := os.WriteFile(xml, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	for p, m := range map[string]fs.FileMode{
		music:                          0o750,
		filepath.Join(music, "Album"):  0o705,
		filepath.Join(music, "Shared"): 0o775 | fs.ModeSetgid,
		filepath.Join(dir, "shared"):   0o777 | fs.ModeSticky,
		filepath.Dir(outside):          0o777 | fs.ModeSetgid,
	} {
		if err := os.Chmod(p, m); err != nil {
			t.Fatal(err)
		}
	}
	return xml, outside
}

// modeOf returns p's type and permission bits, special bits included.
func modeOf(t *testing.T, p string) fs.FileMode {
	t.Helper()
	fi, err := os.Lstat(p)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Mode()
}

// TestRestoreAncestorFolders: a track the library keeps outside the
// backed-up folder comes back under the folders of its absolute path.
// Those folders were not backed up, only passed through: the restore makes
// them as mkdir -p would, not world-writable, sticky or setgid as they are
// here, and leaves existing ones as it finds them. Backed-up folders get
// their recorded modes exactly, special bits included; a second restore
// finds everything in place.
func TestRestoreAncestorFolders(t *testing.T) {
	// The outside track's path, with no symlink on the way (macOS's /var),
	// for the restore in place at the end.
	dir, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	xml, outside := ancestorsLibrary(t, dir)
	env := map[string]string{"XDG_CONFIG_HOME": filepath.Join(dir, "cfg"), "XDG_STATE_HOME": filepath.Join(dir, "state"),
		"TUNESAFE_PASSPHRASE": "", "TUNESAFE_VAULT": filepath.Join(dir, "vault")}
	if code, _, stderr := tunesafe(t, env, "backup", "--library", xml, filepath.Join(dir, "home", "Music")); code != 0 {
		t.Fatalf("backup: exit %d\n%s", code, stderr)
	}
	rel := strings.TrimPrefix(outside, "/")            // the outside track's path in the snapshot
	ancestors := strings.Split(filepath.Dir(rel), "/") // the folders above it, from the top

	out := filepath.Join(dir, "out")
	for run := range 2 {
		code, stdout, stderr := tunesafe(t, env, "restore", "--to", out, "--json")
		if code != 0 {
			t.Fatalf("restore %d: exit %d\n%s", run+1, code, stderr)
		}
		// The two tracks and the XML.
		want := []string{`"files_restored": 3`, `"files_already_correct": 0`}
		if run == 1 {
			want = []string{`"files_restored": 0`, `"files_already_correct": 3`}
		}
		for _, w := range want {
			if !strings.Contains(stdout, w) {
				t.Errorf("restore %d: no %s in\n%s", run+1, w, stdout)
			}
		}
		if strings.Contains(stderr, "tunesafe:") {
			t.Errorf("restore %d: stderr:\n%s", run+1, stderr)
		}
	}
	// What mkdir -p makes in the target: 0755 less the umask, with what
	// the target's folder passes on.
	ref := filepath.Join(out, "mkdir-p")
	if err := os.Mkdir(ref, 0o755); err != nil {
		t.Fatal(err)
	}
	plain := modeOf(t, ref)
	for i := range ancestors {
		p := filepath.Join(out, filepath.Join(ancestors[:i+1]...))
		if m := modeOf(t, p); m != plain {
			t.Errorf("%s: mode %v, want %v as mkdir -p makes it", p, m, plain)
		}
	}
	if got, err := os.ReadFile(filepath.Join(out, rel)); err != nil || string(got) != "outside track" {
		t.Errorf("outside track: %q, %v", got, err)
	}
	for p, m := range map[string]fs.FileMode{
		"Music":        fs.ModeDir | 0o750,
		"Music/Album":  fs.ModeDir | 0o705,
		"Music/Shared": fs.ModeDir | fs.ModeSetgid | 0o775,
		rel:            0o644,
	} {
		if got := modeOf(t, filepath.Join(out, p)); got != m {
			t.Errorf("%s: mode %v, want %v as backed up", p, got, m)
		}
	}

	// Folders found on the way are left as they are, mode and time, even
	// one the owner may not write to (given write access while the
	// restore writes into it, and its mode back after).
	out2 := filepath.Join(dir, "out2")
	top, last := filepath.Join(out2, ancestors[0]), filepath.Join(out2, filepath.Dir(rel))
	if err := os.MkdirAll(last, 0o700); err != nil {
		t.Fatal(err)
	}
	old := time.Date(2001, 2, 3, 4, 5, 6, 0, time.UTC)
	os.Chmod(top, 0o751)
	os.Chtimes(top, old, old)
	os.Chmod(last, 0o500)
	t.Cleanup(func() { os.Chmod(last, 0o700) })
	if code, _, stderr := tunesafe(t, env, "restore", "--to", out2); code != 0 || stderr != "" {
		t.Fatalf("restore into existing folders: exit %d\n%s", code, stderr)
	}
	if m := modeOf(t, top); m != fs.ModeDir|0o751 {
		t.Errorf("%s: mode %v, want it as found (drwxr-x--x)", top, m)
	}
	if fi, err := os.Stat(top); err != nil || !fi.ModTime().Equal(old) {
		t.Errorf("%s: time changed (%v)", top, err)
	}
	if m := modeOf(t, last); m != fs.ModeDir|0o500 {
		t.Errorf("%s: mode %v, want it as found (dr-x------)", last, m)
	}
	if got, err := os.ReadFile(filepath.Join(out2, rel)); err != nil || string(got) != "outside track" {
		t.Errorf("outside track in existing folders: %q, %v", got, err)
	}

	// In place: restored to / by its own path, the outside track is found
	// correct, and the folders above it are left as they are now, though
	// the user changed them since the backup.
	shared := filepath.Join(dir, "shared")
	os.Chmod(shared, 0o755)
	os.Chtimes(shared, old, old)
	code, stdout, stderr := tunesafe(t, env, "restore", "--to", "/", "--json", outside)
	if code != 0 || strings.Contains(stderr, "tunesafe:") || !strings.Contains(stdout, `"files_already_correct": 1`) {
		t.Fatalf("restore in place: exit %d\n%s%s", code, stdout, stderr)
	}
	if m := modeOf(t, shared); m != fs.ModeDir|0o755 {
		t.Errorf("%s: mode %v, want it as the user left it (drwxr-xr-x)", shared, m)
	}
	if fi, err := os.Stat(shared); err != nil || !fi.ModTime().Equal(old) {
		t.Errorf("%s: time changed (%v)", shared, err)
	}
}
