package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tunesafe/tunesafe/internal/agent"
)

// keysLostPass is the passphrase of the encrypted vaults of these tests.
const keysLostPass = "correct horse battery"

// newEncryptedReviewEnv is newReviewEnv with an encrypted vault in the
// config file, backed up into once: this computer remembers its id-key.
func newEncryptedReviewEnv(t *testing.T) (e *reviewEnv, vault string) {
	t.Helper()
	e = newReviewEnv(t)
	vault = filepath.Join(e.dir, "vault")
	e.writeConfig(`{"vault": "` + vault + `", "paths": ["` + e.music + `"]}`)
	t.Setenv("TUNESAFE_PASSPHRASE", keysLostPass)
	if code, out, errOut := e.run("init", "--encrypt", "--kdf-work", "10", vault); code != 0 {
		t.Fatalf("init: exit %d\n%s%s", code, out, errOut)
	}
	if code, out, errOut := e.run("backup", "--no-progress"); code != 0 {
		t.Fatalf("backup: exit %d\n%s%s", code, out, errOut)
	}
	t.Setenv("TUNESAFE_PASSPHRASE", "")
	if ks, _ := filepath.Glob(filepath.Join(e.dir, "vaults", "*", "id.key")); len(ks) != 1 {
		t.Fatalf("the id-key is not remembered: %v", ks)
	}
	return e, vault
}

// count returns how many files the tree under dir holds.
func count(t *testing.T, dir string) int {
	t.Helper()
	n := 0
	err := filepath.WalkDir(dir, func(_ string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			n++
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// With the vault's key files gone, a computer that remembers the id-key
// refuses to back up (exit 4, the way back in the hint) and stores
// nothing, the agent and status say so, and every other command that
// would need them says the same: no computer keeps the identity, so none
// can write the key files again.
func TestKeysLostRefused(t *testing.T) {
	e, vault := newEncryptedReviewEnv(t)
	if err := os.RemoveAll(filepath.Join(vault, "keys")); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(e.music, "c.flac"), make([]byte, 4000), 0o644); err != nil {
		t.Fatal(err)
	}
	blobs, snapshots := count(t, filepath.Join(vault, "blobs")), count(t, filepath.Join(vault, "snapshots"))
	lost := func(what string, code int, stderr string) {
		t.Helper()
		lines := errorLines(stderr)
		if code != exitIntegrity || len(lines) != 2 || !strings.Contains(lines[0], "keys/ holds no key file") ||
			!strings.HasPrefix(lines[1], "tunesafe: hint: copy the key files") || !strings.Contains(lines[1], "repair --from") {
			t.Errorf("%s: exit %d, want %d\n%s", what, code, exitIntegrity, stderr)
		}
	}
	for _, pass := range []string{"", keysLostPass} {
		t.Setenv("TUNESAFE_PASSPHRASE", pass)
		code, _, errOut := e.run("backup", "--no-progress")
		lost("backup", code, errOut)
		code, _, errOut = e.run("restore", "--to", filepath.Join(e.dir, "out"))
		lost("restore", code, errOut)
	}
	if b, s := count(t, filepath.Join(vault, "blobs")), count(t, filepath.Join(vault, "snapshots")); b != blobs || s != snapshots {
		t.Errorf("the refused backups stored %d blobs and %d snapshots", b-blobs, s-snapshots)
	}

	t.Setenv("TUNESAFE_PASSPHRASE", "")
	code, _, errOut := e.run("agent", "--once")
	lost("agent --once", code, errOut)
	var st agent.Status
	if b, err := os.ReadFile(e.statusFile()); err != nil || json.Unmarshal(b, &st) != nil || st.LastError == nil ||
		!strings.Contains(st.LastError.Message, "keys/ holds no key file") || !strings.HasPrefix(st.LastError.Hint, "copy the key files") {
		t.Errorf("the agent's status does not tell: %v %+v", err, st.LastError)
	}
	code, _, errOut = e.run("status")
	lost("status", code, errOut)

	t.Setenv("TUNESAFE_PASSPHRASE", keysLostPass)
	t.Setenv("TUNESAFE_NEW_PASSPHRASE", "a brand new passphrase")
	code, _, errOut = e.run("passwd", "--kdf-work", "10")
	lost("passwd", code, errOut)
	// repair knows the key file lost, and that no local file gives it
	// back.
	code, out, errOut := e.run("repair")
	if code != exitIntegrity || !strings.Contains(out, "a key file cannot be re-created") {
		t.Errorf("repair: exit %d\n%s%s", code, out, errOut)
	}
}
