package agent

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/tunesafe/tunesafe/internal/backup"
)

// A checkpoint is not a completed pass: LastComplete keeps the end of the
// last complete one, across a restart of the agent, while LastSuccess and
// LastCheckpoint move on to the checkpoint.
func TestCheckpointIsNotLastComplete(t *testing.T) {
	h := newHarness(t, "23:00-07:00", date(2, 23, 0), time.Time{}, Config{Vault: "/v"})
	h.pass.do = taking(h.clock, time.Minute)
	if _, err := h.agent.RunOnce(h.ctx); err != nil {
		t.Fatal(err)
	}
	first := h.agent.Status()
	if !first.LastComplete.Equal(date(2, 23, 1)) || !first.LastCheckpoint.IsZero() || !first.Completed().Equal(date(2, 23, 1)) {
		t.Fatalf("after a complete pass: complete %v, checkpoint %v", first.LastComplete, first.LastCheckpoint)
	}

	// The next night's pass is cut by its window.
	h = newHarness(t, "23:00-07:00", date(3, 23, 0), time.Time{}, Config{Vault: "/v", Previous: &first})
	h.pass.do = untilLimit(h.clock, 0)
	if _, err := h.agent.RunOnce(h.ctx); err != nil {
		t.Fatal(err)
	}
	st := h.agent.Status()
	if !st.LastCheckpoint.Equal(date(4, 7, 0)) || !st.LastSuccess.Equal(date(4, 7, 0)) {
		t.Fatalf("after a checkpoint: success %v, checkpoint %v", st.LastSuccess, st.LastCheckpoint)
	}
	if !st.LastComplete.Equal(date(2, 23, 1)) || !st.Completed().Equal(date(2, 23, 1)) {
		t.Fatalf("after a checkpoint: last complete %v, completed %v; want the first pass's end", st.LastComplete, st.Completed())
	}
}

// A status written before LastComplete existed tells a complete pass only
// by LastSuccess; a new agent carries the history in the new fields.
func TestCompletedOfAnOlderStatus(t *testing.T) {
	t0 := date(1, 7, 0)
	older := Status{LastSuccess: t0, LastPass: &PassSummary{Ended: t0, Outcome: "completed"}}
	if got := older.Completed(); !got.Equal(t0) {
		t.Errorf("completed pass: Completed() = %v, want %v", got, t0)
	}
	if got := (Status{LastSuccess: t0}).Completed(); !got.Equal(t0) {
		t.Errorf("no last pass: Completed() = %v, want %v", got, t0)
	}
	cut := Status{LastSuccess: t0, LastPass: &PassSummary{Ended: t0, Outcome: "checkpoint: the window closed"}}
	if got := cut.Completed(); !got.IsZero() {
		t.Errorf("the last success was a checkpoint: Completed() = %v, want none", got)
	}

	h := newHarness(t, "23:00-07:00", date(2, 12, 0), time.Time{}, Config{Previous: &cut})
	h.pass.do = taking(h.clock, time.Minute)
	if _, err := h.agent.RunOnce(h.ctx); err == nil {
		t.Fatal("a pass ran outside the window")
	}
	if st := h.agent.Status(); !st.Completed().IsZero() || !st.LastCheckpoint.Equal(t0) || !st.LastSuccess.Equal(t0) {
		t.Fatalf("carried forward: complete %v, checkpoint %v, success %v", st.LastComplete, st.LastCheckpoint, st.LastSuccess)
	}
}

// When the window closes on the clock, the pass stops at its MaxTime and
// may take a while to store its checkpoint: from the window's end on, the
// status says that the window is closed and when the next one opens, not
// "open" for as long as the pass winds down.
func TestStatusWhileThePassStopsAfterTheWindow(t *testing.T) {
	h := newHarness(t, "23:00-07:00", date(3, 6, 58), time.Time{}, Config{StatusEvery: 5 * time.Second})
	h.pass.do = func(_ int, ctx context.Context, req Request) (*backup.Result, error) {
		// Two minutes of window, then two more storing the checkpoint.
		for range 48 {
			h.clock.Step(t, ctx, 5*time.Second)
		}
		return &backup.Result{SnapshotID: "cp", Partial: true, StopReason: "--max-time reached"}, nil
	}
	if _, err := h.agent.RunOnce(h.ctx); err != nil {
		t.Fatal(err)
	}
	closeAt := date(3, 7, 0)
	for _, s := range h.status.States() {
		if s.Pass == nil || s.Updated.Before(closeAt) {
			continue
		}
		if s.WindowOpen || !s.NextWindow.Equal(date(3, 23, 0)) || !strings.Contains(s.Reason, "the window closed at 2026-03-03 07:00") {
			t.Fatalf("status at %s, while the pass stops: window open %v, next window %v, reason %q",
				s.Updated.Format("15:04:05"), s.WindowOpen, s.NextWindow, s.Reason)
		}
	}
	if _, ok := h.status.find(func(s Status) bool { return s.Pass != nil && !s.Updated.Before(closeAt) }); !ok {
		t.Fatal("no status while the pass stopped")
	}
	if _, ok := h.status.find(func(s Status) bool { return s.Pass != nil && s.WindowOpen }); !ok {
		t.Fatal("the window was never open during the pass")
	}
}

// A pass that fails, then a pass that succeeds: the error stays in the
// status as history, but no longer stands (CurrentError), and a restarted
// agent carries both.
func TestSuccessSupersedesTheLastError(t *testing.T) {
	h := newHarness(t, "always", date(2, 12, 0), time.Time{}, Config{Vault: "/v", Hint: func(error) string { return "run 'tunesafe init'" }})
	h.pass.do = func(int, context.Context, Request) (*backup.Result, error) {
		h.clock.Advance(time.Minute)
		return nil, errors.New("open vault: no vault at /v")
	}
	if _, err := h.agent.RunOnce(h.ctx); err == nil {
		t.Fatal("the failing pass did not fail")
	}
	failed := h.agent.Status()
	if e := failed.CurrentError(); e == nil || e.Hint != "run 'tunesafe init'" {
		t.Fatalf("after the failure: current error %+v", e)
	}

	h = newHarness(t, "always", date(2, 13, 0), time.Time{}, Config{Vault: "/v", Previous: &failed})
	h.pass.do = taking(h.clock, time.Minute)
	if _, err := h.agent.RunOnce(h.ctx); err != nil {
		t.Fatal(err)
	}
	st := h.agent.Status()
	if st.LastError == nil || !st.LastError.Time.Equal(date(2, 12, 1)) {
		t.Fatalf("the last error is not kept as history: %+v", st.LastError)
	}
	if e := st.CurrentError(); e != nil {
		t.Fatalf("after a success at %v: current error %+v", st.LastSuccess, e)
	}
	// A checkpoint is a pass without error too.
	cut := Status{LastSuccess: date(3, 7, 0), LastCheckpoint: date(3, 7, 0), LastError: &ErrorStatus{Time: date(3, 6, 0)}}
	if e := cut.CurrentError(); e != nil {
		t.Fatalf("after a checkpoint: current error %+v", e)
	}
	// An error after the last success stands.
	if later := (Status{LastSuccess: date(3, 7, 0), LastError: &ErrorStatus{Time: date(3, 7, 0)}}); later.CurrentError() == nil {
		t.Fatal("an error as late as the last success does not stand")
	}
}

// A pass cut by its window before it stored any whole file saves no
// checkpoint (the engine returns no snapshot): the status does not say
// it did, and the last checkpoint stays the earlier one.
func TestStoppedBeforeAnyFileIsNoCheckpoint(t *testing.T) {
	earlier := date(2, 7, 0)
	prev := Status{LastSuccess: earlier, LastCheckpoint: earlier}
	h := newHarness(t, "23:00-07:00", date(3, 23, 0), time.Time{}, Config{Vault: "/v", Previous: &prev})
	cut := untilLimit(h.clock, 0)
	h.pass.do = func(i int, ctx context.Context, req Request) (*backup.Result, error) {
		res, err := cut(i, ctx, req)
		res.SnapshotID = ""
		return res, err
	}
	if _, err := h.agent.RunOnce(h.ctx); err != nil {
		t.Fatal(err)
	}
	st := h.agent.Status()
	if !st.LastCheckpoint.Equal(earlier) {
		t.Errorf("last checkpoint %v, want the earlier %v", st.LastCheckpoint, earlier)
	}
	if o := st.LastPass.Outcome; strings.HasPrefix(o, "checkpoint") || !strings.Contains(o, "no checkpoint") {
		t.Errorf("outcome %q", o)
	}
}
