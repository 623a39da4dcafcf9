package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"
)

func TestLineHandler(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(newLineHandler(&buf, slog.LevelDebug, false))
	log.Warn("retrying PUT blobs/ab/abcd (attempt 2)", "err", errors.New("dial tcp 127.0.0.1:9: connection refused"))
	log.Info("skipped", "path", "Music/A B/x.mp3", "err", errors.New("permission denied"))
	log.With("vault", "v1").WithGroup("s3").Debug("request", "op", "GET")
	log.Error("server said:\n  <Error>\n  SlowDown</Error>")
	want := []string{
		"tunesafe: warning: retrying PUT blobs/ab/abcd (attempt 2): dial tcp 127.0.0.1:9: connection refused",
		`tunesafe: skipped: permission denied (path="Music/A B/x.mp3")`,
		"tunesafe: debug: request (vault=v1, s3.op=GET)",
		"tunesafe: error: server said: <Error> SlowDown</Error>",
	}
	got := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	// Below the level nothing is written; on a terminal every line first
	// erases the progress line being redrawn.
	buf.Reset()
	log = slog.New(newLineHandler(&buf, slog.LevelWarn, true))
	log.Info("not shown")
	log.Warn("shown")
	if buf.String() != "\r\033[Ktunesafe: warning: shown\n" {
		t.Fatalf("got %q", buf.String())
	}
}

func TestJSONLogHandler(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(jsonLogHandler(&buf, slog.LevelWarn))
	log.Warn("retrying GET keys/x (attempt 3)", "err", errors.New("connection reset"))
	var rec map[string]any
	if err := json.Unmarshal(buf.Bytes(), &rec); err != nil {
		t.Fatalf("%v: %s", err, buf.String())
	}
	if rec["type"] != "log" || rec["level"] != "WARN" || rec["err"] != "connection reset" || rec["msg"] != "retrying GET keys/x (attempt 3)" {
		t.Fatalf("record %v", rec)
	}
}

// TestRetryMessages: a storage request retried while the line is down is
// told in one readable line, and the command then succeeds.
func TestRetryMessages(t *testing.T) {
	v := newRelayedVault(t, 7, 64<<10)
	v.relay.Refuse(true)
	go func() {
		time.Sleep(1500 * time.Millisecond)
		v.relay.Refuse(false)
	}()
	code, _, stderr := tunesafe(t, v.env, "backup", v.music)
	if code != 0 {
		t.Fatalf("backup: %d %s", code, stderr)
	}
	if !strings.Contains(stderr, "tunesafe: warning: retrying ") || strings.Contains(stderr, "level=") {
		t.Fatalf("stderr:\n%s", stderr)
	}
	for _, line := range strings.Split(strings.TrimSpace(stderr), "\n") {
		if strings.Contains(line, "retrying") && !strings.Contains(line, "(attempt ") {
			t.Fatalf("retry line without its attempt: %q", line)
		}
	}
}

// TestJSONLines: with --json, every line on stderr is one JSON object,
// whatever wrote it and however it was cut into writes.
func TestJSONLines(t *testing.T) {
	var buf bytes.Buffer
	j := newJSONLines(&buf)
	write := func(s string) {
		if n, err := j.Write([]byte(s)); n != len(s) || err != nil {
			t.Fatalf("Write(%q) = %d, %v", s, n, err)
		}
	}
	write(`{"type":"progress","files_done":1}` + "\n")
	write("tunesafe: warning: a\ntunesafe: warn")
	write("ing: Music/caf\xe9.mp3: special file\n\n")
	write("tunesafe: backup completed with 2 warnings\n")
	write("{not json <a> &\n")
	write("tunesafe: left without a newline")
	if err := j.Flush(); err != nil {
		t.Fatal(err)
	}
	want := []string{
		`{"type":"progress","files_done":1}`,
		`{"type":"warning","message":"a"}`,
		`{"type":"warning","message":"Music/caf\ufffd.mp3: special file"}`,
		`{"type":"message","message":"backup completed with 2 warnings"}`,
		`{"type":"message","message":"{not json <a> &"}`,
		`{"type":"message","message":"left without a newline"}`,
	}
	got := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for _, l := range got {
		if !json.Valid([]byte(l)) {
			t.Errorf("not JSON: %s", l)
		}
	}
}

func TestJSONRequested(t *testing.T) {
	for _, c := range []struct {
		args []string
		want bool
	}{
		{[]string{"snapshot", "--json"}, true},
		{[]string{"--vault", "v", "snapshot", "-r", "--json=true"}, true},
		{[]string{"snapshot", "--bogus", "x", "--json"}, true},
		{[]string{"snapshot", "--json=false"}, false},
		{[]string{"snapshot", "--", "--json"}, false},
		{[]string{"snapshot"}, false},
	} {
		if got := jsonRequested(c.args); got != c.want {
			t.Errorf("jsonRequested(%q) = %v, want %v", c.args, got, c.want)
		}
	}
}
