package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// After a wrong passphrase the hint names every way to give one.
func TestWrongPassphraseHint(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{
		"XDG_CONFIG_HOME": filepath.Join(dir, "cfg"), "XDG_STATE_HOME": filepath.Join(dir, "state"),
		"TUNESAFE_PASSPHRASE": "correct horse battery", "TUNESAFE_VAULT": "",
	}
	vault := filepath.Join(dir, "vault")
	if code, _, stderr := tunesafe(t, env, "init", vault); code != 0 {
		t.Fatalf("init: exit %d\n%s", code, stderr)
	}
	env["TUNESAFE_PASSPHRASE"] = "wrong horse battery"
	os.RemoveAll(filepath.Join(dir, "state")) // a new computer: nothing remembered
	code, _, stderr := tunesafe(t, env, "snapshots", "--vault", vault)
	lines := errorLines(stderr)
	if code != exitPassphrase || len(lines) != 2 {
		t.Fatalf("wrong passphrase: exit %d\n%s", code, stderr)
	}
	for _, way := range []string{"TUNESAFE_PASSPHRASE", "--passphrase-file", "terminal"} {
		if !strings.Contains(lines[1], way) {
			t.Errorf("the hint does not name %s: %s", way, lines[1])
		}
	}
}
