package main

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestCommandsDuringABackup: while a backup runs (as the agent's would),
// a second process of the same computer reads the vault (snapshots, ls,
// restore) without touching the running backup's journal, and a second
// writer is refused with a clear message before it writes anything. The
// running backup completes, and the vault's log is whole: verify finds
// nothing lost and nothing foreign.
func TestCommandsDuringABackup(t *testing.T) {
	if testing.Short() {
		t.Skip("takes a few seconds")
	}
	dir := t.TempDir()
	vaultDir := filepath.Join(dir, "vault")
	first, music := filepath.Join(dir, "First"), filepath.Join(dir, "Music")
	os.MkdirAll(first, 0o755)
	os.WriteFile(filepath.Join(first, "a.txt"), []byte("first backup"), 0o644)
	r := rand.New(rand.NewPCG(3, 4))
	for i := range 4 {
		randomFile(filepath.Join(music, fmt.Sprintf("track %d.flac", i)), 1<<20, r)
	}
	env := map[string]string{
		"XDG_CONFIG_HOME": filepath.Join(dir, "cfg"), "XDG_STATE_HOME": filepath.Join(dir, "state"),
		"TUNESAFE_PASSPHRASE": "", "TUNESAFE_VAULT": vaultDir,
	}
	if code, _, stderr := tunesafe(t, env, "init", vaultDir, "--no-encrypt", "--no-default"); code != 0 {
		t.Fatal(stderr)
	}
	if code, _, stderr := tunesafe(t, env, "backup", first); code != 0 {
		t.Fatal(stderr)
	}

	// The running backup: another process, slowed down to take seconds.
	c := exec.Command(tunesafeBinary(t), "backup", "--limit-upload", "1MB", music)
	c.Env = os.Environ()
	for k, v := range env {
		c.Env = append(c.Env, k+"="+v)
	}
	var stderr bytes.Buffer
	c.Stderr = &stderr
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	// Wait until it uploads.
	deadline := time.Now().Add(20 * time.Second)
	for !blobsBeyond(vaultDir, 1) {
		if time.Now().After(deadline) {
			c.Process.Kill()
			t.Fatalf("the backup uploaded nothing: %s", stderr.String())
		}
		time.Sleep(50 * time.Millisecond)
	}

	for _, args := range [][]string{{"snapshots"}, {"ls", "-r"}, {"restore", "--to", filepath.Join(dir, "out")}} {
		if code, _, errOut := tunesafe(t, env, args...); code != 0 {
			t.Errorf("%s during a backup: exit %d\n%s", args[0], code, errOut)
		}
	}
	code, _, errOut := tunesafe(t, env, "backup", first)
	if code != exitFailure || !strings.Contains(errOut, "on this computer is writing to this vault") || !strings.Contains(errOut, "hint: wait until it has finished") {
		t.Errorf("a second backup during a backup: exit %d\n%s", code, errOut)
	}

	if err := c.Wait(); err != nil {
		t.Fatalf("the running backup: %v\n%s", err, stderr.String())
	}
	code, out, errOut := tunesafe(t, env, "verify")
	if code != 0 || !strings.Contains(out, "lost 0,") || !strings.Contains(out, "foreign 0,") {
		t.Fatalf("verify after: exit %d\n%s%s", code, out, errOut)
	}
	if code, out, errOut := tunesafe(t, env, "snapshots"); code != 0 || strings.Count(out, "\n") != 3 {
		t.Fatalf("snapshots after: exit %d\n%s%s", code, out, errOut)
	}
}

// blobsBeyond reports whether the folder vault holds more than n blobs.
func blobsBeyond(vault string, n int) bool {
	m, _ := filepath.Glob(filepath.Join(vault, "blobs", "*", "*"))
	return len(m) > n
}

// randomFile writes n random bytes from r to p, making its folder: audio
// that neither compresses nor deduplicates.
func randomFile(p string, n int, r *rand.Rand) {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	os.MkdirAll(filepath.Dir(p), 0o755)
	os.WriteFile(p, b, 0o644)
}
