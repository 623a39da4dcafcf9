package agent

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/tunesafe/tunesafe/internal/backup"
	"github.com/tunesafe/tunesafe/internal/schedule"
)

// fakeClock is a Clock whose time moves only when told: Sleep advances it
// at once (the loop never really waits), and After fires when the time is
// advanced past its deadline, by Sleep or by a fake pass calling Advance.
// Sleeping past end cancels the test's context, which ends Run.
type fakeClock struct {
	mu      sync.Mutex
	now     time.Time
	waiters []fakeWaiter
	end     time.Time
	stop    context.CancelFunc
	sleeps  int
}

type fakeWaiter struct {
	at time.Time
	ch chan time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch := make(chan time.Time, 1)
	if d <= 0 {
		ch <- c.now
		return ch
	}
	c.waiters = append(c.waiters, fakeWaiter{c.now.Add(d), ch})
	return ch
}

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	c.mu.Lock()
	c.sleeps++
	past := !c.end.IsZero() && !c.now.Add(d).Before(c.end)
	c.mu.Unlock()
	if past {
		c.stop()
		return ctx.Err()
	}
	c.Advance(d)
	return ctx.Err()
}

// Waiters returns how many After channels wait to fire.
func (c *fakeClock) Waiters() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.waiters)
}

// Step advances the time by d, as a pass doing work would, and waits (in
// real time) until the agent's watcher has reacted: it waits on After
// again, or it has cancelled the pass.
// It may be called from any goroutine: on failure it reports an error and
// ends the test's run.
func (c *fakeClock) Step(t *testing.T, ctx context.Context, d time.Duration) {
	t.Helper()
	c.StepOr(t, ctx, d, func() bool { return false })
}

// StepOr is Step that also accepts done() as the watcher's reaction.
func (c *fakeClock) StepOr(t *testing.T, ctx context.Context, d time.Duration, done func() bool) {
	t.Helper()
	c.Advance(d)
	if !waitFor(func() bool { return c.Waiters() > 0 || ctx.Err() != nil || done() }) {
		t.Error("the watcher did not react to a step of the clock")
		c.stop()
	}
}

// Advance moves the time forward by d and fires the waiters due.
func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	kept := c.waiters[:0]
	for _, w := range c.waiters {
		if w.at.After(c.now) {
			kept = append(kept, w)
			continue
		}
		w.ch <- c.now
	}
	c.waiters = kept
}

// scripted answers the idle time and the power source as functions of the
// fake clock's time.
type scripted struct {
	clock   *fakeClock
	battery func(time.Time) bool
	idle    func(time.Time) time.Duration
}

func (s scripted) OnBattery(ctx context.Context) (bool, error) {
	if s.battery == nil {
		return false, nil
	}
	return s.battery(s.clock.Now()), nil
}

func (s scripted) IdleTime(ctx context.Context) (time.Duration, error) {
	if s.idle == nil {
		return 0, nil
	}
	return s.idle(s.clock.Now()), nil
}

// call is one pass the fake saw.
type call struct {
	at      time.Time
	maxTime time.Duration
}

// fakePass records its calls and does what do says, by call number.
type fakePass struct {
	t     *testing.T
	clock *fakeClock
	mu    sync.Mutex
	calls []call
	do    func(n int, ctx context.Context, req Request) (*backup.Result, error)
}

func (p *fakePass) run(ctx context.Context, req Request) (*backup.Result, error) {
	p.mu.Lock()
	n := len(p.calls)
	p.calls = append(p.calls, call{p.clock.Now(), req.MaxTime})
	p.mu.Unlock()
	return p.do(n, ctx, req)
}

func (p *fakePass) Calls() []call {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]call(nil), p.calls...)
}

// untilLimit simulates a pass that runs until its MaxTime (or d when
// there is none) and stops with a checkpoint.
func untilLimit(c *fakeClock, d time.Duration) func(int, context.Context, Request) (*backup.Result, error) {
	return func(_ int, _ context.Context, req Request) (*backup.Result, error) {
		run := d
		if req.MaxTime > 0 {
			run = req.MaxTime
		}
		req.Progress.BytesUploaded.Store(int64(run.Seconds()) * 1000)
		c.Advance(run)
		return &backup.Result{SnapshotID: "cp", Partial: true, StopReason: "--max-time reached", BytesUploaded: int64(run.Seconds()) * 1000, FilesRemaining: 5, BytesRemaining: 5e6}, nil
	}
}

// taking simulates a pass that completes after d.
func taking(c *fakeClock, d time.Duration) func(int, context.Context, Request) (*backup.Result, error) {
	return func(int, context.Context, Request) (*backup.Result, error) {
		c.Advance(d)
		return &backup.Result{SnapshotID: "full"}, nil
	}
}

// statusLog records every status the agent publishes.
type statusLog struct {
	mu  sync.Mutex
	all []Status
}

func (l *statusLog) record(s Status) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.all = append(l.all, s)
	return nil
}

func (l *statusLog) States() []Status {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]Status(nil), l.all...)
}

// find returns the first status that satisfies ok.
func (l *statusLog) find(ok func(Status) bool) (Status, bool) {
	for _, s := range l.States() {
		if ok(s) {
			return s, true
		}
	}
	return Status{}, false
}

// harness wires an agent to fakes, starting at start and stopping at end.
type harness struct {
	clock  *fakeClock
	pass   *fakePass
	status *statusLog
	agent  *Agent
	ctx    context.Context
}

func newHarness(t *testing.T, windows string, start, end time.Time, cfg Config) *harness {
	t.Helper()
	w, err := schedule.ParseWindows(windows)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	h := &harness{clock: &fakeClock{now: start, end: end, stop: cancel}, status: &statusLog{}, ctx: ctx}
	h.pass = &fakePass{t: t, clock: h.clock}
	cfg.Pass = h.pass.run
	cfg.Windows = w
	cfg.Clock = h.clock
	cfg.Status = h.status.record
	if cfg.Rand == nil {
		cfg.Rand = func() float64 { return 0.5 }
	}
	cfg.PID = 4242
	h.agent, err = New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// run runs the agent until the fake clock reaches the end, with a real
// timeout against a loop that never sleeps.
func (h *harness) run(t *testing.T) {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- h.agent.Run(h.ctx) }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("Run did not return")
	}
}

// waitFor waits, in real time, until ok, and reports whether it came.
func waitFor(ok func() bool) bool {
	deadline := time.Now().Add(10 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(20 * time.Microsecond)
	}
	return true
}

// date returns a time in UTC; 2026-03-02 is a Monday.
func date(day, hour, minute int) time.Time {
	return time.Date(2026, 3, day, hour, minute, 0, 0, time.UTC)
}
