package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/tunesafe/tunesafe/internal/vaultcopy"
)

// TestProgressSink: with --json every update is one JSON event of type
// "progress" on stderr; without, and with stderr no terminal, nothing is
// shown; a line drawn is cleared once, and only when drawn.
func TestProgressSink(t *testing.T) {
	var errOut bytes.Buffer
	a := newApp(nil, &bytes.Buffer{}, &errOut)
	if a.progressTo(false) != nil {
		t.Fatal("progress shown on a stderr that is no terminal")
	}
	a.json = true
	if a.progressTo(true) != nil {
		t.Fatal("progress shown with --no-progress")
	}
	show, stop := a.showCopyProgress(false)
	show(vaultcopy.Progress{TotalObjects: 4, Objects: 1, TotalBytes: 400, Bytes: 100})
	show(vaultcopy.Progress{TotalObjects: 4, Objects: 2, TotalBytes: 400, Bytes: 200}) // within a second: dropped
	show(vaultcopy.Progress{TotalObjects: 4, Objects: 4, TotalBytes: 400, Bytes: 400}) // the last: always shown
	stop()
	lines := strings.Split(strings.TrimSpace(errOut.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("copy progress events:\n%s", errOut.String())
	}
	var ev struct {
		Type         string `json:"type"`
		ObjectsDone  int64  `json:"objects_done"`
		ObjectsTotal int64  `json:"objects_total"`
		BytesDone    int64  `json:"bytes_done"`
	}
	if err := json.Unmarshal([]byte(lines[1]), &ev); err != nil || ev.Type != "progress" || ev.ObjectsDone != 4 || ev.ObjectsTotal != 4 || ev.BytesDone != 400 {
		t.Fatalf("last copy event %s: %v", lines[1], err)
	}

	// The terminal line: drawn in place, cleared once at the end.
	errOut.Reset()
	a.json = false
	sink := &progressSink{a: a}
	sink.clear()
	if errOut.Len() != 0 {
		t.Fatalf("a line never drawn was cleared: %q", errOut.String())
	}
	sink.show(map[string]any{"records": 3}, "[verify] reading the log: 3 records")
	sink.clear()
	sink.clear()
	if got, want := errOut.String(), "\r\033[K[verify] reading the log: 3 records\r\033[K"; got != want {
		t.Fatalf("terminal output %q, want %q", got, want)
	}
}

// TestETA: an ETA is shown whenever the rate and the bytes remaining are
// known; a backup whose reads wait for a slow upload goes at the upload
// rate.
func TestETA(t *testing.T) {
	for _, c := range []struct {
		remaining int64
		perSec    float64
		want      string
	}{{1000, 10, "1m40s"}, {1000, 0, "-"}, {0, 10, "-"}, {-5, 10, "-"}} {
		if got := eta(c.remaining, c.perSec); got != c.want {
			t.Errorf("eta(%d, %v) = %q, want %q", c.remaining, c.perSec, got, c.want)
		}
	}
	if got := eta(36_000*60, backupRate(0, 36_000)); got != "1m0s" {
		t.Errorf("backup waiting for its uploads: ETA %q, want 1m0s", got)
	}
	if got := backupRate(50, 10); got != 50 {
		t.Errorf("backupRate(50, 10) = %v, want the read rate", got)
	}
}
