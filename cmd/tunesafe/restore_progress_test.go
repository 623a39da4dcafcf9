package main

import (
	"encoding/json"
	"path/filepath"
	"testing"
	"time"
)

// TestRestoreProgressSlowLine: on a 36 kB/s download limit, eight files of
// 1 MiB arrive side by side, and none is written before all its bytes
// have come, almost 4 minutes on. The rate and the time left follow the
// bytes as they arrive, in the line and in the JSON event, and do not jump
// when the files are written; bytes_done stays the bytes written and
// verified, and bytes_received says what came.
func TestRestoreProgressSlowLine(t *testing.T) {
	const total, line, batch = 300 << 20, 36_000, 8 << 20
	var m restoreMeter
	t0 := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	at := func(s int) restoreCounters {
		received := int64(s) * line
		return restoreCounters{total: total, done: received / batch * batch, received: received, limit: line}
	}
	figs := map[int]restoreFigures{}
	for s := 0; s <= 300; s++ {
		figs[s] = m.update(t0.Add(time.Duration(s)*time.Second), at(s))
	}
	for _, s := range []int{40, 232, 233, 300} {
		f := figs[s]
		if f.rate != line {
			t.Fatalf("rate %v after %d s receiving %d B/s (%d B written)", f.rate, s, line, at(s).done)
		}
		if want := time.Duration((total - at(s).received) * int64(time.Second) / line); !closeTo(f.eta, want) {
			t.Fatalf("ETA %v after %d s (%d B written), want %v", f.eta, s, at(s).done, want)
		}
	}

	event, text := restoreProgress(300, 0, at(40), figs[40])
	b, _ := json.Marshal(event)
	var ev struct {
		BytesDone     int64 `json:"bytes_done"`
		BytesReceived int64 `json:"bytes_received"`
		Rate          int64 `json:"rate"`
		ETA           int64 `json:"eta_s"`
	}
	if err := json.Unmarshal(b, &ev); err != nil || ev.BytesDone != 0 || ev.BytesReceived != 40*line || ev.Rate != line || ev.ETA <= 0 {
		t.Fatalf("event %s: %v", b, err)
	}
	if want := "0/300 files  0 B/300 MiB  down 1.4 MiB  35.2 KiB/s  ETA 2h25m"; text != want {
		t.Fatalf("line %q, want %q", text, want)
	}
}

// TestRestoreProgressAlreadyCorrect: a restore run again finds its files
// correct and receives nothing: the rate is that of the bytes checked.
func TestRestoreProgressAlreadyCorrect(t *testing.T) {
	var m restoreMeter
	t0 := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	var f restoreFigures
	for s := 0; s <= 10; s++ {
		f = m.update(t0.Add(time.Duration(s)*time.Second), restoreCounters{total: 1e9, done: int64(s) * 50e6})
	}
	if f.rate != 50e6 || !closeTo(f.eta, 10*time.Second) {
		t.Fatalf("rate %v, ETA %v; want 50 MB/s and 10 s", f.rate, f.eta)
	}
}

// TestRestoreProgressJSONCountsReceived: without a download limit the
// restore still counts the bytes it receives from a folder vault as they
// arrive: its last event has received the files' bytes at least.
func TestRestoreProgressJSONCountsReceived(t *testing.T) {
	env, dir := restoreEnv(t)
	code, _, errOut := tunesafe(t, env, "restore", "--to", filepath.Join(dir, "out"), "--json")
	if code != exitOK {
		t.Fatalf("exit %d:\n%s", code, errOut)
	}
	last := lastProgress(errOut)
	done, _ := last["bytes_done"].(float64)
	received, _ := last["bytes_received"].(float64)
	if last == nil || done == 0 || received < done {
		t.Fatalf("last progress event %v", last)
	}
}
