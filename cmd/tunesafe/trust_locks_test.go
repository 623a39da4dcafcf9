package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/tunesafe/tunesafe/internal/locks"
)

// plantLock writes a lock into a folder vault as another process would.
func plantLock(t *testing.T, vault string, li locks.Info) string {
	t.Helper()
	b, err := json.Marshal(li)
	if err != nil {
		t.Fatal(err)
	}
	name := li.Kind + "-20261125T091600Z-0123456789ab"
	if err := os.WriteFile(filepath.Join(vault, "locks", name), b, 0o644); err != nil {
		t.Fatal(err)
	}
	return filepath.Join(vault, "locks", name)
}

func trustVault(t *testing.T) (env map[string]string, vault string) {
	t.Helper()
	dir := t.TempDir()
	env = map[string]string{
		"XDG_CONFIG_HOME": filepath.Join(dir, "cfg"), "XDG_STATE_HOME": filepath.Join(dir, "state"),
		"XDG_CACHE_HOME": filepath.Join(dir, "cache"), "TUNESAFE_PASSPHRASE": "", "TUNESAFE_VAULT": "",
	}
	music := filepath.Join(dir, "music")
	os.MkdirAll(music, 0o755)
	os.WriteFile(filepath.Join(music, "a.mp3"), []byte("ID3 not really"), 0o644)
	vault = filepath.Join(dir, "vault")
	if code, _, stderr := tunesafe(t, env, "backup", "--vault", vault, music); code != exitOK {
		t.Fatalf("backup: %d %s", code, stderr)
	}
	os.MkdirAll(filepath.Join(vault, "locks"), 0o755)
	return env, vault
}

// A copy killed on this computer left its lock: verify goes ahead at
// once and removes it.
func TestVerifyIgnoresLockOfDeadProcessHere(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("a lock is stale only by its time where the system cannot tell a process is gone")
	}
	env, vault := trustVault(t)
	dead := exec.Command(os.Args[0], "-test.run=^$")
	if err := dead.Run(); err != nil {
		t.Fatal(err)
	}
	host, _ := os.Hostname()
	now := time.Now().UTC()
	key := plantLock(t, vault, locks.Info{Kind: locks.Copy, Host: host, Space: locks.Space(), PID: dead.Process.Pid, Command: "copy", Started: now, Refreshed: now})
	code, _, stderr := tunesafe(t, env, "verify", "--vault", vault)
	if code != exitOK {
		t.Fatalf("verify with a dead copy's lock: %d %s", code, stderr)
	}
	if _, err := os.Stat(key); !os.IsNotExist(err) {
		t.Fatalf("the dead copy's lock is still there: %v", err)
	}
}

// A lock from another computer blocks; the message says since when and
// the last refresh, the hint what blocks and when the lock goes stale.
func TestVerifyBlockedByLiveLockSaysWhat(t *testing.T) {
	env, vault := trustVault(t)
	started := time.Date(2026, 11, 25, 9, 16, 0, 0, time.Local)
	plantLock(t, vault, locks.Info{Kind: locks.Copy, Host: "nas-" + t.Name(), PID: 30702, Command: "copy",
		Started: started.UTC(), Refreshed: time.Now().UTC()})
	code, _, stderr := tunesafe(t, env, "verify", "--vault", vault)
	if code != exitFailure {
		t.Fatalf("verify during a copy: %d %s", code, stderr)
	}
	for _, want := range []string{
		"tunesafe: error: verify: a copy from nas-" + t.Name() + " (pid 30702) holds the vault since 2026-11-25 09:16 (last refreshed ",
		"tunesafe: hint: a verify needs the vault to itself: wait until a copy on nas-" + t.Name() + " has finished",
		"if it died, its lock goes stale at ",
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
	if strings.Contains(stderr, "audit:") || strings.Contains(stderr, "backup") {
		t.Errorf("the message names the wrong command:\n%s", stderr)
	}
}

func TestConflictHintNamesTheHolder(t *testing.T) {
	t0 := time.Date(2026, 11, 25, 9, 16, 0, 0, time.Local)
	for _, c := range []struct {
		ce   locks.ConflictError
		want string
	}{
		{locks.ConflictError{Other: locks.Info{Kind: locks.Backup, Command: "agent", Host: "vm", PID: 5386, Started: t0, Refreshed: t0}, Running: true},
			"wait until the agent's backup (pid 5386 on this computer) has finished, then run this again ('tunesafe status' shows the agent's pass)"},
		{locks.ConflictError{Other: locks.Info{Kind: locks.Backup, Command: "backup", Host: "nas", PID: 7, Started: t0, Refreshed: t0}},
			"wait until a backup on nas has finished, then run this again; if it died, its lock goes stale at 09:46 (30 minutes after its last refresh)"},
		{locks.ConflictError{Other: locks.Info{Kind: locks.Audit, Command: "repair", Host: "nas", PID: 7, Started: t0, Refreshed: t0}},
			"wait until a repair on nas has finished"},
		{locks.ConflictError{Other: locks.Info{Kind: locks.Audit, Command: "agent", Host: "nas", PID: 7, Started: t0, Refreshed: t0}},
			"wait until the agent's integrity check on nas has finished"},
		{locks.ConflictError{Other: locks.Info{Kind: locks.Retain, Host: "nas", PID: 7, Started: t0, Refreshed: t0}},
			"wait until a retain pass on nas has finished"},
	} {
		if got := conflictHint(&c.ce, ""); !strings.HasPrefix(got, c.want) {
			t.Errorf("hint for %+v:\n%s\nwant it to begin\n%s", c.ce.Other, got, c.want)
		}
	}
}
