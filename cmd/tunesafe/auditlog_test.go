package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// A backup that stores nothing new publishes the log once, at the end,
// not also before its snapshot: the records waiting then are its lock's,
// which the snapshot's checkpoint need not cover. One that stores objects
// publishes before the snapshot too, so that its checkpoint covers them.
func TestSnapshotFlushesOnlyForObjects(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(dir, "cfg"))
	t.Setenv("XDG_STATE_HOME", filepath.Join(dir, "state"))
	t.Setenv("TUNESAFE_PASSPHRASE", "")
	music := filepath.Join(dir, "Music")
	os.MkdirAll(music, 0o755)
	os.WriteFile(filepath.Join(music, "a.flac"), bytes.Repeat([]byte("a"), 100_000), 0o644)
	vaultDir := filepath.Join(dir, "vault")
	entries := func() int {
		t.Helper()
		des, err := os.ReadDir(filepath.Join(vaultDir, "log", "entries"))
		if err != nil {
			t.Fatal(err)
		}
		return len(des)
	}
	backup := func() {
		t.Helper()
		var out, errOut bytes.Buffer
		if code := run([]string{"backup", "--no-progress", "--vault", vaultDir, music}, nil, &out, &errOut); code != 0 {
			t.Fatalf("backup exited %d: %s", code, errOut.String())
		}
	}
	backup()
	before := entries()
	backup()
	if n := entries() - before; n != 1 {
		t.Errorf("a backup with nothing new published the log %d times, want 1", n)
	}
	os.WriteFile(filepath.Join(music, "b.flac"), bytes.Repeat([]byte("b"), 100_000), 0o644)
	before = entries()
	backup()
	if n := entries() - before; n != 2 {
		t.Errorf("a backup that stored objects published the log %d times, want 2", n)
	}
}
