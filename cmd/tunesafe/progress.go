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

// progressSink is where a long command's progress goes, on stderr: a JSON
// event a line with --json, else one status line redrawn in place on a
// terminal, cleared at the end. A nil sink (see progressTo) shows nothing.
type progressSink struct {
	a     *app
	drawn bool
	last  time.Time // of the last update due
}

// due reports whether an update reported by a callback may be shown now:
// at most one a second, and always the final one.
func (s *progressSink) due(final bool) bool {
	now := time.Now()
	if !final && now.Sub(s.last) < time.Second {
		return false
	}
	s.last = now
	return true
}

// progressTo returns the sink for a command's progress, or nil when it is
// disabled (--no-progress) or stderr is no terminal and --json is off.
func (a *app) progressTo(disabled bool) *progressSink {
	if disabled || (!a.json && !a.stderrIsTerminal()) {
		return nil
	}
	return &progressSink{a: a}
}

// show emits the event (with --json; "type": "progress" is added) or draws
// the line.
func (s *progressSink) show(event map[string]any, line string) {
	if s.a.json {
		event["type"] = "progress"
		b, _ := json.Marshal(event)
		fmt.Fprintf(s.a.stderr, "%s\n", b)
		return
	}
	fmt.Fprintf(s.a.stderr, "\r\033[K%s", line)
	s.drawn = true
}

// clear removes the status line, if one was drawn.
func (s *progressSink) clear() {
	if s.drawn {
		fmt.Fprintf(s.a.stderr, "\r\033[K")
		s.drawn = false
	}
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

// eta is the time remaining bytes take at perSec, or "-" when either is
// unknown (zero).
func eta(remaining int64, perSec float64) string {
	if perSec <= 0 || remaining <= 0 {
		return "-"
	}
	return time.Duration(float64(remaining) / perSec * float64(time.Second)).Round(time.Second).String()
}

// backupRate is the rate at which a backup gets through the bytes it has
// still to read: the read rate, or, while reading waits for the uploads
// (on a slow line the window lets one blob at a time be in flight, so
// reads come in bursts minutes apart), the upload rate, which then paces
// it.
func backupRate(read, upload float64) float64 {
	if read > 0 {
		return read
	}
	return upload
}

// showBackupProgress draws a status line on a terminal, or emits JSON
// progress events on stderr with --json.
func (a *app) showBackupProgress(p *backup.Progress, disabled bool) func() {
	sink := a.progressTo(disabled)
	if sink == nil {
		return func() {}
	}
	var readRate, upRate rate
	start := time.Now()
	return ticker(time.Second, func(final bool) {
		if final && !a.json {
			sink.clear()
			return
		}
		read, up := p.BytesRead.Load(), p.BytesUploaded.Load()
		rr, ur := readRate.add(read), upRate.add(up)
		sink.show(map[string]any{
			"phase": p.PhaseName(), "elapsed_s": int(time.Since(start).Seconds()),
			"files_total": p.FilesTotal.Load(), "files_done": p.FilesDone.Load(),
			"bytes_total": p.BytesTotal.Load(), "bytes_to_read": p.BytesToRead.Load(), "bytes_read": read,
			"bytes_uploaded": up, "upload_rate": int64(ur), "read_rate": int64(rr), "warnings": p.Warnings.Load(),
		}, fmt.Sprintf("[%s] %d/%s  read %s/%s  up %s  %s/s  ETA %s",
			p.PhaseName(), p.FilesDone.Load(), plural(p.FilesTotal.Load(), "file", "files"), bytesize.Format(read), bytesize.Format(p.BytesToRead.Load()),
			bytesize.Format(up), bytesize.Format(int64(ur)), eta(p.BytesToRead.Load()-read, backupRate(rr, ur))))
	})
}

// showRestoreProgress is the restore counterpart.
func (a *app) showRestoreProgress(p *restore.Progress, disabled bool) func() {
	sink := a.progressTo(disabled)
	if sink == nil {
		return func() {}
	}
	var r rate
	return ticker(time.Second, func(final bool) {
		if final && !a.json {
			sink.clear()
			return
		}
		done := p.BytesDone.Load()
		perSec := r.add(done)
		sink.show(map[string]any{"files_total": p.FilesTotal.Load(), "files_done": p.FilesDone.Load(),
			"bytes_total": p.BytesTotal.Load(), "bytes_done": done, "rate": int64(perSec)},
			fmt.Sprintf("%d/%s  %s/%s  %s/s  ETA %s", p.FilesDone.Load(), plural(p.FilesTotal.Load(), "file", "files"),
				bytesize.Format(done), bytesize.Format(p.BytesTotal.Load()), bytesize.Format(int64(perSec)), eta(p.BytesTotal.Load()-done, perSec)))
	})
}

// showRetainProgress is the counterpart for the Object Lock retention pass.
func (a *app) showRetainProgress(p *retain.Progress, disabled bool) func() {
	sink := a.progressTo(disabled)
	if sink == nil {
		return func() {}
	}
	return ticker(time.Second, func(final bool) {
		if final && !a.json {
			sink.clear()
			return
		}
		line := fmt.Sprintf("[retain] %d/%s  checked %d  extended %d  failed %d",
			p.Done.Load(), plural(p.Total.Load(), "object", "objects"), p.Checked.Load(), p.Extended.Load(), p.Failed.Load())
		if p.Phase() == retain.PhaseListing {
			line = "[retain] reading the snapshots' trees"
		}
		sink.show(map[string]any{"phase": "retain-" + p.Phase(),
			"objects_total": p.Total.Load(), "objects_done": p.Done.Load(), "checked": p.Checked.Load(),
			"extended": p.Extended.Load(), "failed": p.Failed.Load(), "missing": p.Missing.Load()}, line)
	})
}
