package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A replica whose first copy did not complete holds objects but no
// snapshots: restore, ls and snapshots say to run the copy again, not to
// back up (a replica is only written by copies).
func TestUnfinishedReplicaSaysCopyAgain(t *testing.T) {
	env, vault := trustVault(t)
	replica := filepath.Join(t.TempDir(), "replica")
	if code, _, stderr := tunesafe(t, env, "copy", "--vault", vault, "--to", replica); code != exitOK {
		t.Fatalf("copy: %d %s", code, stderr)
	}
	// As a copy stopped before its snapshots (step 3) and its checkpoint
	// (step 4).
	for _, p := range []string{"snapshots", filepath.Join("log", "checkpoint")} {
		if err := os.RemoveAll(filepath.Join(replica, p)); err != nil {
			t.Fatal(err)
		}
	}
	env["XDG_STATE_HOME"] = filepath.Join(t.TempDir(), "other") // a computer that knows nothing of it
	for _, args := range [][]string{
		{"restore", "--to", filepath.Join(t.TempDir(), "out")},
		{"ls"},
	} {
		code, _, stderr := tunesafe(t, env, append(args, "--vault", replica)...)
		if code != exitFailure {
			t.Errorf("%s of an unfinished replica: exit %d\n%s", args[0], code, stderr)
		}
		for _, want := range []string{
			"tunesafe: error: this replica's first copy has not completed",
			"tunesafe: hint: run 'tunesafe copy --to " + replica + "' again from the original (--vault " + vault + ")",
		} {
			if !strings.Contains(stderr, want) {
				t.Errorf("%s: stderr lacks %q:\n%s", args[0], want, stderr)
			}
		}
		if strings.Contains(stderr, "back up first") {
			t.Errorf("%s: tells to back up into a replica:\n%s", args[0], stderr)
		}
	}
	code, stdout, stderr := tunesafe(t, env, "snapshots", "--vault", replica)
	if code != exitOK || !strings.Contains(stdout, "this replica's first copy has not completed") {
		t.Errorf("snapshots of an unfinished replica: exit %d\n%s%s", code, stdout, stderr)
	}
}
