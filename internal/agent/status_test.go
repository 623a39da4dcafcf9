package agent

import (
	"context"
	"errors"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tunesafe/tunesafe/internal/backup"
)

func TestStatusFileRoundTrip(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "sub", "agent-status.json")
	if _, err := ReadStatusFile(path); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("missing file: %v", err)
	}
	st := Status{
		Version: StatusVersion, PID: os.Getpid(), State: StateRunning, Windows: "23:00-07:00",
		Updated:   time.Date(2026, 3, 2, 23, 0, 0, 0, time.UTC),
		Pass:      &PassStatus{Started: time.Date(2026, 3, 2, 23, 0, 0, 0, time.UTC), BytesUploaded: 7},
		Protected: &Snapshot{ID: "abc", Files: 3, Bytes: 300},
		LastError: &ErrorStatus{Message: "boom", Class: ClassTransient, Failures: 2},
	}
	for range 2 { // the second write replaces the first
		if err := WriteStatusFile(path, st); err != nil {
			t.Fatal(err)
		}
	}
	got, err := ReadStatusFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if got.PID != st.PID || got.Pass.BytesUploaded != 7 || got.Protected.ID != "abc" || got.LastError.Class != ClassTransient || !got.Updated.Equal(st.Updated) {
		t.Fatalf("read back %+v", got)
	}
	// Absent times are left out, not written as year 1.
	b, _ := os.ReadFile(path)
	for _, absent := range []string{`"next_window"`, `"last_success"`, `"deadline"`} {
		if strings.Contains(string(b), absent) {
			t.Errorf("status file has %s:\n%s", absent, b)
		}
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Fatalf("temporary files left: %v", entries)
	}
}

func TestStatusFileNewerVersion(t *testing.T) {
	path := filepath.Join(t.TempDir(), "agent-status.json")
	if err := os.WriteFile(path, []byte(`{"version": 99}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadStatusFile(path); err == nil {
		t.Fatal("a newer version was read")
	}
	if err := os.WriteFile(path, []byte(`{"version": `), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadStatusFile(path); err == nil {
		t.Fatal("a truncated file was read")
	}
}

// encoding/json reads times with a UTC offset of 24 hours (+24:00 to
// ±24:59) but refuses to write them. A status holding one could not be
// written back by the agent that carries it forward: it is damaged.
func TestStatusFileUnwritableTime(t *testing.T) {
	path := filepath.Join(t.TempDir(), "agent-status.json")
	for _, s := range []string{
		`{"version": 1, "updated": "2026-01-02T03:04:05+24:00"}`,
		`{"version": 1, "pass": {"started": "2026-01-02T03:04:05-24:59"}}`,
		`{"version": 1, "last_error": {"time": "2026-01-02T03:04:05+24:30", "message": "boom"}}`,
	} {
		if err := os.WriteFile(path, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := ReadStatusFile(path)
		if err == nil || !strings.Contains(err.Error(), "agent status "+path) {
			t.Errorf("ReadStatusFile(%s): %v, want an error naming the damaged file", s, err)
		}
	}
	// The largest offset that encodes is read.
	if err := os.WriteFile(path, []byte(`{"version": 1, "updated": "2026-01-02T03:04:05+23:59"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if st, err := ReadStatusFile(path); err != nil || st.Updated.IsZero() {
		t.Fatalf("offset +23:59: %+v, %v", st, err)
	}
}

func TestRunning(t *testing.T) {
	self := Status{PID: os.Getpid(), State: StateWaiting}
	if !self.Running() {
		t.Error("this process is not running")
	}
	stopped := Status{PID: os.Getpid(), State: StateStopped}
	if stopped.Running() {
		t.Error("a stopped agent is running")
	}
	gone := Status{PID: 1 << 30, State: StateRunning}
	if gone.Running() {
		t.Error("a process that does not exist is running")
	}
	// A damaged file may name PIDs that no process has. Asked about them,
	// kill(2) would take the low 32 bits: 1<<32 would be 0 (this process
	// group), 1<<32-1 would be -1 (every process) and 1<<32+getpid this
	// process.
	pids := []int{0, -1, math.MinInt32, math.MaxInt32}
	if strconv.IntSize == 64 {
		wide := int64(1) << 32
		pids = append(pids, int(wide), int(wide-1), int(wide+int64(os.Getpid())), int(-wide+int64(os.Getpid())), math.MaxInt)
	}
	for _, pid := range pids {
		if (Status{PID: pid, State: StateRunning}).Running() {
			t.Errorf("an agent with PID %d is running", pid)
		}
	}
	now := time.Now()
	if (Status{Updated: now.Add(-time.Minute)}).Stale(now) || !(Status{Updated: now.Add(-time.Hour)}).Stale(now) {
		t.Error("Stale is wrong")
	}
}

// The agent writes its status file through Config.Status.
func TestAgentWritesStatusFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "agent-status.json")
	h := newHarness(t, "always", date(2, 12, 0), time.Time{}, Config{})
	h.agent.cfg.Status = func(s Status) error { return WriteStatusFile(path, s) }
	h.pass.do = taking(h.clock, time.Minute)
	if _, err := h.agent.RunOnce(h.ctx); err != nil {
		t.Fatal(err)
	}
	st, err := ReadStatusFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.State != StateStopped || st.PID != 4242 || st.LastPass == nil || st.LastPass.Snapshot != "full" || st.Windows != "always" {
		t.Fatalf("status file = %+v", st)
	}
}

// A new agent carries the history of the last one forward.
func TestPreviousStatusCarriedForward(t *testing.T) {
	prev := &Status{
		PID: 1, State: StateStopped, Rate: 123, LastSuccess: date(1, 7, 0),
		LastError: &ErrorStatus{Message: "denied", Class: ClassPermanent},
		Protected: &Snapshot{ID: "old", Files: 9},
		Integrity: &Integrity{Time: date(1, 8, 0), Mode: "quick", Objects: 40},
	}
	h := newHarness(t, "23:00-07:00", date(2, 12, 0), time.Time{}, Config{Previous: prev})
	h.pass.do = taking(h.clock, time.Minute)
	if _, err := h.agent.RunOnce(h.ctx); err == nil {
		t.Fatal("a pass ran outside the window")
	}
	st := h.agent.Status()
	if st.PID != 4242 || st.Rate != 123 || !st.LastSuccess.Equal(date(1, 7, 0)) || st.LastError == nil || st.Protected == nil || st.Protected.ID != "old" {
		t.Fatalf("status = %+v", st)
	}
	if st.Integrity == nil || st.Integrity.Objects != 40 {
		t.Fatalf("integrity = %+v", st.Integrity)
	}
	prev.LastError.Message = "changed"
	prev.Integrity.Objects = 1
	if st := h.agent.Status(); st.LastError.Message != "denied" || st.Integrity.Objects != 40 {
		t.Fatal("the agent shares the previous status's records")
	}
}

// A pass that checks the vault's integrity tells the status.
func TestPassReportsIntegrity(t *testing.T) {
	h := newHarness(t, "always", date(2, 12, 0), time.Time{}, Config{})
	checked := Integrity{Time: date(2, 12, 1), Mode: "sample", Objects: 7, Bytes: 100, Problems: 1}
	h.pass.do = func(_ int, _ context.Context, req Request) (*backup.Result, error) {
		req.Checked(checked)
		return &backup.Result{SnapshotID: "full"}, nil
	}
	if _, err := h.agent.RunOnce(h.ctx); err != nil {
		t.Fatal(err)
	}
	if st := h.agent.Status(); st.Integrity == nil || *st.Integrity != checked {
		t.Fatalf("integrity = %+v, want %+v", st.Integrity, checked)
	}
}
