package main

import (
	"encoding/json"
	"fmt"
	"math"
	"sync"
	"time"

	"github.com/tunesafe/tunesafe/internal/backup"
	"github.com/tunesafe/tunesafe/internal/bwlimit"
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

func (r *rate) add(n int64) float64 { return r.addAt(time.Now(), n) }

// addAt records that n bytes had been transferred at now, and returns the
// rate over the last 20 seconds (at least the last two samples).
func (r *rate) addAt(now time.Time, n int64) float64 {
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

// eta is the time remaining bytes take at perSec (formatETA), or "-" when
// either is unknown (zero).
func eta(remaining int64, perSec float64) string {
	if perSec <= 0 || remaining <= 0 {
		return "-"
	}
	return formatETA(time.Duration(float64(remaining) / perSec * float64(time.Second)))
}

// formatETA prints a time left for a progress line: "-" when unknown
// (zero or less), "<1m" under a minute, else in hours and minutes
// (formatHours), so that no ETA reads "0m" or "0s" while work remains.
func formatETA(d time.Duration) string {
	switch {
	case d <= 0:
		return "-"
	case d < time.Minute:
		return "<1m"
	}
	return formatHours(d)
}

// backupCounters is one reading of a running backup's counters.
type backupCounters struct {
	// toRead and read are the source bytes the pass reads, and has read.
	toRead, read int64
	// sent is the bytes sent to the vault since the pass began, as they
	// go (see showBackupProgress).
	sent int64
	// remaining is an upper bound of the source bytes not yet stored
	// (backupRemaining).
	remaining int64
	// limit is the upload limit in force, in bytes per second; 0 for none.
	limit int64
	// stopping: a limit or an interrupt stopped the pass
	// (backup.Progress.Stopping); what is left of it is the uploads under
	// way, inFlight bytes of pieces, of which uploaded ones have ended
	// (backup.Progress.BytesInFlight, BytesUploaded).
	stopping           bool
	inFlight, uploaded int64
}

// backupFigures are the rates and the time left that a backup's progress
// shows.
type backupFigures struct {
	readRate, sendRate float64 // bytes per second
	eta                time.Duration
}

// backupMeter turns successive readings of a backup's counters into rates
// and a time left. The zero value is ready to use.
type backupMeter struct {
	read, sent rate
}

// update takes a reading made at now. The pass ends when its last byte
// has been read and its last piece sent, and the two go on side by side,
// so the time left is the later of two, each at its own rate:
//
//   - reading: the bytes still to read at the read rate;
//   - sending: the bytes still to store (an upper bound, see
//     backup.Progress.Remaining) times the share of the bytes stored so
//     far that had to be sent (at most 1, and 1 while nothing is stored
//     yet; the rest was in the vault already), at the send rate.
//
// A pass that is stopping sends no new piece: what it has left is the
// uploads under way, then its checkpoint's trees. Its time left is that of
// the bytes of the pieces in flight not yet sent, at the send rate: the
// bytes sent less those of the uploads that have ended stand for what of
// them has gone (they also count a little that is no piece's: the vault's
// log, a checkpoint's snapshot), and the trees, small, are not counted.
// The time the whole backup would take is not what the line is doing.
//
// On a slow line the readers run far ahead of the uploads and the sending
// term rules: its rate is that of the line, steady where the reads come in
// bursts as the uploads make room. When everything is in the vault already
// (a moved library, a lost cache) next to nothing is sent, and the reading
// term rules: the share keeps the metadata a checkpoint sends from
// passing for a line that has hundreds of gigabytes to carry. A term whose
// rate is zero (nothing moved in the window: a stall, a retry, reads that
// wait for the uploads) or that has nothing left is left out; with neither
// term, the ETA is 0, unknown.
func (m *backupMeter) update(now time.Time, c backupCounters) backupFigures {
	f := backupFigures{readRate: m.read.addAt(now, c.read), sendRate: m.sent.addAt(now, c.sent)}
	if c.limit > 0 {
		// A window that begins just before one bucket of the limiter
		// and ends just after another measures a little more than the
		// limit lets through on average.
		f.sendRate = min(f.sendRate, float64(c.limit))
	}
	timeFor := func(bytes, perSec float64) time.Duration {
		if bytes <= 0 || perSec <= 0 {
			return 0
		}
		return time.Duration(bytes / perSec * float64(time.Second))
	}
	if c.stopping {
		f.eta = timeFor(float64(max(c.inFlight-(c.sent-c.uploaded), 0)), f.sendRate)
		return f
	}
	share := 1.0
	if stored := c.toRead - c.remaining; stored > 0 {
		share = min(float64(c.sent)/float64(stored), 1)
	}
	f.eta = max(timeFor(float64(c.toRead-c.read), f.readRate), timeFor(float64(c.remaining)*share, f.sendRate))
	return f
}

// backupRemaining is the bytes a pass has still to store, given the bytes
// it has sent as they go: an upper bound, backup.Progress.RemainingSent
// once the scan has ended; before, the bytes to read less those sent stand
// in (as in the agent's status), never the bytes not yet read. Both follow
// an upload as its bytes go, not only as each piece ends.
func backupRemaining(p *backup.Progress, sent int64) int64 {
	if _, bytes, ok := p.RemainingSent(sent); ok {
		return bytes
	}
	return max(p.BytesToRead.Load()-max(p.BytesUploaded.Load(), sent), 0)
}

// showBackupProgress draws a status line on a terminal, or emits JSON
// progress events on stderr with --json. "up" and its rate are the bytes
// sent as they go, counted by the upload limiter (a.lim.up, there with or
// without a limit): every request body as net/http reads it to write to
// the connection (bwlimit.Transport), or every object as the folder store
// is handed it (bwlimit.Store). So they count all that the pass sends
// (blobs, trees, indexes, snapshots, log records, locks), every attempt
// of a retried request again, and what a failed attempt sent, but no HTTP
// headers or TLS. Without a limit, up to a socket buffer is counted before
// it reaches the wire; with one, the limiter paces the bytes to the line.
// The bytes of the uploads that have ended (Progress.BytesUploaded) are
// the floor: they stand in if the vault's store is not counted.
func (a *app) showBackupProgress(p *backup.Progress, disabled bool) func() {
	sink := a.progressTo(disabled)
	if sink == nil {
		return func() {}
	}
	var lim *bwlimit.Limiter // nil counts nothing
	if a.lim != nil {
		lim = a.lim.up
	}
	base := lim.Passed()
	var m backupMeter
	start := time.Now()
	return ticker(time.Second, func(final bool) {
		if final && !a.json {
			sink.clear()
			return
		}
		up := p.BytesUploaded.Load()
		sent := max(lim.Passed()-base, up)
		c := backupCounters{
			toRead: p.BytesToRead.Load(), read: p.BytesRead.Load(),
			sent: sent, remaining: backupRemaining(p, sent), limit: lim.Rate(),
			stopping: p.Stopping(), inFlight: p.BytesInFlight.Load(), uploaded: up,
		}
		f := m.update(time.Now(), c)
		event := map[string]any{
			"phase": p.PhaseName(), "elapsed_s": int(time.Since(start).Seconds()),
			"files_total": p.FilesTotal.Load(), "files_done": p.FilesDone.Load(),
			"bytes_total": p.BytesTotal.Load(), "bytes_to_read": c.toRead, "bytes_read": c.read, "bytes_read_metadata": p.BytesReadMetadata.Load(),
			"bytes_uploaded": up, "bytes_sent": c.sent, "bytes_remaining": c.remaining, "bytes_in_flight": c.inFlight,
			"upload_rate": int64(f.sendRate), "read_rate": int64(f.readRate), "warnings": p.Warnings.Load(),
		}
		if s := int64(math.Ceil(f.eta.Seconds())); s > 0 {
			event["eta_s"] = s
		}
		sink.show(event, fmt.Sprintf("[%s] %d/%s  read %s/%s  up %s  %s/s  ETA %s",
			p.PhaseName(), p.FilesDone.Load(), plural(p.FilesTotal.Load(), "file", "files"), bytesize.Format(c.read), bytesize.Format(c.toRead),
			bytesize.Format(c.sent), bytesize.Format(int64(f.sendRate)), formatETA(f.eta)))
	})
}

// restoreCounters is one reading of a running restore's counters.
type restoreCounters struct {
	// total and done are the bytes of the files selected, and of those
	// written and verified or found correct already (restore.Progress).
	total, done int64
	// received is the bytes received from the vault since the restore
	// began, as they arrive (see showRestoreProgress).
	received int64
	// limit is the download limit in force, in bytes per second; 0 for
	// none.
	limit int64
}

// restoreFigures are the rate and the time left that a restore's progress
// shows.
type restoreFigures struct {
	rate float64 // bytes per second
	// pending is the bytes received and not yet written (an estimate).
	pending int64
	eta     time.Duration
}

// restoreMeter turns successive readings of a restore's counters into a
// rate and a time left. The zero value is ready to use.
type restoreMeter struct {
	received, done rate
	last           restoreCounters
	pending        int64
}

// update takes a reading made at now. A file's bytes are done once a
// whole blob (about 1 MiB) of it has arrived and been written, which on a
// slow line takes half a minute and more, several files at once: the
// rate is that of the bytes as they arrive, and the bytes left are those
// not done less those received and not yet written (pending: the bytes
// received since the last reading add to it, the bytes done since take
// from it, down to 0, as a file found correct already is done with
// nothing received). The bytes received include a little that is no
// file's (trees, the index), left in pending. Without a receiving count
// (nothing received ever) the rate is that of the bytes done. With no
// rate or nothing left, the ETA is 0, unknown.
func (m *restoreMeter) update(now time.Time, c restoreCounters) restoreFigures {
	recvRate, doneRate := m.received.addAt(now, c.received), m.done.addAt(now, c.done)
	m.pending = max(m.pending+(c.received-m.last.received)-(c.done-m.last.done), 0)
	m.last = c
	f := restoreFigures{rate: recvRate, pending: m.pending}
	if c.received == 0 {
		f.rate = doneRate
	}
	if c.limit > 0 {
		// As for a backup's send rate (backupMeter.update).
		f.rate = min(f.rate, float64(c.limit))
	}
	if left := c.total - c.done - m.pending; left > 0 && f.rate > 0 {
		f.eta = time.Duration(float64(left) / f.rate * float64(time.Second))
	}
	return f
}

// showRestoreProgress draws a status line on a terminal, or emits JSON
// progress events on stderr with --json. "bytes_done" is the bytes of the
// files written and verified (or found correct); "bytes_received", and
// the rate and the time left, follow the bytes as they arrive from the
// vault, counted by the download limiter (a.lim.down, which runRestore
// makes there with or without a limit) as the S3 transport or the folder
// store hands them on (bwlimit.Transport, bwlimit.Store).
func (a *app) showRestoreProgress(p *restore.Progress, disabled bool) func() {
	sink := a.progressTo(disabled)
	if sink == nil {
		return func() {}
	}
	var lim *bwlimit.Limiter // nil counts nothing
	if a.lim != nil {
		lim = a.lim.down
	}
	base := lim.Passed()
	var m restoreMeter
	return ticker(time.Second, func(final bool) {
		if final && !a.json {
			sink.clear()
			return
		}
		c := restoreCounters{total: p.BytesTotal.Load(), done: p.BytesDone.Load(), received: lim.Passed() - base, limit: lim.Rate()}
		event, line := restoreProgress(p.FilesTotal.Load(), p.FilesDone.Load(), c, m.update(time.Now(), c))
		sink.show(event, line)
	})
}

// restoreProgress is the JSON event and the terminal line of one reading
// of a restore's counters, files and c, and of the figures made of it.
func restoreProgress(filesTotal, filesDone int64, c restoreCounters, f restoreFigures) (map[string]any, string) {
	event := map[string]any{"files_total": filesTotal, "files_done": filesDone,
		"bytes_total": c.total, "bytes_done": c.done, "bytes_received": c.received, "rate": int64(f.rate)}
	if s := int64(math.Ceil(f.eta.Seconds())); s > 0 {
		event["eta_s"] = s
	}
	return event, fmt.Sprintf("%d/%s  %s/%s  down %s  %s/s  ETA %s", filesDone, plural(filesTotal, "file", "files"),
		bytesize.Format(c.done), bytesize.Format(c.total), bytesize.Format(c.received), bytesize.Format(int64(f.rate)), formatETA(f.eta))
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
