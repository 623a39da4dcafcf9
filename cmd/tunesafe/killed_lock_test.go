package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/tunesafe/tunesafe/internal/locks"
)

// A backup killed on this computer left its lock (and a prune killed
// here, its exclusive one): the next backup here removes them, so that a
// prune on another computer, which cannot tell that their holders are
// gone, does not wait for them to go stale.
func TestNextBackupRemovesKilledBackupsLock(t *testing.T) {
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
	killed := plantLock(t, vault, locks.Info{Kind: locks.Backup, Host: host, Space: locks.Space(), PID: dead.Process.Pid, Command: "backup", Started: now, Refreshed: now})
	other := plantLock(t, vault, locks.Info{Kind: locks.Copy, Host: "nas-" + t.Name(), PID: dead.Process.Pid, Command: "copy", Started: now, Refreshed: now})
	music := filepath.Join(filepath.Dir(vault), "music")
	if code, _, stderr := tunesafe(t, env, "backup", "--vault", vault, music); code != exitOK {
		t.Fatalf("backup: %d %s", code, stderr)
	}
	if _, err := os.Stat(killed); !os.IsNotExist(err) {
		t.Errorf("the killed backup's lock is still there: %v", err)
	}
	if _, err := os.Stat(other); err != nil {
		t.Errorf("another computer's lock was removed: %v", err)
	}
}
