package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tunesafe/tunesafe/internal/store/folder"
	"github.com/tunesafe/tunesafe/internal/store/s3store"
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
// known, in hours and minutes, and never as "0m" or "0s" while bytes
// remain.
func TestETA(t *testing.T) {
	for _, c := range []struct {
		remaining int64
		perSec    float64
		want      string
	}{
		{1000, 10, "2m"}, {36_000 * 60, 36_000, "1m"}, {7200 * 1000, 1000, "2h"},
		{59_000, 1000, "<1m"}, {10, 1e9, "<1m"},
		{1000, 0, "-"}, {0, 10, "-"}, {-5, 10, "-"},
	} {
		if got := eta(c.remaining, c.perSec); got != c.want {
			t.Errorf("eta(%d, %v) = %q, want %q", c.remaining, c.perSec, got, c.want)
		}
	}
	if got := formatETA(0); got != "-" {
		t.Errorf("formatETA(0) = %q, want -", got)
	}
}

// meterRun feeds a backupMeter one reading a second, from a fake clock,
// for the given seconds, and returns the last figures.
func meterRun(m *backupMeter, seconds int, at func(s int) backupCounters) backupFigures {
	t0 := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	var f backupFigures
	for s := 0; s <= seconds; s++ {
		f = m.update(t0.Add(time.Duration(s)*time.Second), at(s))
	}
	return f
}

// closeTo reports whether d is within a second of want.
func closeTo(d, want time.Duration) bool {
	return d > want-time.Second && d < want+time.Second
}

// TestBackupMeterSlowLine: on a 36 kB/s line the readers have read
// everything in the first second, and the pieces go out 1 MiB objects at a
// time. The rate is that of the bytes as they are sent, and the time left
// that of the bytes still to store at that rate, not of the bytes still to
// read (none).
func TestBackupMeterSlowLine(t *testing.T) {
	const total, line = 300 << 20, 36_000
	at := func(s int) backupCounters {
		sent := int64(s) * line
		return backupCounters{
			toRead: total, read: total, sent: sent,
			// A file is stored once its last 1 MiB object is.
			remaining: total - sent/(1<<20)*(1<<20), limit: line,
		}
	}
	var m backupMeter
	f := meterRun(&m, 90, at)
	if f.sendRate != line || f.readRate != 0 {
		t.Fatalf("rates: send %v, read %v; want %d and 0", f.sendRate, f.readRate, line)
	}
	want := time.Duration(float64(at(90).remaining) / line * float64(time.Second))
	if !closeTo(f.eta, want) {
		t.Fatalf("ETA %v, want %v", f.eta, want)
	}

	// A window that catches one more bucket than the limit allows reads
	// at most the limit.
	var capped backupMeter
	f = meterRun(&capped, 30, func(s int) backupCounters {
		c := at(s)
		c.limit = 30_000
		return c
	})
	if f.sendRate != 30_000 {
		t.Fatalf("send rate %v above the limit 30000", f.sendRate)
	}
}

// TestBackupMeterAllInVault: with every piece in the vault already (a
// moved library), the pass reads at 100 MB/s and sends next to nothing;
// the time left is that of the reads, even just after a checkpoint sent
// 2 MB, which would otherwise stand for a line with 100 GB to carry.
func TestBackupMeterAllInVault(t *testing.T) {
	const total, disk = 100e9, 100e6
	at := func(s int) backupCounters {
		c := backupCounters{toRead: total, read: int64(s) * disk}
		c.remaining = total - c.read // each file stored as it is read
		if s >= 28 {
			c.sent = 2e6
		}
		return c
	}
	var m backupMeter
	f := meterRun(&m, 30, at)
	if f.sendRate <= 0 {
		t.Fatal("the checkpoint's bytes were not seen")
	}
	if want := time.Duration(float64(total-30*disk) / disk * float64(time.Second)); !closeTo(f.eta, want) {
		t.Fatalf("ETA %v, want %v at the read rate", f.eta, want)
	}
}

// TestBackupMeterBothMatter: new music on a line slower than the disk: the
// time left is the later of the reads and the sends; half the bytes
// stored so far were in the vault, so half of those left are counted as
// still to send.
func TestBackupMeterBothMatter(t *testing.T) {
	const total = 1e9
	at := func(s int) backupCounters {
		read := int64(s) * 10e6
		return backupCounters{toRead: total, read: read, sent: int64(s) * 1e6, remaining: total - 2*int64(s)*1e6}
	}
	var m backupMeter
	f := meterRun(&m, 10, at)
	// Sending: 980 MB left, half of it at 1 MB/s; reading: 900 MB at 10 MB/s.
	if want := 490 * time.Second; !closeTo(f.eta, want) {
		t.Fatalf("ETA %v, want %v", f.eta, want)
	}

	// Nothing moved in the window: no time left can be told.
	var idle backupMeter
	f = meterRun(&idle, 5, func(int) backupCounters { return backupCounters{toRead: total, read: 5e6, remaining: total} })
	if f.eta != 0 || formatETA(f.eta) != "-" {
		t.Fatalf("ETA %v (%s) with nothing moving", f.eta, formatETA(f.eta))
	}
}

// TestUploadsCountedWithoutLimit: with no upload limit the run still has an
// upload limiter, and it counts what a folder store and the S3 transport
// send, for the progress's upload rate.
func TestUploadsCountedWithoutLimit(t *testing.T) {
	a := newApp(nil, io.Discard, io.Discard)
	a.configPath = filepath.Join(t.TempDir(), "absent.json")
	if err := a.setupLimits(t.Context()); err != nil {
		t.Fatal(err)
	}
	if a.lim.up == nil || a.lim.up.Rate() != 0 {
		t.Fatalf("upload limiter %v without a limit", a.lim.up)
	}
	dir, err := folder.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if err := a.decorate(dir).Put(t.Context(), "data/x", make([]byte, 1000)); err != nil {
		t.Fatal(err)
	}
	if got := a.lim.up.Passed(); got != 1000 {
		t.Fatalf("folder store: %d bytes counted, want 1000", got)
	}

	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.Copy(io.Discard, r.Body) }))
	defer srv.Close()
	var cfg s3store.Config
	a.configureTransport(&cfg)
	if cfg.WrapTransport == nil {
		t.Fatal("S3 transport not wrapped without a limit")
	}
	client := &http.Client{Transport: cfg.WrapTransport(http.DefaultTransport)}
	resp, err := client.Post(srv.URL, "application/octet-stream", bytes.NewReader(make([]byte, 500)))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if got := a.lim.up.Passed(); got != 1500 {
		t.Fatalf("after a 500-byte request body: %d bytes counted, want 1500", got)
	}
}

// TestBackupProgressJSON: the last progress event of a backup to a folder
// vault, without a limit, counts the bytes sent as they go: beyond the
// blobs and trees whose upload ended, the snapshot, index and log records
// too; nothing is left to store, and no ETA is given.
func TestBackupProgressJSON(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{
		"XDG_CONFIG_HOME": filepath.Join(dir, "cfg"), "XDG_STATE_HOME": filepath.Join(dir, "state"),
		"TUNESAFE_PASSPHRASE": "", "TUNESAFE_VAULT": "",
	}
	music := filepath.Join(dir, "music")
	os.MkdirAll(music, 0o755)
	os.WriteFile(filepath.Join(music, "a.mp3"), bytes.Repeat([]byte("not really audio "), 10_000), 0o644)
	code, _, errOut := tunesafe(t, env, "backup", "--vault", filepath.Join(dir, "v"), music, "--json")
	if code != exitOK {
		t.Fatalf("exit %d:\n%s", code, errOut)
	}
	last := lastProgress(errOut)
	if last == nil {
		t.Fatalf("no progress event:\n%s", errOut)
	}
	for _, k := range []string{"bytes_read", "bytes_uploaded", "upload_rate", "read_rate", "bytes_sent", "bytes_remaining"} {
		if _, ok := last[k]; !ok {
			t.Errorf("no %q in %v", k, last)
		}
	}
	sent, _ := last["bytes_sent"].(float64)
	uploaded, _ := last["bytes_uploaded"].(float64)
	if uploaded <= 0 || sent <= uploaded {
		t.Errorf("bytes_sent %v, want more than bytes_uploaded %v", sent, uploaded)
	}
	if last["bytes_remaining"] != 0.0 || last["eta_s"] != nil {
		t.Errorf("a finished pass: bytes_remaining %v, eta_s %v", last["bytes_remaining"], last["eta_s"])
	}
}

// lastProgress returns the last "progress" event of a --json command's
// stderr, nil when there is none.
func lastProgress(stderr string) map[string]any {
	var last map[string]any
	for _, line := range strings.Split(stderr, "\n") {
		var ev map[string]any
		if json.Unmarshal([]byte(line), &ev) == nil && ev["type"] == "progress" {
			last = ev
		}
	}
	return last
}
