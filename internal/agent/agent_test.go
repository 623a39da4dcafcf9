package agent

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/tunesafe/tunesafe/internal/backup"
	"github.com/tunesafe/tunesafe/internal/schedule"
	"github.com/tunesafe/tunesafe/internal/store"
)

func TestMondayIsMonday(t *testing.T) {
	if d := date(2, 0, 0).Weekday(); d != time.Monday {
		t.Fatalf("date(2) is a %s", d)
	}
}

// A nightly window: the pass starts when the window opens and is given
// exactly the time left in it; nothing runs in the day.
func TestNightlyWindowOpensAndCloses(t *testing.T) {
	h := newHarness(t, "23:00-07:00", date(2, 20, 0), date(4, 8, 0), Config{})
	h.pass.do = untilLimit(h.clock, 0)
	h.run(t)

	got := h.pass.Calls()
	want := []call{
		{date(2, 23, 0), 8 * time.Hour},
		{date(3, 23, 0), 8 * time.Hour},
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("passes\n got %v\nwant %v", got, want)
	}
	// Before the first window, the status says why and when.
	st, ok := h.status.find(func(s Status) bool { return s.State == StateWaiting })
	if !ok || !strings.Contains(st.Reason, "outside the windows 23:00-07:00") || !st.NextWindow.Equal(date(2, 23, 0)) || st.WindowOpen {
		t.Fatalf("waiting status = %+v", st)
	}
	// While a pass runs, its deadline is the end of the window.
	st, ok = h.status.find(func(s Status) bool { return s.State == StateRunning })
	if !ok || st.Pass == nil || !st.Pass.Deadline.Equal(date(3, 7, 0)) {
		t.Fatalf("running status = %+v", st)
	}
	last := h.agent.Status()
	if last.State != StateStopped || last.PID != 4242 || last.LastPass == nil || last.LastPass.Outcome != "checkpoint: the window closed" {
		t.Fatalf("final status = %+v, last pass %+v", last, last.LastPass)
	}
	if !last.LastSuccess.Equal(date(4, 7, 0)) || last.Remaining == nil || last.Remaining.Files != 5 {
		t.Fatalf("final status = %+v", last)
	}
	if r := last.Rate; r < 999 || r > 1001 {
		t.Fatalf("rate = %v, want the pass's average, 1000 B/s", r)
	}
}

// After a complete pass, the next one starts Rescan later, with the time
// left in the window.
func TestRescanWithinWindow(t *testing.T) {
	h := newHarness(t, "Mon-Fri 09:00-17:00", date(6, 14, 0), date(9, 11, 0), Config{Rescan: time.Hour})
	h.pass.do = taking(h.clock, 10*time.Minute)
	h.run(t)
	var got []string
	for _, c := range h.pass.Calls() {
		got = append(got, c.at.Format("Mon 15:04")+" "+c.maxTime.String())
	}
	// Friday 6 March from 14:00, then Monday 9 March from 09:00.
	want := "[Fri 14:00 3h0m0s Fri 15:10 1h50m0s Fri 16:20 40m0s Mon 09:00 8h0m0s Mon 10:10 6h50m0s]"
	if fmt.Sprint(got) != want {
		t.Fatalf("passes\n got %v\nwant %v", got, want)
	}
	st, ok := h.status.find(func(s Status) bool { return strings.Contains(s.Reason, "rescan") })
	if !ok || !st.NextPass.Equal(date(6, 15, 10)) || !st.WindowOpen || !st.NextWindow.IsZero() {
		t.Fatalf("rescan status = %+v", st)
	}
}

// Too little left in the window: no pass is started for a few seconds.
func TestNoPassAtTheEndOfAWindow(t *testing.T) {
	h := newHarness(t, "09:00-17:00", date(2, 16, 59).Add(30*time.Second), date(3, 9, 30), Config{})
	h.pass.do = taking(h.clock, time.Minute)
	h.run(t)
	got := h.pass.Calls()
	if len(got) != 1 || !got[0].at.Equal(date(3, 9, 0)) {
		t.Fatalf("passes = %v, want one on Tuesday at 09:00", got)
	}
}

// On battery, windows that need mains power pause; the pass starts when
// the charger is back.
func TestBatteryPause(t *testing.T) {
	h := newHarness(t, "23:00-07:00 ac", date(2, 22, 0), date(3, 6, 0), Config{})
	h.agent.cfg.Power = scripted{clock: h.clock, battery: func(t time.Time) bool { return t.Before(date(3, 1, 30)) }}
	h.pass.do = untilLimit(h.clock, 0)
	h.run(t)
	got := h.pass.Calls()
	if len(got) != 1 || !got[0].at.Equal(date(3, 1, 30)) || got[0].maxTime != 5*time.Hour+30*time.Minute {
		t.Fatalf("passes = %v, want one at 01:30 for 5h30m", got)
	}
	st, ok := h.status.find(func(s Status) bool { return s.State == StatePaused })
	if !ok || st.Reason != "on battery" || st.Updated.Before(date(2, 23, 0)) {
		t.Fatalf("paused status = %+v", st)
	}
	// Before 23:00 it was waiting for the clock, not paused.
	first, _ := h.status.find(func(s Status) bool { return s.State == StateWaiting })
	if !strings.Contains(first.Reason, "outside the windows") {
		t.Fatalf("first wait = %+v", first)
	}
}

// untilStopped works in steps of 5 s until the agent asks the pass to stop,
// then stops cleanly with a checkpoint, as the engine does.
func untilStopped(h *harness, t *testing.T, ctx context.Context, req Request) (*backup.Result, error) {
	for {
		if reason, stop := req.Stop(); stop {
			return &backup.Result{SnapshotID: "cp", Partial: true, StopReason: reason}, nil
		}
		if ctx.Err() != nil {
			return nil, fmt.Errorf("upload: %w", context.Cause(ctx))
		}
		h.clock.StepOr(t, ctx, 5*time.Second, func() bool { _, stop := req.Stop(); return stop })
	}
}

// Unplugged in the middle of a pass: the agent asks it to stop, which is
// not a failure, and the next pass starts when the power is back.
func TestBatteryDuringPassStopsIt(t *testing.T) {
	h := newHarness(t, "ac", date(2, 10, 0), date(2, 13, 0), Config{StatusEvery: 20 * time.Second})
	unplugged := func(t time.Time) bool { return !t.Before(date(2, 10, 30)) && t.Before(date(2, 11, 0)) }
	h.agent.cfg.Power = scripted{clock: h.clock, battery: unplugged}
	h.pass.do = func(n int, ctx context.Context, req Request) (*backup.Result, error) {
		if n > 0 {
			h.clock.Advance(time.Minute)
			return &backup.Result{}, nil
		}
		if req.MaxTime != 0 {
			t.Errorf("MaxTime = %v for a window that does not close on the clock", req.MaxTime)
		}
		// Work in steps of 5 s until asked to stop, as the engine would.
		return untilStopped(h, t, ctx, req)
	}
	h.run(t)
	got := h.pass.Calls()
	if len(got) < 2 || !got[0].at.Equal(date(2, 10, 0)) || !got[1].at.Equal(date(2, 11, 0)) {
		t.Fatalf("passes = %v, want one at 10:00 cut at 10:30 and the next at 11:00", got)
	}
	st, ok := h.status.find(func(s Status) bool { return s.LastPass != nil })
	if !ok || st.LastPass.Outcome != "stopped early: on battery" || st.LastError != nil {
		t.Fatalf("status after the cut = %+v (last pass %+v)", st, st.LastPass)
	}
	if e := st.LastPass.Ended; e.Before(date(2, 10, 30)) || e.After(date(2, 10, 32)) {
		t.Fatalf("cut at %v, want within a Poll of 10:30", e)
	}
}

// Transient failures back off exponentially with jitter, then carry on.
func TestTransientBackoff(t *testing.T) {
	h := newHarness(t, "always", date(2, 12, 0), date(2, 14, 0), Config{
		Backoff: Backoff{Min: time.Minute, Max: 4 * time.Minute},
		Rand:    func() float64 { return 0.999999 },
		Hint:    func(error) string { return "check the network" },
	})
	reset := store.Transient(store.KindUnreachable, errors.New("connection reset by peer"))
	h.pass.do = func(n int, ctx context.Context, req Request) (*backup.Result, error) {
		if n < 4 {
			return nil, fmt.Errorf("put blobs/x: %w", reset)
		}
		return &backup.Result{SnapshotID: "ok"}, nil
	}
	h.run(t)
	var gaps []time.Duration
	calls := h.pass.Calls()
	for i := 1; i < len(calls); i++ {
		gaps = append(gaps, calls[i].at.Sub(calls[i-1].at).Round(time.Minute))
	}
	// 1, 2, 4, 4 minutes (the maximum), then the rescan an hour later.
	if fmt.Sprint(gaps) != "[1m0s 2m0s 4m0s 4m0s 1h0m0s]" {
		t.Fatalf("gaps between passes = %v", gaps)
	}
	st, ok := h.status.find(func(s Status) bool { return s.State == StateBackoff && s.LastError != nil && s.LastError.Failures == 3 })
	if !ok || st.LastError.Class != ClassTransient || st.LastError.Kind != store.KindUnreachable || st.LastError.Hint != "check the network" {
		t.Fatalf("backoff status = %+v", st)
	}
	if d := st.LastError.RetryAt.Sub(st.LastError.Time); d <= 4*time.Minute-time.Second || d > 4*time.Minute {
		t.Fatalf("retry %v after the third failure, want just under 4m", d)
	}
	if last := h.agent.Status(); last.LastSuccess.IsZero() || last.LastError == nil {
		t.Fatalf("final status = %+v: the success and the last error are both kept", last)
	}
}

func TestBackoffDelay(t *testing.T) {
	b := Backoff{Min: time.Minute, Max: time.Hour}
	for _, c := range []struct {
		n    int
		r    float64
		want time.Duration
	}{
		{1, 0, 30 * time.Second},
		{1, 0.5, 45 * time.Second},
		{2, 0, time.Minute},
		{3, 0, 2 * time.Minute},
		{6, 0, 16 * time.Minute},
		{7, 0, 30 * time.Minute}, // 64 min, capped at an hour
		{1000, 0.5, 45 * time.Minute},
	} {
		if got := b.Delay(c.n, c.r); got != c.want {
			t.Errorf("Delay(%d, %v) = %v, want %v", c.n, c.r, got, c.want)
		}
	}
}

// A permanent failure is reported with its hint, and the agent waits for
// the next window instead of hammering.
func TestPermanentWaitsForNextWindow(t *testing.T) {
	h := newHarness(t, "23:00-07:00", date(2, 22, 0), date(4, 0, 0), Config{
		Hint: func(error) string { return "set AWS_PROFILE" },
	})
	denied := store.Permanent(store.KindCredentials, errors.New("InvalidAccessKeyId"))
	h.pass.do = func(n int, ctx context.Context, req Request) (*backup.Result, error) {
		h.clock.Advance(10 * time.Second)
		if n == 0 {
			return nil, fmt.Errorf("open vault: %w", denied)
		}
		return untilLimit(h.clock, 0)(n, ctx, req)
	}
	h.run(t)
	got := h.pass.Calls()
	if len(got) != 2 || !got[0].at.Equal(date(2, 23, 0)) || !got[1].at.Equal(date(3, 23, 0)) {
		t.Fatalf("passes = %v, want 23:00 on two nights", got)
	}
	st, ok := h.status.find(func(s Status) bool { return s.LastError != nil && s.State == StateWaiting })
	if !ok || st.LastError.Class != ClassPermanent || st.LastError.Hint != "set AWS_PROFILE" ||
		!strings.Contains(st.LastError.Message, "InvalidAccessKeyId") || !st.LastError.RetryAt.Equal(date(3, 7, 0)) {
		t.Fatalf("error status = %+v", st.LastError)
	}
	if st.State != StateWaiting || !strings.Contains(st.Reason, "next window") || !st.NextPass.Equal(date(3, 23, 0)) {
		t.Fatalf("status after the failure = %+v", st)
	}
}

// Windows that never close on the clock retry a permanent failure after
// PermanentRetry.
func TestPermanentRetryWhenTheWindowNeverCloses(t *testing.T) {
	h := newHarness(t, "always", date(2, 12, 0), date(2, 15, 30), Config{PermanentRetry: time.Hour})
	h.pass.do = func(n int, ctx context.Context, req Request) (*backup.Result, error) {
		return nil, errors.New("config: unreadable") // unclassified: permanent
	}
	h.run(t)
	var got []string
	for _, c := range h.pass.Calls() {
		got = append(got, c.at.Format("15:04"))
	}
	if fmt.Sprint(got) != "[12:00 13:00 14:00 15:00]" {
		t.Fatalf("passes at %v", got)
	}
}

// Idle windows: the pass has no time limit (idleness cannot be foreseen)
// and is stopped when the user comes back; after a permanent failure, the
// user's return and departure make the next window.
func TestIdleWindow(t *testing.T) {
	h := newHarness(t, "idle 10m", date(2, 12, 0), date(2, 16, 0), Config{StatusEvery: 20 * time.Second})
	// The user leaves at 12:00 and 14:00, and is back at 13:00 and 15:00.
	away := func(t time.Time) time.Duration {
		for _, left := range []time.Time{date(2, 14, 0), date(2, 12, 0)} {
			if !t.Before(left) {
				if back := left.Add(time.Hour); t.Before(back) {
					return t.Sub(left)
				}
				return 0
			}
		}
		return 0
	}
	h.agent.cfg.Idle = scripted{clock: h.clock, idle: away}
	h.pass.do = func(n int, ctx context.Context, req Request) (*backup.Result, error) {
		if req.MaxTime != 0 {
			t.Errorf("MaxTime = %v", req.MaxTime)
		}
		if n == 0 {
			return nil, store.Permanent(store.KindNoBucket, errors.New("NoSuchBucket"))
		}
		return untilStopped(h, t, ctx, req)
	}
	h.run(t)
	got := h.pass.Calls()
	if len(got) != 2 || !got[0].at.Equal(date(2, 12, 10)) || !got[1].at.Equal(date(2, 14, 10)) {
		t.Fatalf("passes = %v, want 12:10 (fails) and 14:10 (stopped at 15:00)", got)
	}
	last := h.agent.Status()
	if last.LastPass == nil || !strings.HasPrefix(last.LastPass.Outcome, "stopped early: waiting for the computer to be idle") {
		t.Fatalf("last pass = %+v", last.LastPass)
	}
}

// The status carries a running pass's progress and the measured rate.
func TestStatusDuringPass(t *testing.T) {
	h := newHarness(t, "always", date(2, 12, 0), date(2, 12, 30), Config{StatusEvery: 5 * time.Second})
	h.pass.do = func(n int, ctx context.Context, req Request) (*backup.Result, error) {
		req.Protected(Snapshot{ID: "old", Time: date(1, 0, 0), Files: 10, Bytes: 1000})
		p := req.Progress
		p.Phase.Store("data")
		p.FilesTotal.Store(100)
		p.FilesDone.Store(40)
		p.BytesToRead.Store(1_000_000)
		for i := range 24 { // two minutes at 2000 B/s
			p.BytesUploaded.Store(int64(i+1) * 10_000)
			p.BytesRead.Store(int64(i+1) * 10_000)
			h.clock.Step(t, ctx, 5*time.Second)
			if s := h.agent.Status(); s.Pass == nil || s.Pass.BytesUploaded != int64(i+1)*10_000 {
				t.Errorf("status after step %d: %+v", i, s.Pass)
				return nil, errors.New("test failed")
			}
		}
		req.Protected(Snapshot{ID: "new", Time: date(2, 12, 2), Partial: true, Files: 40, Bytes: 240_000})
		return &backup.Result{SnapshotID: "new"}, nil
	}
	h.run(t)
	st, ok := h.status.find(func(s Status) bool { return s.Pass != nil && s.Pass.BytesUploaded == 240_000 })
	if !ok {
		t.Fatal("no status with the pass's progress")
	}
	if st.Pass.Phase != "data" || st.Remaining == nil || st.Remaining.Files != 60 || st.Remaining.Bytes != 760_000 {
		t.Fatalf("pass status = %+v, remaining %+v", st.Pass, st.Remaining)
	}
	if st.Rate < 1999 || st.Rate > 2001 {
		t.Fatalf("rate = %v, want 2000 B/s", st.Rate)
	}
	if st.Protected == nil || st.Protected.ID != "old" {
		t.Fatalf("protected = %+v", st.Protected)
	}
	if p := h.agent.Status().Protected; p == nil || p.ID != "new" || p.Files != 40 {
		t.Fatalf("protected at the end = %+v", p)
	}
}

func TestRunOnce(t *testing.T) {
	t.Run("open", func(t *testing.T) {
		h := newHarness(t, "23:00-07:00", date(2, 23, 30), time.Time{}, Config{})
		h.pass.do = taking(h.clock, time.Minute)
		res, err := h.agent.RunOnce(h.ctx)
		if err != nil || res.SnapshotID != "full" {
			t.Fatalf("RunOnce = %+v, %v", res, err)
		}
		if c := h.pass.Calls(); len(c) != 1 || c[0].maxTime != 7*time.Hour+30*time.Minute {
			t.Fatalf("passes = %v", c)
		}
		if st := h.agent.Status(); st.State != StateStopped || st.LastSuccess.IsZero() {
			t.Fatalf("status = %+v", st)
		}
	})
	t.Run("closed", func(t *testing.T) {
		h := newHarness(t, "23:00-07:00", date(2, 12, 0), time.Time{}, Config{})
		h.pass.do = taking(h.clock, time.Minute)
		_, err := h.agent.RunOnce(h.ctx)
		var ce *ClosedError
		if !errors.As(err, &ce) || !ce.Next.Equal(date(2, 23, 0)) {
			t.Fatalf("RunOnce: %v", err)
		}
		if len(h.pass.Calls()) != 0 {
			t.Fatal("a pass ran outside the window")
		}
	})
	t.Run("failure", func(t *testing.T) {
		h := newHarness(t, "always", date(2, 12, 0), time.Time{}, Config{})
		denied := store.Permanent(store.KindCredentials, errors.New("denied"))
		h.pass.do = func(int, context.Context, Request) (*backup.Result, error) { return nil, denied }
		if _, err := h.agent.RunOnce(h.ctx); !errors.Is(err, denied) {
			t.Fatalf("RunOnce: %v", err)
		}
		if st := h.agent.Status(); st.LastError == nil || st.LastError.Class != ClassPermanent {
			t.Fatalf("status = %+v", st)
		}
	})
}

// Stopping the agent while a pass scans cancels the pass at once: it has
// nothing to save yet. Run ends with nil.
func TestStopDuringScan(t *testing.T) {
	h := newHarness(t, "always", date(2, 12, 0), time.Time{}, Config{})
	ctx, cancel := context.WithCancel(h.ctx)
	h.pass.do = func(n int, pctx context.Context, req Request) (*backup.Result, error) {
		req.Progress.Phase.Store("scan")
		cancel()
		<-pctx.Done()
		return nil, pctx.Err()
	}
	if err := h.agent.Run(ctx); err != nil {
		t.Fatalf("Run = %v", err)
	}
	if st := h.agent.Status(); st.State != StateStopped || st.LastError != nil {
		t.Fatalf("status = %+v", st)
	}
}

// Stopping the agent while a pass uploads asks the pass to stop cleanly,
// as a closed window does, so that it saves a checkpoint; its context
// stays alive meanwhile. Run then ends with nil, and the status says how
// the pass ended.
func TestStopDuringPassSavesCheckpoint(t *testing.T) {
	h := newHarness(t, "always", date(2, 12, 0), time.Time{}, Config{})
	ctx, cancel := context.WithCancel(h.ctx)
	h.pass.do = func(n int, pctx context.Context, req Request) (*backup.Result, error) {
		req.Progress.Phase.Store("data")
		cancel()
		if !waitFor(func() bool { _, stop := req.Stop(); return stop }) {
			t.Error("the pass was not asked to stop")
		}
		if pctx.Err() != nil {
			t.Error("the pass was cancelled instead of stopped")
		}
		reason, _ := req.Stop()
		return &backup.Result{SnapshotID: "cp", Partial: true, StopReason: reason}, nil
	}
	if err := h.agent.Run(ctx); err != nil {
		t.Fatalf("Run = %v", err)
	}
	st := h.agent.Status()
	if st.State != StateStopped || st.LastError != nil || st.LastPass == nil || st.LastPass.Outcome != "stopped early: the agent is stopping" {
		t.Fatalf("status = %+v (last pass %+v)", st, st.LastPass)
	}
}

// A pass that does not stop within StopGrace of the agent's stop is
// cancelled.
func TestStopDuringPassCancelsAfterGrace(t *testing.T) {
	h := newHarness(t, "always", date(2, 12, 0), time.Time{}, Config{StopGrace: 30 * time.Second})
	ctx, cancel := context.WithCancel(h.ctx)
	h.pass.do = func(n int, pctx context.Context, req Request) (*backup.Result, error) {
		req.Progress.Phase.Store("data")
		cancel()
		if !waitFor(func() bool { _, stop := req.Stop(); return stop }) {
			t.Error("the pass was not asked to stop")
		}
		h.clock.Advance(29 * time.Second)
		if pctx.Err() != nil {
			t.Error("the pass was cancelled before its grace ended")
		}
		h.clock.Advance(time.Second)
		<-pctx.Done()
		return nil, pctx.Err()
	}
	if err := h.agent.Run(ctx); err != nil {
		t.Fatalf("Run = %v", err)
	}
	if st := h.agent.Status(); st.State != StateStopped || st.LastError != nil {
		t.Fatalf("status = %+v", st)
	}
}

func TestCloseTime(t *testing.T) {
	parse := func(s string) schedule.Windows {
		w, err := schedule.ParseWindows(s)
		if err != nil {
			t.Fatal(err)
		}
		return w
	}
	for _, c := range []struct {
		windows string
		now     time.Time
		idle    time.Duration
		want    time.Time
	}{
		{"23:00-07:00", date(2, 23, 0), 0, date(3, 7, 0)},
		{"23:00-07:00", date(3, 6, 59).Add(30 * time.Second), 0, date(3, 7, 0)},
		{"Mon-Fri 09:00-17:00", date(6, 16, 0), 0, date(6, 17, 0)},
		{"Sat-Sun", date(7, 10, 0), 0, date(9, 0, 0)},
		{"09:00-12:00, 11:00-14:00", date(2, 10, 0), 0, date(2, 14, 0)},
		{"always", date(2, 10, 0), 0, time.Time{}},
		{"idle 10m", date(2, 10, 0), 15 * time.Minute, time.Time{}},
		{"23:00-07:00, idle 10m", date(3, 6, 0), 0, date(3, 7, 0)},
	} {
		if got := closeTime(parse(c.windows), c.now, c.idle, false); !got.Equal(c.want) {
			t.Errorf("closeTime(%q, %v) = %v, want %v", c.windows, c.now, got, c.want)
		}
	}
}

func TestRateMeter(t *testing.T) {
	var m rateMeter
	t0 := date(2, 0, 0)
	if r := m.add(t0, 0); r != 0 {
		t.Fatalf("first sample: %v", r)
	}
	// Too short a span to tell.
	if r := m.add(t0.Add(10*time.Second), 10_000); r != 0 {
		t.Fatalf("rate over 10 s = %v", r)
	}
	if r := m.add(t0.Add(30*time.Second), 30_000); r != 1000 {
		t.Fatalf("rate = %v", r)
	}
	// Old samples leave the window: the rate follows a change.
	for i := 4; i <= 20; i++ {
		m.add(t0.Add(time.Duration(i)*10*time.Second), 30_000+int64(i-3)*100_000)
	}
	if r := m.add(t0.Add(210*time.Second), 30_000+18*100_000); r != 10_000 {
		t.Fatalf("rate = %v, want 10000", r)
	}
	if r := m.average(); r < 8714 || r > 8715 { // 1.83 MB in 210 s
		t.Fatalf("average = %v", r)
	}
}

func TestNewNeedsPass(t *testing.T) {
	if _, err := New(Config{}); err == nil {
		t.Fatal("New without a Pass succeeded")
	}
}

// While the storage fails, the status says so and since when; once a
// request succeeds again, and after the pass, it does not.
func TestStatusWhileRetrying(t *testing.T) {
	h := newHarness(t, "always", date(2, 12, 0), date(2, 12, 30), Config{StatusEvery: 5 * time.Second})
	failing := errors.New("dial tcp: connection refused")
	h.pass.do = func(n int, ctx context.Context, req Request) (*backup.Result, error) {
		start := h.clock.Now()
		req.Retrying("put blobs/ab/ab12", 1, failing)
		h.clock.Step(t, ctx, 30*time.Second)
		req.Retrying("put blobs/cd/cd34", 2, failing)
		r := h.agent.Status().Pass.Retrying
		if r == nil || !r.Since.Equal(start) || r.Request != "put blobs/cd/cd34" || r.Attempt != 2 || r.Error != failing.Error() {
			t.Errorf("retrying: %+v, want since %v", r, start)
		}
		req.Recovered()
		if r := h.agent.Status().Pass.Retrying; r != nil {
			t.Errorf("after the storage answered: %+v", r)
		}
		req.Retrying("get trees/ef/ef56", 1, failing)
		return &backup.Result{SnapshotID: "s"}, nil
	}
	h.run(t)
	if _, ok := h.status.find(func(s Status) bool { return s.Pass != nil && s.Pass.Retrying != nil }); !ok {
		t.Fatal("no status said the pass was retrying")
	}
	if p := h.agent.Status().Pass; p != nil {
		t.Fatalf("after the pass: %+v", p)
	}
}
