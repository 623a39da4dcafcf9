package agent

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tunesafe/tunesafe/internal/backup"
	"github.com/tunesafe/tunesafe/internal/schedule"
	"github.com/tunesafe/tunesafe/internal/store"
)

// syncBuffer is a log that the agent's goroutines may write together.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

func testLogger(b *syncBuffer) *slog.Logger {
	return slog.New(slog.NewTextHandler(b, &slog.HandlerOptions{Level: slog.LevelInfo}))
}

// After a restart, a pass reads every file long before it sends them: what
// remains is what is not yet uploaded, not what is not yet read.
func TestRemainingIsWhatIsNotUploaded(t *testing.T) {
	h := newHarness(t, "always", date(2, 12, 0), date(2, 13, 0), Config{StatusEvery: 5 * time.Second})
	h.pass.do = func(n int, ctx context.Context, req Request) (*backup.Result, error) {
		p := req.Progress
		p.Phase.Store("data")
		p.FilesTotal.Store(5)
		p.FilesDone.Store(2)
		p.BytesToRead.Store(5_900_000)
		p.BytesRead.Store(5_900_000)
		p.BytesUploaded.Store(1_000_000)
		h.clock.Step(t, ctx, 5*time.Second)
		return nil, store.Permanent(store.KindCredentials, errors.New("denied"))
	}
	h.run(t)
	st, ok := h.status.find(func(s Status) bool { return s.Pass != nil && s.Pass.BytesRead == 5_900_000 })
	if !ok {
		t.Fatal("no status with the pass's progress")
	}
	if r := st.Remaining; r == nil || r.Files != 3 || r.Bytes != 4_900_000 {
		t.Fatalf("remaining during the pass = %+v, want 3 files, 4900000 bytes", r)
	}
	if lp := h.agent.Status().LastPass; lp == nil || lp.BytesRemaining != 4_900_000 {
		t.Fatalf("last pass = %+v", lp)
	}
}

// The rate shown is measured on the bytes as they are sent, over at least
// half a minute: it never shows more than the limit, though objects finish
// in bursts and the limiter's bucket starts full. Once the pass has ended,
// the pass's average stays, not the rate of its last minute.
func TestRateStaysUnderTheLimit(t *testing.T) {
	const limit = 100_000 // bytes per second
	var sent atomic.Int64
	h := newHarness(t, "always", date(2, 12, 0), time.Time{}, Config{StatusEvery: 5 * time.Second, Sent: sent.Load})
	ctx, cancel := context.WithCancel(h.ctx)
	h.pass.do = func(n int, pctx context.Context, req Request) (*backup.Result, error) {
		sent.Add(16 << 10) // the bucket, full at the start
		for i := range 36 {
			rate := int64(limit)
			if i >= 24 {
				rate = limit / 2 // the last minute is slower
			}
			sent.Add(5 * rate)
			if i%8 == 7 { // 32 uploads of 1 MiB end together
				req.Progress.BytesUploaded.Add(32 << 20)
			}
			h.clock.Step(t, pctx, 5*time.Second)
		}
		cancel()
		<-pctx.Done()
		return nil, pctx.Err()
	}
	if err := h.agent.Run(ctx); err != nil {
		t.Fatal(err)
	}
	for _, s := range h.status.States() {
		if s.Rate > limit {
			t.Fatalf("rate shown %v B/s, above the limit of %v B/s (status at %v)", s.Rate, limit, s.Updated)
		}
	}
	if _, ok := h.status.find(func(s Status) bool { return s.Pass != nil && s.Rate == limit }); !ok {
		t.Fatal("the rate was never shown")
	}
	// 175 s measured from the first sample: 115 s at the limit, 60 s at half.
	want := float64(115*limit+60*limit/2) / 175
	if st := h.agent.Status(); st.State != StateStopped || st.Rate < want-1 || st.Rate > want+1 {
		t.Fatalf("after the stop: %s, rate %v; want the pass's average %v", st.State, st.Rate, want)
	}
}

type noIdle struct{}

func (noIdle) IdleTime(context.Context) (time.Duration, error) {
	return 0, errors.New("logind: no session; X: DISPLAY is not set")
}

// Where the idle time cannot be read, the agent says so once in its log
// and in the status, rather than waiting in silence.
func TestIdleTimeUnreadable(t *testing.T) {
	var log syncBuffer
	h := newHarness(t, "idle 10m", date(2, 12, 0), date(2, 13, 0), Config{Idle: noIdle{}, Logger: testLogger(&log)})
	h.run(t)
	if n := strings.Count(log.String(), "level=WARN msg=\"idle time cannot be read here"); n != 1 {
		t.Fatalf("%d warnings about the idle time:\n%s", n, log.String())
	}
	st, ok := h.status.find(func(s Status) bool { return s.State == StateWaiting })
	if !ok || st.Reason != "idle time cannot be read here (logind: no session; X: DISPLAY is not set): 'idle' windows never open" {
		t.Fatalf("reason %q", st.Reason)
	}
	if len(h.pass.Calls()) != 0 {
		t.Fatal("a pass ran")
	}
}

// The windows of the configuration file take effect without a restart; a
// bad edit keeps the previous windows, with a warning and a note in the
// status.
func TestReloadWindows(t *testing.T) {
	var log syncBuffer
	var mu sync.Mutex
	spec, bad := "23:00-07:00", false
	reload := func() (schedule.Windows, bool, error) {
		mu.Lock()
		defer mu.Unlock()
		if bad {
			return schedule.Windows{}, false, errors.New("config file c.json: unknown key \"window\"")
		}
		w, err := schedule.ParseWindows(spec)
		return w, false, err
	}
	h := newHarness(t, "23:00-07:00", date(2, 12, 0), date(2, 12, 20), Config{Reload: reload, Logger: testLogger(&log)})
	h.pass.do = func(n int, ctx context.Context, req Request) (*backup.Result, error) {
		h.clock.Advance(time.Minute)
		return &backup.Result{SnapshotID: "full"}, nil
	}
	// At 12:05 the user makes it a bad file, at 12:10 opens every hour.
	var once [2]sync.Once
	h.agent.cfg.Status = func(s Status) error {
		switch now := h.clock.Now(); {
		case !now.Before(date(2, 12, 10)):
			once[1].Do(func() { mu.Lock(); bad, spec = false, "always"; mu.Unlock() })
		case !now.Before(date(2, 12, 5)):
			once[0].Do(func() { mu.Lock(); bad = true; mu.Unlock() })
		}
		return h.status.record(s)
	}
	h.run(t)
	calls := h.pass.Calls()
	if len(calls) == 0 || calls[0].at.Before(date(2, 12, 10)) {
		t.Fatalf("passes at %v: want the first after 12:10", calls)
	}
	if n := strings.Count(log.String(), "the configuration was not reloaded"); n != 1 {
		t.Fatalf("%d warnings of the bad file:\n%s", n, log.String())
	}
	if _, ok := h.status.find(func(s Status) bool {
		return strings.Contains(s.ConfigError, "unknown key") && s.Windows == "23:00-07:00"
	}); !ok {
		t.Fatal("no status records the bad file")
	}
	if st := h.agent.Status(); st.ConfigError != "" || st.Windows != "always" {
		t.Fatalf("at the end: config error %q, windows %q", st.ConfigError, st.Windows)
	}
}

// 'agent --once' leaves the report of a failure to its caller: no log line
// about waiting for a next window it will not wait for.
func TestRunOnceFailureNotLogged(t *testing.T) {
	var log syncBuffer
	h := newHarness(t, "always", date(2, 12, 0), time.Time{}, Config{Logger: testLogger(&log)})
	denied := store.Permanent(store.KindCredentials, errors.New("denied"))
	h.pass.do = func(int, context.Context, Request) (*backup.Result, error) { return nil, denied }
	if _, err := h.agent.RunOnce(h.ctx); !errors.Is(err, denied) {
		t.Fatalf("RunOnce: %v", err)
	}
	if strings.Contains(log.String(), "denied") || strings.Contains(log.String(), "next window") {
		t.Fatalf("log:\n%s", log.String())
	}
}

// Stopping the agent is logged; a pass that found nothing changed says so.
func TestStoppedAndUnchangedLogged(t *testing.T) {
	var log syncBuffer
	h := newHarness(t, "always", date(2, 12, 0), date(2, 12, 30), Config{Logger: testLogger(&log)})
	h.pass.do = func(int, context.Context, Request) (*backup.Result, error) {
		return &backup.Result{SnapshotID: "same", Unchanged: true}, nil
	}
	h.run(t)
	if !strings.Contains(log.String(), `msg="agent stopped"`) || !strings.Contains(log.String(), "nothing changed; no new snapshot") {
		t.Fatalf("log:\n%s", log.String())
	}
	if lp := h.agent.Status().LastPass; lp == nil || !lp.Unchanged || lp.Outcome != "completed: nothing changed; no new snapshot" {
		t.Fatalf("last pass %+v", lp)
	}
}

// The history of an agent that backed up another vault is not carried to
// this one.
func TestPreviousOfAnotherVault(t *testing.T) {
	prev := &Status{Vault: "/a", Rate: 5, LastSuccess: date(1, 0, 0), Protected: &Snapshot{ID: "x"}}
	h := newHarness(t, "always", date(2, 12, 0), time.Time{}, Config{Vault: "/b", Previous: prev})
	h.agent.begin()
	if st := h.agent.Status(); st.Vault != "/b" || st.Rate != 0 || st.Protected != nil || !st.LastSuccess.IsZero() {
		t.Fatalf("status %+v", st)
	}
	h = newHarness(t, "always", date(2, 12, 0), time.Time{}, Config{Vault: "/a", Previous: prev})
	h.agent.begin()
	if st := h.agent.Status(); st.Rate != 5 || st.Protected == nil {
		t.Fatalf("status %+v", st)
	}
}

// A permanent failure waits for the next window, unless the configuration
// changes: the user may have fixed it.
func TestConfigChangeEndsPermanentWait(t *testing.T) {
	var changed atomic.Bool
	reload := func() (schedule.Windows, bool, error) { return schedule.Always(), changed.Swap(false), nil }
	h := newHarness(t, "always", date(2, 12, 0), date(2, 12, 30), Config{Reload: reload})
	h.pass.do = func(n int, ctx context.Context, req Request) (*backup.Result, error) {
		h.clock.Advance(time.Minute)
		if n == 0 {
			changed.Store(true) // the user fixes "paths" after the failure
			return nil, store.Permanent("", errors.New("cannot back up /x: no such file"))
		}
		return &backup.Result{SnapshotID: "full"}, nil
	}
	h.run(t)
	calls := h.pass.Calls()
	if len(calls) != 2 || calls[1].at.After(date(2, 12, 5)) {
		t.Fatalf("passes %v: want a second one at once after the fix", calls)
	}
}

// A rate measured a little above the limit, between two buckets of the
// limiter, is shown as the limit.
func TestRateCappedAtTheLimit(t *testing.T) {
	var sent atomic.Int64
	h := newHarness(t, "always", date(2, 12, 0), date(2, 13, 0), Config{StatusEvery: 5 * time.Second, Sent: sent.Load, Limit: func() int64 { return 36_000 }})
	h.pass.do = func(n int, ctx context.Context, req Request) (*backup.Result, error) {
		for range 12 {
			sent.Add(5*36_000 + 2000) // a bucket more, over the minute
			h.clock.Step(t, ctx, 5*time.Second)
		}
		return &backup.Result{SnapshotID: "full"}, nil
	}
	h.run(t)
	for _, s := range h.status.States() {
		if s.Rate > 36_000 {
			t.Fatalf("rate %v shown above the limit", s.Rate)
		}
	}
	if st, ok := h.status.find(func(s Status) bool { return s.Rate == 36_000 }); !ok {
		t.Fatalf("the rate was not shown: %+v", st)
	}
}

// On a slow line the remaining bytes fall as a piece is sent, not only
// when its upload ends: a 1 MiB piece takes half a minute at 36 kB/s.
// The limiter's count from before the pass began does not count.
func TestRemainingFollowsBytesSent(t *testing.T) {
	var sent atomic.Int64
	sent.Store(7_000_000) // an earlier pass of this agent
	h := newHarness(t, "always", date(2, 12, 0), date(2, 13, 0), Config{StatusEvery: 5 * time.Second, Sent: sent.Load})
	h.pass.do = func(n int, ctx context.Context, req Request) (*backup.Result, error) {
		p := req.Progress
		p.Phase.Store("data")
		p.FilesTotal.Store(2)
		p.BytesToRead.Store(2_000_000)
		p.BytesRead.Store(2_000_000)
		for range 4 {
			sent.Add(180_000) // 5 s at 36 kB/s; no upload has ended
			h.clock.Step(t, ctx, 5*time.Second)
		}
		return nil, store.Permanent(store.KindCredentials, errors.New("denied"))
	}
	h.run(t)
	var seen []int64
	for _, s := range h.status.States() {
		if s.Pass != nil && s.Remaining != nil {
			seen = append(seen, s.Remaining.Bytes)
		}
	}
	if len(seen) == 0 {
		t.Fatal("no status with what remains")
	}
	if last := seen[len(seen)-1]; last != 2_000_000-4*180_000 {
		t.Fatalf("remaining shown %v; want it to end at %d, the bytes to read less those sent", seen, 2_000_000-4*180_000)
	}
	if lp := h.agent.Status().LastPass; lp == nil || lp.BytesRemaining != 2_000_000 {
		t.Fatalf("last pass = %+v; want 2000000 bytes remaining, as no upload ended", lp)
	}
}
