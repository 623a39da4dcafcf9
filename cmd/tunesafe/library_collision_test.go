//go:build unix

package main

import (
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestLibraryOutsideNameClash: a snapshot holds a backed-up folder under
// its last element and a library's track outside it under its absolute
// path, whose first element may be that same name (backing up /data/tmp
// with a track in /tmp). The backup refuses it up front, exit 2, naming
// both and saving nothing; backing up the parent, as the hint says, stores
// every track, and a restore by playlist finds them all, the one reached
// through a symlinked folder too.
func TestLibraryOutsideNameClash(t *testing.T) {
	dir := t.TempDir()
	top := strings.Split(strings.TrimPrefix(dir, "/"), "/")[0] // "tmp" for /tmp/TestX/001
	music := filepath.Join(dir, "data", top)
	inside := filepath.Join(music, "Album", "a.mp3")
	outside := filepath.Join(dir, "ts-anc", "b.mp3")
	linked := filepath.Join(dir, "Linked", "c.mp3") // Linked is a symlink to disk
	for p, content := range map[string]string{inside: "inside track", outside: "outside track", filepath.Join(dir, "disk", "c.mp3"): "linked track"} {
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink(filepath.Join(dir, "disk"), filepath.Join(dir, "Linked")); err != nil {
		t.Fatal(err)
	}
	var tracks, items strings.Builder
	for i, p := range []string{inside, outside, linked} {
		fmt.Fprintf(&tracks, `<key>%d</key><dict><key>Track ID</key><integer>%d</integer><key>Name</key><string>%s</string>`+
			`<key>Track Type</key><string>File</string><key>Location</key><string>%s</string></dict>`+"\n",
			i+1, i+1, filepath.Base(p), (&url.URL{Scheme: "file", Path: p}).String())
		fmt.Fprintf(&items, `<dict><key>Track ID</key><integer>%d</integer></dict>`, i+1)
	}
	xml := filepath.Join(music, "iTunes Library.xml")
	doc := `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple Computer//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
<key>Major Version</key><integer>1</integer>
<key>Tracks</key><dict>
` + tracks.String() + `</dict>
<key>Playlists</key><array>
<dict><key>Name</key><string>Mix</string><key>Playlist Items</key><array>` + items.String() + `</array></dict>
</array>
</dict>
</plist>
`
	if err := os.WriteFile(xml, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	vaultDir := filepath.Join(dir, "vault")
	env := map[string]string{"XDG_CONFIG_HOME": filepath.Join(dir, "cfg"), "XDG_STATE_HOME": filepath.Join(dir, "state"),
		"TUNESAFE_PASSPHRASE": "", "TUNESAFE_VAULT": vaultDir}

	code, _, stderr := tunesafe(t, env, "backup", "--library", xml, music)
	if code != 2 {
		t.Fatalf("backup of %s: exit %d, want 2\n%s", music, code, stderr)
	}
	// The linked track, in /tmp too, is the one more.
	wantErr := fmt.Sprintf("tunesafe: error: %s (and 1 more file), outside the paths backed up, would be stored under %q, the name of backed-up path %s\n", outside, top, music)
	if !strings.Contains(stderr, wantErr) || !strings.Contains(stderr, "tunesafe: hint: ") || !strings.Contains(stderr, "back up "+filepath.Join(dir, "data")+",") {
		t.Fatalf("want\n%sand a hint to back up the parent, got\n%s", wantErr, stderr)
	}
	if snaps, _ := os.ReadDir(filepath.Join(vaultDir, "snapshots")); len(snaps) != 0 {
		t.Fatalf("%d snapshots saved", len(snaps))
	}

	code, _, stderr = tunesafe(t, env, "backup", "--library", xml, filepath.Join(dir, "data"))
	if code != 0 || strings.Contains(stderr, "warning") {
		t.Fatalf("backup of the parent: exit %d\n%s", code, stderr)
	}
	out := filepath.Join(dir, "out")
	if code, _, stderr = tunesafe(t, env, "restore", "--playlist", "Mix", "--to", out); code != 0 {
		t.Fatalf("restore --playlist: exit %d\n%s", code, stderr)
	}
	for p, want := range map[string]string{
		filepath.Join("data", top, "Album", "a.mp3"): "inside track",
		strings.TrimPrefix(outside, "/"):             "outside track",
		strings.TrimPrefix(linked, "/"):              "linked track",
	} {
		if got, err := os.ReadFile(filepath.Join(out, p)); err != nil || string(got) != want {
			t.Errorf("%s: %q, %v; want %q", p, got, err, want)
		}
	}
}
