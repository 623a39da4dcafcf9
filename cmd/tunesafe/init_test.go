package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestInitNoPassphrase: an encrypted init with no passphrase and no
// terminal exits as a missing passphrase does, and says what creating the
// vault needs, not that an existing vault is encrypted.
func TestInitNoPassphrase(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{
		"XDG_CONFIG_HOME": filepath.Join(dir, "cfg"), "XDG_STATE_HOME": filepath.Join(dir, "state"),
		"TUNESAFE_PASSPHRASE": "", "TUNESAFE_VAULT": "",
	}
	loc := filepath.Join(dir, "v")
	code, _, stderr := tunesafe(t, env, "init", loc, "--encrypt", "--kdf-work", "10")
	if code != exitPassphrase {
		t.Errorf("exit %d, want %d", code, exitPassphrase)
	}
	for _, want := range []string{"tunesafe: error: a passphrase is needed to create an encrypted vault at " + loc + "\n",
		"TUNESAFE_PASSPHRASE", "--passphrase-file", "--no-encrypt"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
}
