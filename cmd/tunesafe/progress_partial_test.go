package main

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/tunesafe/tunesafe/internal/backup"
)

// TestBackupETAFollowsBytesSent: on a 36 kB/s line a 1 MiB piece takes
// half a minute to go, and no upload ends meanwhile; the bytes left, and
// the time left, go down as its bytes are sent, not when it ends.
func TestBackupETAFollowsBytesSent(t *testing.T) {
	const total, line = 3 << 20, 36_000
	p := &backup.Progress{}
	p.BytesToRead.Store(total)
	p.BytesRead.Store(total)
	var m backupMeter
	t0 := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	etaAt := map[int]time.Duration{}
	for s := 0; s <= 20; s++ {
		sent := int64(s) * line
		c := backupCounters{toRead: total, read: total, sent: sent, remaining: backupRemaining(p, sent), limit: line}
		etaAt[s] = m.update(t0.Add(time.Duration(s)*time.Second), c).eta
	}
	if want := time.Duration((total - 20*line) * int64(time.Second) / line); !closeTo(etaAt[20], want) {
		t.Fatalf("ETA %v after 20 s, want %v", etaAt[20], want)
	}
	if d := etaAt[10] - etaAt[20]; !closeTo(d, 10*time.Second) {
		t.Fatalf("ETA %v after 10 s, %v after 20 s: it moved %v, not with the bytes sent", etaAt[10], etaAt[20], d)
	}
}

// TestBackupETAWhileFinishing: a stopped pass sends no new piece; its time
// left is that of the piece still in flight (here 1 MiB, of which 10 s at
// 36 kB/s have gone), not that of the 300 MiB the backup has left.
func TestBackupETAWhileFinishing(t *testing.T) {
	const line = 36_000
	var m backupMeter
	f := meterRun(&m, 10, func(s int) backupCounters {
		return backupCounters{toRead: 300 << 20, read: 300 << 20, sent: 5<<20 + int64(s)*line, uploaded: 5 << 20,
			remaining: 300 << 20, limit: line, stopping: true, inFlight: 1 << 20}
	})
	if want := time.Duration((1<<20 - 10*line) * int64(time.Second) / line); !closeTo(f.eta, want) {
		t.Fatalf("ETA %v while finishing, want %v", f.eta, want)
	}
	// Once the piece has gone, the line does nothing the ETA can tell.
	f = m.update(time.Date(2025, 3, 1, 12, 0, 11, 0, time.UTC), backupCounters{toRead: 300 << 20, read: 300 << 20,
		sent: 6 << 20, uploaded: 6 << 20, remaining: 299 << 20, limit: line, stopping: true})
	if f.eta != 0 {
		t.Fatalf("ETA %v with nothing in flight", f.eta)
	}
}

// TestStoppedSummary: a stopped backup's summary counts the files its
// checkpoint holds and says how many are left; one that stored no file
// says it saved no checkpoint, and what it read ahead of the audio.
func TestStoppedSummary(t *testing.T) {
	var out, errOut bytes.Buffer
	a := newApp(nil, &out, &errOut)
	err := a.reportBackup(&backup.Result{SnapshotID: "0123456789abcdef", Partial: true, StopReason: "interrupted",
		FilesNew: 1, FilesUnchanged: 4, Dirs: 2, FilesRemaining: 7, BytesRemaining: 7 << 20, BytesRead: 3 << 20, Warnings: []backup.Warning{}}, nil)
	if code, _, _ := classify(err); code != exitStopped {
		t.Fatalf("a stopped backup's report: %v, exit code %d, want %d", err, code, exitStopped)
	}
	for _, want := range []string{
		"checkpoint 0123456789ab saved\n",
		"files in the checkpoint: 1 new, 0 changed, 4 unchanged; 2 folders\n",
		"stopped: interrupted; 7 files (at most 7.0 MiB) to go: run backup again to continue\n",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("want %q in\n%s", want, out.String())
		}
	}

	out.Reset()
	err = a.reportBackup(&backup.Result{Partial: true, StopReason: "--max-upload 1B reached", FilesRemaining: 8, BytesRemaining: 8 << 20,
		BytesReadMetadata: 40 << 10, BytesUploaded: 300, BlobsUploaded: 1, Warnings: []backup.Warning{}}, nil)
	if code, _, _ := classify(err); code != exitStopped {
		t.Fatalf("exit code %d, want %d", code, exitStopped)
	}
	got := out.String()
	for _, want := range []string{
		"no checkpoint saved: the backup stopped before it had stored a whole file; what it uploaded is not sent again\n",
		"read 40.0 KiB of metadata (tags, pictures, library files) ahead of the audio, uploaded 300 B in 1 blob and 0 trees",
		"stopped: --max-upload 1B reached; 8 files (at most 8.0 MiB) to go",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("want %q in\n%s", want, got)
		}
	}
	if strings.Contains(got, "files") && strings.Contains(got, "new,") || strings.Contains(got, "read 0 B") {
		t.Errorf("a summary of what no snapshot holds:\n%s", got)
	}
}
