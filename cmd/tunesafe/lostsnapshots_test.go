package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A snapshot the provider lost is named by the commands that list
// snapshots on a computer that read it before, not silently left out; one
// forgotten on another computer is not.
func TestLostSnapshot(t *testing.T) {
	v := newAuditVault(t, true)
	os.WriteFile(filepath.Join(v.music, "c.mp3"), []byte(strings.Repeat("third track ", 3000)), 0o644)
	v.must("backup", v.music)
	os.WriteFile(filepath.Join(v.music, "d.mp3"), []byte(strings.Repeat("fourth track ", 3000)), 0o644)
	v.must("backup", v.music)
	var snaps []snapshotJSON
	if err := json.Unmarshal([]byte(v.must("snapshots", "--json")), &snaps); err != nil || len(snaps) != 3 {
		t.Fatalf("snapshots: %v %v", snaps, err)
	}
	if code, _, stderr := v.run("snapshots"); code != 0 || strings.Contains(stderr, "warning") {
		t.Fatalf("snapshots of a whole vault: exit %d\n%s", code, stderr)
	}

	// Another computer forgets the oldest; the provider loses the newest.
	if code, stdout, stderr := v.fresh("forget", snaps[0].ID); code != 0 {
		t.Fatalf("forget on another computer: exit %d\n%s%s", code, stdout, stderr)
	}
	newest := snaps[2]
	os.Remove(filepath.Join(v.vault, "snapshots", newest.ID))

	code, stdout, stderr := v.run("snapshots")
	want := "snapshot " + newest.ID[:12] + " ("
	if code != 0 || !strings.Contains(stderr, want) || !strings.Contains(stderr, "is missing from the vault, and its log records no deletion") ||
		strings.Contains(stderr, snaps[0].ID[:12]) || !strings.Contains(stdout, snaps[1].ID[:12]) {
		t.Errorf("snapshots: exit %d\n%s%s", code, stdout, stderr)
	}
	code, stdout, _ = v.run("snapshots", "--json")
	var out []map[string]any
	if err := json.Unmarshal([]byte(stdout), &out); code != 0 || err != nil || len(out) != 2 ||
		out[0]["id"] != newest.ID || out[0]["lost"] == nil || out[1]["id"] != snaps[1].ID {
		t.Errorf("snapshots --json: exit %d, %v\n%s", code, err, stdout)
	}
	// A restore of "latest" says it is not the last backup.
	to := filepath.Join(t.TempDir(), "out")
	if code, stdout, stderr := v.run("restore", "--to", to); code != 0 || !strings.Contains(stderr, want) {
		t.Errorf("restore: exit %d\n%s%s", code, stdout, stderr)
	}
	// So do ls and diff of "latest"; naming a snapshot asks no such thing.
	for _, args := range [][]string{{"ls"}, {"ls", "latest"}, {"diff"}, {"diff", snaps[1].ID[:8], "latest"}} {
		if code, stdout, stderr := v.run(args...); !strings.Contains(stderr, want) {
			t.Errorf("%s: exit %d\n%s%s", strings.Join(args, " "), code, stdout, stderr)
		}
	}
	for _, args := range [][]string{{"ls", snaps[1].ID[:8]}, {"diff", snaps[1].ID[:8], snaps[1].ID[:8]}} {
		if code, stdout, stderr := v.run(args...); code != 0 || strings.Contains(stderr, "missing") {
			t.Errorf("%s: exit %d\n%s%s", strings.Join(args, " "), code, stdout, stderr)
		}
	}
	// The forgotten one's copy is dropped, the lost one's kept.
	code, _, stderr = v.run("snapshots")
	if code != 0 || !strings.Contains(stderr, want) || strings.Count(stderr, "warning") != 1 {
		t.Errorf("snapshots again: exit %d\n%s", code, stderr)
	}
	// A computer that never read it cannot tell; audit can.
	if code, _, stderr := v.fresh("snapshots"); code != 0 || strings.Contains(stderr, "missing") {
		t.Errorf("snapshots on a new computer: exit %d\n%s", code, stderr)
	}
}
