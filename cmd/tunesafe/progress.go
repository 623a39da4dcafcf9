package main

import (
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/tunesafe/tunesafe/internal/backup"
	"github.com/tunesafe/tunesafe/internal/bytesize"
	"github.com/tunesafe/tunesafe/internal/restore"
	"github.com/tunesafe/tunesafe/internal/retain"
)

// ticker calls fn periodically until the returned stop function is called,
// then once more with final=true.
func ticker(every time.Duration, fn func(final bool)) func() {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-done:
				fn(true)
				return
			case <-t.C:
				fn(false)
			}
		}
	}()
	return func() { close(done); wg.Wait() }
}

// rate measures a transfer rate over a sliding window.
type rate struct {
	samples []sample
}

type sample struct {
	t time.Time
	n int64
}

func (r *rate) add(n int64) float64 {
	now := time.Now()
	r.samples = append(r.samples, sample{now, n})
	for len(r.samples) > 2 && now.Sub(r.samples[0].t) > 20*time.Second {
		r.samples = r.samples[1:]
	}
	first := r.samples[0]
	dt := now.Sub(first.t).Seconds()
	if dt <= 0 {
		return 0
	}
	return float64(n-first.n) / dt
}

func eta(remaining int64, perSec float64) string {
	if perSec <= 0 || remaining <= 0 {
		return "-"
	}
	return time.Duration(float64(remaining) / perSec * float64(time.Second)).Round(time.Second).String()
}

// showBackupProgress draws a status line on a terminal, or emits JSON
// progress events on stderr with --json.
func (a *app) showBackupProgress(p *backup.Progress, disabled bool) func() {
	if disabled || (!a.json && !a.stderrIsTerminal()) {
		return func() {}
	}
	var readRate, upRate rate
	start := time.Now()
	return ticker(time.Second, func(final bool) {
		read, up := p.BytesRead.Load(), p.BytesUploaded.Load()
		rr, ur := readRate.add(read), upRate.add(up)
		remaining := p.BytesToRead.Load() - read
		if a.json {
			ev := map[string]any{
				"type": "progress", "phase": p.PhaseName(), "elapsed_s": int(time.Since(start).Seconds()),
				"files_total": p.FilesTotal.Load(), "files_done": p.FilesDone.Load(),
				"bytes_total": p.BytesTotal.Load(), "bytes_to_read": p.BytesToRead.Load(), "bytes_read": read,
				"bytes_uploaded": up, "upload_rate": int64(ur), "read_rate": int64(rr), "warnings": p.Warnings.Load(),
			}
			b, _ := json.Marshal(ev)
			fmt.Fprintf(a.stderr, "%s\n", b)
			return
		}
		line := fmt.Sprintf("[%s] %d/%d files  read %s/%s  up %s  %s/s  ETA %s",
			p.PhaseName(), p.FilesDone.Load(), p.FilesTotal.Load(), bytesize.Format(read), bytesize.Format(p.BytesToRead.Load()),
			bytesize.Format(up), bytesize.Format(int64(ur)), eta(remaining, rr))
		if final {
			fmt.Fprintf(a.stderr, "\r\033[K")
			return
		}
		fmt.Fprintf(a.stderr, "\r\033[K%s", line)
	})
}

// showRestoreProgress is the restore counterpart.
func (a *app) showRestoreProgress(p *restore.Progress, disabled bool) func() {
	if disabled || (!a.json && !a.stderrIsTerminal()) {
		return func() {}
	}
	var r rate
	return ticker(time.Second, func(final bool) {
		done := p.BytesDone.Load()
		perSec := r.add(done)
		if a.json {
			b, _ := json.Marshal(map[string]any{"type": "progress", "files_total": p.FilesTotal.Load(), "files_done": p.FilesDone.Load(),
				"bytes_total": p.BytesTotal.Load(), "bytes_done": done, "rate": int64(perSec)})
			fmt.Fprintf(a.stderr, "%s\n", b)
			return
		}
		if final {
			fmt.Fprintf(a.stderr, "\r\033[K")
			return
		}
		fmt.Fprintf(a.stderr, "\r\033[K%d/%d files  %s/%s  %s/s  ETA %s", p.FilesDone.Load(), p.FilesTotal.Load(),
			bytesize.Format(done), bytesize.Format(p.BytesTotal.Load()), bytesize.Format(int64(perSec)), eta(p.BytesTotal.Load()-done, perSec))
	})
}

// showRetainProgress is the counterpart for the Object Lock retention pass.
func (a *app) showRetainProgress(p *retain.Progress, disabled bool) func() {
	if disabled || (!a.json && !a.stderrIsTerminal()) {
		return func() {}
	}
	return ticker(time.Second, func(final bool) {
		if a.json {
			b, _ := json.Marshal(map[string]any{"type": "progress", "phase": "retain-" + p.Phase(),
				"objects_total": p.Total.Load(), "objects_done": p.Done.Load(), "checked": p.Checked.Load(),
				"extended": p.Extended.Load(), "failed": p.Failed.Load(), "missing": p.Missing.Load()})
			fmt.Fprintf(a.stderr, "%s\n", b)
			return
		}
		if final {
			fmt.Fprintf(a.stderr, "\r\033[K")
			return
		}
		if p.Phase() == retain.PhaseListing {
			fmt.Fprintf(a.stderr, "\r\033[K[retain] reading the snapshots' trees")
			return
		}
		fmt.Fprintf(a.stderr, "\r\033[K[retain] %d/%d objects  checked %d  extended %d  failed %d",
			p.Done.Load(), p.Total.Load(), p.Checked.Load(), p.Extended.Load(), p.Failed.Load())
	})
}
