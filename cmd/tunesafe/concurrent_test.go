package main

import (
	"bytes"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestForgetAndPruneAlongsideBackup runs forget and prune from a second
// computer while a slow backup is running: prune deletes nothing the
// backup needs (it waits for the backup to finish), the two computers'
// records make one log, and every snapshot restores byte for byte. (On
// the backup's own computer a second writer is refused: see
// TestCommandsDuringABackup.)
func TestForgetAndPruneAlongsideBackup(t *testing.T) {
	if testing.Short() {
		t.Skip("runs for several seconds")
	}
	dir := t.TempDir()
	music := filepath.Join(dir, "Music")
	r := rand.New(rand.NewPCG(5, 6))
	write := func(name string, n int) { randomFile(filepath.Join(music, name), n, r) }
	write("old/a.flac", 300<<10)
	write("old/b.flac", 300<<10)
	bin := tunesafeBinary(t)
	vaultDir := filepath.Join(dir, "vault")
	env := append(os.Environ(), "XDG_CONFIG_HOME="+filepath.Join(dir, "cfg"), "XDG_STATE_HOME="+filepath.Join(dir, "state"),
		"TUNESAFE_PASSPHRASE=", "TUNESAFE_VAULT="+vaultDir)
	cmd := func(args ...string) *exec.Cmd {
		c := exec.Command(bin, args...)
		c.Env = env
		return c
	}
	other := append(os.Environ(), "XDG_CONFIG_HOME="+filepath.Join(dir, "cfg2"), "XDG_STATE_HOME="+filepath.Join(dir, "state2"),
		"TUNESAFE_PASSPHRASE=", "TUNESAFE_VAULT="+vaultDir)
	cmd2 := func(args ...string) *exec.Cmd {
		c := exec.Command(bin, args...)
		c.Env = other
		return c
	}
	if out, err := cmd("backup", music).CombinedOutput(); err != nil {
		t.Fatalf("first backup: %v\n%s", err, out)
	}
	// The second backup reuses the old blobs and adds new ones, slowly.
	os.Remove(filepath.Join(music, "old", "b.flac"))
	for i := range 6 {
		write(filepath.Join("new", string(rune('a'+i))+".flac"), 400<<10)
	}
	slow := cmd("backup", "--limit-upload", "600KiB", "--uploaders", "1", music)
	var slowOut bytes.Buffer
	slow.Stdout, slow.Stderr = &slowOut, &slowOut
	if err := slow.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(1500 * time.Millisecond)
	// Forget the first snapshot, making a.flac's and b.flac's blobs look
	// unreferenced to anyone who ignores the running backup.
	out, err := cmd2("forget", "--keep-last", "1", "--json").CombinedOutput()
	if err != nil {
		t.Fatalf("forget: %v\n%s", err, out)
	}
	out, err = cmd2("prune").CombinedOutput()
	if err == nil || !strings.Contains(string(out), "a backup from") {
		t.Fatalf("prune during a backup should refuse, got %v:\n%s", err, out)
	}
	if err := slow.Wait(); err != nil {
		t.Fatalf("slow backup: %v\n%s", err, slowOut.String())
	}
	// Now prune may run; then everything restores.
	if out, err := cmd("prune").CombinedOutput(); err != nil {
		t.Fatalf("prune after the backup: %v\n%s", err, out)
	}
	restored := filepath.Join(dir, "restored")
	if out, err := cmd("restore", "--to", restored).CombinedOutput(); err != nil {
		t.Fatalf("restore: %v\n%s", err, out)
	}
	if d := compareTrees(music, filepath.Join(restored, "Music")); d != "" {
		t.Fatalf("restore differs:\n%s", d)
	}
	if out, err := cmd("audit", "--deep").CombinedOutput(); err != nil {
		t.Fatalf("audit after prune: %v\n%s", err, out)
	}
}
