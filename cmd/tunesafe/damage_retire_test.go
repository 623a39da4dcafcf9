package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The agent's routine check retires a damage marker whose objects were
// repaired, like a verify by hand: the check after it downloads nothing.
func TestAgentCheckRetiresDamageMarkers(t *testing.T) {
	e := newIntegrityEnv(t, &verifyConfig{Every: "2d"})
	t0 := time.Now()
	vaultDir := filepath.Join(e.dir, "vault")
	if _, stderr, err := e.run(t0, "init", "--no-encrypt", vaultDir); err != nil {
		t.Fatalf("init: %v\n%s", err, stderr)
	}
	if _, stderr, err := e.run(t0, "backup"); err != nil {
		t.Fatalf("backup: %v\n%s", err, stderr)
	}
	// A blob corrupted in place, keeping its size: a deep verify finds it
	// and marks it, and repair puts it back from the file.
	blob := filepath.Join(vaultDir, filepath.FromSlash(plainBlobKey("first track")))
	b, err := os.ReadFile(blob)
	if err != nil {
		t.Fatal(err)
	}
	b[0] ^= 1
	if err := os.WriteFile(blob, b, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.run(t0, "verify", "--deep"); exitCode(err) != exitIntegrity {
		t.Fatalf("verify --deep: exit %d (%v), want %d", exitCode(err), err, exitIntegrity)
	}
	if n := markerCount(t, vaultDir); n != 1 {
		t.Fatalf("%d markers after verify --deep, want 1", n)
	}
	if stdout, stderr, err := e.run(t0, "repair"); err != nil || strings.Contains(stdout, "retired") {
		t.Fatalf("repair: %v\n%s\n%s", err, stdout, stderr)
	}

	_, stderr, err := e.run(t0.Add(3*24*time.Hour), "agent", "--once")
	if err != nil {
		t.Fatalf("pass: %v\n%s", err, stderr)
	}
	if !strings.Contains(stderr, `msg="damage markers retired: nothing named there is damaged any more" markers=1`) {
		t.Fatalf("the agent's check retired no marker:\n%s", stderr)
	}
	if n := markerCount(t, vaultDir); n != 0 {
		t.Fatalf("%d markers after the agent's check, want 0", n)
	}
	// status says the damage reported before is repaired, not only that
	// nothing is lost now.
	stdout, stderr, err := e.run(t0.Add(3*24*time.Hour), "status")
	if err != nil || !regexpMatch(`(?m)^\s*integrity:\s.*nothing lost or damaged; the damage found before is repaired \(1 damage marker retired\)`, stdout) {
		t.Fatalf("status after the retiring check: %v\n%s%s", err, stdout, stderr)
	}
	_, stderr, err = e.run(t0.Add(6*24*time.Hour), "agent", "--once")
	if err != nil || !strings.Contains(stderr, `msg="integrity checked"`) || !strings.Contains(stderr, " downloaded=0 ") ||
		strings.Contains(stderr, "retired") {
		t.Fatalf("the next check: %v, want nothing downloaded\n%s", err, stderr)
	}
	if stdout, stderr, err := e.run(t0.Add(6*24*time.Hour), "status"); err != nil || strings.Contains(stdout, "repaired") || !strings.Contains(stdout, "nothing lost or damaged") {
		t.Fatalf("status after the next check: %v\n%s%s", err, stdout, stderr)
	}
}

// markerCount counts the damage markers in a folder vault.
func markerCount(t *testing.T, vaultDir string) int {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join(vaultDir, "prunes"))
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	n := 0
	for _, e := range entries {
		if strings.Contains(e.Name(), "-damaged-") {
			n++
		}
	}
	return n
}
