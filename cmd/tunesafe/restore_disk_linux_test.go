package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/tunesafe/tunesafe/internal/testenv"
)

// A full disk stops the restore with exit 1 and one error line naming the
// target, then a hint.
func TestRestoreOntoFullDisk(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{
		"XDG_CONFIG_HOME": filepath.Join(dir, "cfg"), "XDG_STATE_HOME": filepath.Join(dir, "state"),
		"TUNESAFE_PASSPHRASE": "", "TUNESAFE_VAULT": filepath.Join(dir, "vault"),
	}
	music := filepath.Join(dir, "music")
	os.MkdirAll(music, 0o755)
	for i := range 30 {
		os.WriteFile(filepath.Join(music, fmt.Sprintf("%02d.wav", i)), []byte(strings.Repeat(fmt.Sprintf("%02d", i), 32<<10)), 0o644)
	}
	if code, _, stderr := tunesafe(t, env, "backup", music); code != 0 {
		t.Fatalf("backup: exit %d\n%s", code, stderr)
	}
	out := filepath.Join(dir, "usb")
	os.Mkdir(out, 0o755)
	if os.Geteuid() != 0 {
		testenv.SkipOrFail(t, "mounting a small file system needs root")
	}
	if err := syscall.Mount("tmpfs", out, "tmpfs", 0, "size=256k"); err != nil {
		testenv.SkipOrFail(t, "cannot mount a small file system: %v", err)
	}
	t.Cleanup(func() {
		if err := syscall.Unmount(out, 0); err != nil {
			t.Errorf("unmount %s: %v", out, err)
		}
	})
	code, _, stderr := tunesafe(t, env, "restore", "--to", out)
	lines := strings.Split(strings.TrimSpace(stderr), "\n")
	if code != exitFailure || len(lines) != 2 ||
		!strings.HasPrefix(lines[0], "tunesafe: error: cannot restore into "+out+" (at music/") ||
		!strings.HasSuffix(lines[0], ": no space left on device") ||
		!strings.HasPrefix(lines[1], "tunesafe: hint: free some space") {
		t.Fatalf("restore onto a full disk: exit %d\n%s", code, stderr)
	}
}
