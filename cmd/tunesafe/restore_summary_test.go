package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// restore --json says which snapshot it restored from (ID, host, time),
// what the selection holds, the folders in place and how many entries
// failed; the human summary says the same.
func TestRestoreJSONSummary(t *testing.T) {
	env, dir := restoreEnv(t)
	code, stdout, stderr := tunesafe(t, env, "snapshots", "--json")
	var snaps []struct {
		ID   string    `json:"id"`
		Host string    `json:"host"`
		Time time.Time `json:"time"`
	}
	if code != 0 || json.Unmarshal([]byte(stdout), &snaps) != nil || len(snaps) != 1 {
		t.Fatalf("snapshots --json: exit %d\n%s%s", code, stdout, stderr)
	}
	type summary struct {
		Snapshot      string    `json:"snapshot_id"`
		Host          string    `json:"snapshot_host"`
		Time          time.Time `json:"snapshot_time"`
		Files         int64     `json:"files"`
		Dirs          int64     `json:"dirs"`
		FilesSelected int64     `json:"files_selected"`
		BytesSelected int64     `json:"bytes_selected"`
		Failed        *int64    `json:"failed"`
	}
	out := filepath.Join(dir, "out")
	code, stdout, stderr = tunesafe(t, env, "restore", "--to", out, "--json")
	var s summary
	if code != 0 || json.Unmarshal([]byte(stdout), &s) != nil {
		t.Fatalf("restore --json: exit %d\n%s%s", code, stdout, stderr)
	}
	size := int64(len("ID3 not really 01.mp3") * 2)
	if s.Snapshot != snaps[0].ID || s.Host != snaps[0].Host || s.Host == "" || !s.Time.Equal(snaps[0].Time) ||
		s.Files != 2 || s.Dirs != 3 || s.FilesSelected != 2 || s.BytesSelected != size || s.Failed == nil || *s.Failed != 0 {
		t.Fatalf("restore --json:\n%s", stdout)
	}

	os.WriteFile(filepath.Join(out, "music", "Artist", "Album", "02.mp3"), []byte("another"), 0o644)
	code, stdout, stderr = tunesafe(t, env, "restore", "--to", out, "--json")
	s = summary{}
	if code != exitFailure || json.Unmarshal([]byte(stdout), &s) != nil || s.Failed == nil || *s.Failed != 1 || s.Files != 1 || s.Dirs != 3 || s.FilesSelected != 2 {
		t.Fatalf("restore --json over a different file: exit %d\n%s%s", code, stdout, stderr)
	}
	code, stdout, stderr = tunesafe(t, env, "restore", "--to", out)
	if code != exitFailure || !strings.Contains(stdout, "(1 already correct), 3 folders, from snapshot "+snaps[0].ID[:12]) ||
		!strings.Contains(stdout, "not restored: 1 file or folder (of 2 files selected)") {
		t.Fatalf("restore over a different file: exit %d\n%s%s", code, stdout, stderr)
	}
}
