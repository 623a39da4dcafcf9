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

// A disk too small for the restore is refused before anything is
// written, with exit 1, one error line naming the target, then a hint.
// A disk that fills up during the restore (here: it runs out of inodes,
// which the free bytes do not tell) stops it with exit 1, one error line
// naming the target, then a hint.
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
	if os.Geteuid() != 0 {
		testenv.SkipOrFail(t, "mounting a small file system needs root")
	}
	mount := func(name, opts string) string {
		out := filepath.Join(dir, name)
		os.Mkdir(out, 0o755)
		if err := syscall.Mount("tmpfs", out, "tmpfs", 0, opts); err != nil {
			testenv.SkipOrFail(t, "cannot mount a small file system: %v", err)
		}
		t.Cleanup(func() {
			if err := syscall.Unmount(out, 0); err != nil {
				t.Errorf("unmount %s: %v", out, err)
			}
		})
		return out
	}

	small := mount("usb", "size=256k")
	code, _, stderr := tunesafe(t, env, "restore", "--to", small)
	lines := strings.Split(strings.TrimSpace(stderr), "\n")
	if code != exitFailure || len(lines) != 2 ||
		!strings.HasPrefix(lines[0], "tunesafe: error: not enough free space for the restore into "+small+": it would write 1.9 MiB, and ") ||
		!strings.HasPrefix(lines[1], "tunesafe: hint: nothing was written; ") {
		t.Fatalf("restore onto a disk too small: exit %d\n%s", code, stderr)
	}
	if des, _ := os.ReadDir(small); len(des) != 0 {
		t.Fatalf("a refused restore wrote %d entries", len(des))
	}

	full := mount("card", "size=8m,nr_inodes=6")
	code, _, stderr = tunesafe(t, env, "restore", "--to", full)
	lines = strings.Split(strings.TrimSpace(stderr), "\n")
	if code != exitFailure || len(lines) != 2 ||
		!strings.HasPrefix(lines[0], "tunesafe: error: cannot restore into "+full+" (at music") ||
		!strings.HasSuffix(lines[0], ": no space left on device") ||
		!strings.HasPrefix(lines[1], "tunesafe: hint: free some space") {
		t.Fatalf("restore onto a disk that fills up: exit %d\n%s", code, stderr)
	}
}
