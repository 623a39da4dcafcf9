package main

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// A selection that matches nothing in the snapshot is a usage error (exit
// 2), whichever way it is given, and nothing is written.
func TestNothingMatchedIsUsage(t *testing.T) {
	dir := t.TempDir()
	music := filepath.Join(dir, "music", "Sibelius")
	os.MkdirAll(music, 0o755)
	track := filepath.Join(music, "01 Finlandia.mp3")
	os.WriteFile(track, []byte("ID3 not really"), 0o644)
	xml := filepath.Join(dir, "Library.xml")
	os.WriteFile(xml, []byte(fmt.Sprintf(`<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple Computer//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
<key>Major Version</key><integer>1</integer>
<key>Tracks</key><dict>
<key>7</key><dict>
	<key>Track ID</key><integer>7</integer>
	<key>Name</key><string>Finlandia</string>
	<key>Artist</key><string>Sibelius</string>
	<key>Album</key><string>Tone Poems</string>
	<key>Location</key><string>file://%s</string>
</dict>
</dict>
<key>Playlists</key><array>
<dict><key>Name</key><string>Sunday</string><key>Playlist Items</key><array>
	<dict><key>Track ID</key><integer>7</integer></dict>
</array></dict>
</array>
</dict>
</plist>
`, track)), 0o644)
	env := map[string]string{
		"XDG_CONFIG_HOME": filepath.Join(dir, "cfg"), "XDG_STATE_HOME": filepath.Join(dir, "state"),
		"TUNESAFE_PASSPHRASE": "", "TUNESAFE_VAULT": filepath.Join(dir, "vault"),
	}
	if code, _, stderr := tunesafe(t, env, "backup", "--library", xml); code != 0 {
		t.Fatalf("backup: exit %d\n%s", code, stderr)
	}
	out := filepath.Join(dir, "out")
	if code, _, stderr := tunesafe(t, env, "restore", "--to", out, "--artist", "sibelius"); code != 0 {
		t.Fatalf("restore --artist sibelius: exit %d\n%s", code, stderr)
	}
	os.RemoveAll(out)
	for _, args := range [][]string{
		{"restore", "--to", out, "Sibelius/Nothing*"},
		{"restore", "--to", out, "--artist", "Mahler"},
		{"restore", "--to", out, "--album", "Symphonies"},
		{"restore", "--to", out, "--playlist", "Monday"},
		{"ls", "latest", "Sibelius/Nothing"},
		{"ls", "Sibelius/Nothing"},
	} {
		code, stdout, stderr := tunesafe(t, env, args...)
		if lines := errorLines(stderr); code != exitUsage || len(lines) != 2 {
			t.Errorf("%q: exit %d, want %d\n%s%s", args, code, exitUsage, stdout, stderr)
		}
		if _, err := os.Stat(out); err == nil {
			t.Fatalf("%q created the target", args)
		}
	}
}
