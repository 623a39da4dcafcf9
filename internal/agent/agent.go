// Package agent runs backups unattended: it waits for a window in which it
// may run (package schedule), runs a backup pass that stops cleanly when
// the window closes, rescans the library every so often, and reacts to
// failures by their class. It is the loop behind `tunesafe agent`, and
// knows nothing of flags, vaults or stores: the caller hands it a Pass.
//
// # One turn of the loop
//
// Each turn the agent reads the clock and, when the windows depend on them,
// the user's idle time and the power source. Then:
//
//   - No window is open: it sleeps until the clock next opens one, or a
//     minute when idleness or the power source decide (they cannot be
//     foreseen). A window that the clock allows but the battery shuts is a
//     pause; the status says so.
//   - A window is open: it runs a pass with Request.MaxTime set to the time
//     left in the window, if the idle time and the power source stay as they
//     are (see closeTime). The backup engine stops by itself once MaxTime has
//     passed and commits a checkpoint, so a window closing on the clock
//     loses nothing. If the window shuts earlier (the laptop is unplugged,
//     the user comes back) the agent asks the pass to stop (Request.Stop),
//     and the engine stops as cleanly, with a checkpoint.
//   - After a complete pass the next one starts Rescan later (an unchanged
//     library costs a scan and no upload). After a pass the window cut
//     short, the next one starts when a window opens again.
//
// The sleeps are never longer than Poll: timers stop while a computer is
// suspended, and the wall clock may jump, so the agent looks again every
// minute instead of trusting a timer set hours ago.
//
// # Failures
//
// A failed pass is judged once, by the class its store gave the error
// (store.IsTransient); the agent never reads error text.
//
//   - Transient (network down, DNS, resets, timeouts, S3 500/503/SlowDown):
//     the store's own retries have already given up, so the agent backs off
//     exponentially, from Backoff.Min doubling to Backoff.Max, with jitter
//     so that many computers that lost the same network do not come back
//     at the same second, and then carries on in the same window.
//   - Anything else (wrong credentials, missing bucket, full disk, a path
//     that is gone, unreadable configuration) will not mend itself: the
//     status and the log say what went wrong with the caller's hint, and
//     the agent waits for the next window, or PermanentRetry when the
//     window does not close on the clock.
//
// # Status
//
// The agent reports what it does through Config.Status at every change and
// every few seconds while a pass runs; WriteStatusFile and ReadStatusFile
// keep it in a JSON file that `tunesafe status` reads (see status.go for
// the format).
//
// # Testing
//
// Time comes from a Clock and the idle time and power source from the
// schedule.Idle and schedule.Power interfaces, so the loop runs against a
// fake clock in tests: a simulated week takes milliseconds.
package agent

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tunesafe/tunesafe/internal/backup"
	"github.com/tunesafe/tunesafe/internal/schedule"
)

// Pass runs one backup pass within the limits of req. It returns the
// engine's result, or the error that stopped the pass; the class of that
// error (store.IsTransient) decides what the agent does next.
type Pass func(ctx context.Context, req Request) (*backup.Result, error)

// Request is what the agent asks of one pass.
type Request struct {
	// MaxTime is the time left in the window: the pass must stop cleanly,
	// committing a checkpoint, once it has run this long
	// (backup.Options.MaxTime). Zero means no limit.
	MaxTime time.Duration
	// Progress is the pass's counters (backup.Options.Progress); the agent
	// reads them for its status while the pass runs.
	Progress *backup.Progress
	// Protected should be called with the newest snapshot the vault holds
	// for this computer when the pass has opened the vault (if it can tell
	// cheaply), and after every snapshot or checkpoint it commits. It may
	// be called from any goroutine.
	Protected func(Snapshot)
	// Checked should be called after the pass has checked the vault's
	// integrity. It may be called from any goroutine.
	Checked func(Integrity)
	// Opened should be called when the pass has opened the vault, with
	// the key of the vault's rows in this computer's cache. The status
	// carries it (Status.CacheKey), so that a reader can find what other
	// commands recorded there since, such as a verify run by hand.
	Opened func(cacheKey string)
	// Stop reports whether the window closed early; the pass must then stop
	// cleanly, as at MaxTime (backup.Options.Stop).
	Stop func() (reason string, stop bool)
	// Retrying should be called when a request to the storage failed and
	// is about to be retried (the store's retry policy), naming it
	// ("put blobs/ab/…"), and Recovered when one succeeded after retries:
	// the status then says that the pass waits for the storage, and since
	// when. Both may be called from any goroutine.
	Retrying  func(request string, attempt int, err error)
	Recovered func()
}

// Config configures an Agent. Pass is required; the zero value of every
// other field has a sensible meaning.
type Config struct {
	// Pass runs one backup pass.
	Pass Pass
	// Windows say when passes may run; the zero Windows is always open.
	Windows schedule.Windows
	// Idle and Power answer the windows' idle and power conditions. They
	// are asked only when the windows need them. nil, or an error, counts
	// as no idle time and mains power (see schedule.ErrUnknown).
	Idle  schedule.Idle
	Power schedule.Power
	// Clock is the time source; nil is the real clock.
	Clock Clock
	// Status, if not nil, receives the agent's status at every change and
	// every StatusEvery while a pass runs. Calls never overlap. An error is
	// logged, once per distinct message, and the agent carries on: a
	// status that cannot be written must not stop backups.
	Status func(Status) error
	// Hint, if not nil, returns advice for a failed pass (what to fix), for
	// the status and the log.
	Hint func(error) string
	// Logger receives one line per event (pass started and ended, failures,
	// waits); nil discards them.
	Logger *slog.Logger

	// Rescan is the time between the end of a complete pass and the next
	// (default 60 min).
	Rescan time.Duration
	// Poll is the longest the agent sleeps before looking at the clock,
	// idle time and power source again, also while a pass runs (default
	// 1 min).
	Poll time.Duration
	// StatusEvery is how often the status is refreshed while a pass runs
	// (default 5 s).
	StatusEvery time.Duration
	// MinPass is the least time left in a window worth starting a pass for
	// (default 1 min): a scan alone may take longer.
	MinPass time.Duration
	// StopGrace is how long a pass running when the agent is stopped may
	// take to stop cleanly and save its checkpoint before it is cancelled
	// (default 15 s: less than service managers wait before they kill,
	// launchd 20 s, systemd 90 s).
	StopGrace time.Duration
	// Backoff bounds the waits after transient failures (default 1 min to
	// 1 h).
	Backoff Backoff
	// PermanentRetry is how long the agent waits after a permanent failure
	// when the window it happened in does not close on the clock ("always",
	// "idle 10m"); otherwise it waits for the next window (default 1 h).
	PermanentRetry time.Duration
	// Rand returns a number in [0, 1) for the jitter of backoffs; nil uses
	// math/rand/v2.
	Rand func() float64
	// PID is recorded in the status; 0 means this process's.
	PID int
	// Previous, if not nil, is the status an earlier agent left (see
	// ReadStatusFile): its history (the last pass, success and error, the
	// rate, what was protected and remained) is carried forward until this
	// agent knows better.
	Previous *Status
	// Vault names the vault the passes back up, for the status
	// (Status.Vault); the caller decides its form.
	Vault string
	// Reload, if not nil, is called before each turn of Run's loop, never
	// while a pass runs: it reads the configuration again and returns the
	// windows now in force, and whether anything in it changed. A change
	// ends the wait after a permanent failure: the user may have fixed
	// what failed. On an error the agent keeps its windows, logs the error
	// once and records it in the status (ConfigError) until a reload
	// succeeds; the caller keeps the rest of its previous configuration
	// too.
	Reload func() (w schedule.Windows, changed bool, err error)
	// Sent, if not nil, counts the bytes sent to the vault so far, as they
	// go (the upload limiter counts them). The rate is measured on it;
	// without it, on the bytes of the objects whose upload has ended,
	// which arrive in bursts on a slow line.
	Sent func() int64
	// Limit, if not nil, returns the upload limit in force in bytes per
	// second (0: none). A rate measured above it is shown as the limit:
	// the limiter lets bytes through a bucket at a time, and a measure
	// that begins just before one bucket and ends just after another
	// reads a little more than the limiter allows on average.
	Limit func() int64
}

// Agent runs backup passes in the windows of its Config. Create one with
// New; an Agent runs once (Run or RunOnce).
type Agent struct {
	cfg   Config
	clock Clock
	log   *slog.Logger

	// block holds passes back while the window is open: a rescan
	// interval, a backoff, or a permanent failure.
	block block
	// failures counts consecutive transient failures.
	failures int
	// lastWait is the reason of the last wait logged, so that a wait is
	// logged once, not every minute.
	lastWait string

	// once is set by RunOnce: its caller reports the pass's error.
	once bool
	// configErr is the last error of Reload that was logged.
	configErr string
	// idleErr is why the idle time cannot be read ("" when it can), and
	// idleWarned that it was logged once.
	idleErr    atomic.Pointer[string]
	idleWarned atomic.Bool

	mu        sync.Mutex // guards st and sinkErr, and serialises Status calls
	st        Status
	sinkErr   string
	rateMeter rateMeter
	// sentBase is what Config.Sent counted when the running pass began.
	sentBase int64
}

// block is a reason not to start a pass before until.
type block struct {
	until  time.Time
	reason string
	state  State
	// clearOnClose ends the block as soon as the windows are seen shut: a
	// permanent failure waits for the next window, not for the clock.
	clearOnClose bool
	// permanent: the block follows a permanent failure, which a change
	// of the configuration may have mended.
	permanent bool
}

// New returns an agent for cfg, filling in defaults.
func New(cfg Config) (*Agent, error) {
	if cfg.Pass == nil {
		return nil, errors.New("agent: no Pass")
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&cfg.Rescan, time.Hour)
	def(&cfg.Poll, time.Minute)
	def(&cfg.StatusEvery, 5*time.Second)
	def(&cfg.MinPass, time.Minute)
	def(&cfg.StopGrace, 15*time.Second)
	def(&cfg.Backoff.Min, time.Minute)
	def(&cfg.Backoff.Max, time.Hour)
	def(&cfg.PermanentRetry, time.Hour)
	cfg.Backoff.Max = max(cfg.Backoff.Max, cfg.Backoff.Min)
	if cfg.Rand == nil {
		cfg.Rand = rand.Float64
	}
	if cfg.PID == 0 {
		cfg.PID = os.Getpid()
	}
	a := &Agent{cfg: cfg, clock: cfg.Clock, log: cfg.Logger}
	if a.clock == nil {
		a.clock = SystemClock(nil)
	}
	if a.log == nil {
		a.log = slog.New(slog.DiscardHandler)
	}
	return a, nil
}

// Run runs passes in the windows until ctx ends, and then returns nil: an
// agent stops only when asked to. Failed passes are reported through the
// status and the log, never returned.
func (a *Agent) Run(ctx context.Context) error {
	a.begin()
	defer a.end()
	for ctx.Err() == nil {
		a.reload()
		now := a.clock.Now()
		idle, bat := a.probe(ctx)
		if ctx.Err() != nil {
			break
		}
		if !a.cfg.Windows.Open(now, idle, bat) {
			if a.block.clearOnClose {
				a.block = block{}
			}
			state, reason := a.closedReason(now, idle, bat)
			next := a.nextOpen(now)
			if next.Before(a.block.until) {
				next = a.block.until
			}
			a.wait(ctx, now, false, state, reason, a.untilCheck(now), next)
			continue
		}
		if now.Before(a.block.until) {
			next := a.block.until
			if a.block.clearOnClose {
				if c := closeTime(a.cfg.Windows, now, idle, bat); !c.IsZero() && !c.After(next) {
					next = a.cfg.Windows.NextOpen(c)
				}
			}
			a.wait(ctx, now, true, a.block.state, a.block.reason, a.block.until.Sub(now), next)
			continue
		}
		closeAt := closeTime(a.cfg.Windows, now, idle, bat)
		if !closeAt.IsZero() && closeAt.Sub(now) < a.cfg.MinPass {
			reason := fmt.Sprintf("the window closes at %s, too soon to start a pass", stamp(closeAt))
			a.wait(ctx, now, true, StateWaiting, reason, closeAt.Sub(now), a.cfg.Windows.NextOpen(closeAt))
			continue
		}
		a.runPass(ctx, now, closeAt)
	}
	a.log.Info("agent stopped")
	return nil
}

// reload reads the configuration again (Config.Reload): the windows take
// effect at once, the rest at the next pass.
func (a *Agent) reload() {
	if a.cfg.Reload == nil {
		return
	}
	w, changed, err := a.cfg.Reload()
	if err != nil {
		msg := err.Error()
		if msg != a.configErr {
			a.configErr = msg
			a.log.Warn("the configuration was not reloaded; the agent carries on with the previous one", "err", err)
		}
		a.update(func(st *Status) { st.ConfigError = msg })
		return
	}
	if a.configErr != "" {
		a.configErr = ""
		a.log.Info("configuration reloaded")
	}
	if changed && a.block.permanent {
		a.block = block{}
		a.log.Info("the configuration changed: trying again now")
	}
	changed = w.String() != a.cfg.Windows.String()
	a.cfg.Windows = w
	a.update(func(st *Status) {
		st.ConfigError = ""
		st.Windows = w.String()
	})
	if changed {
		a.lastWait = ""
		a.log.Info("windows changed", "windows", w.String())
	}
}

// ClosedError is returned by RunOnce when no window is open.
type ClosedError struct {
	// Reason says why, for people: "outside the windows 23:00-07:00".
	Reason string
	// Next is when the clock next opens a window; zero if only idleness
	// or the power source can open one.
	Next time.Time
}

func (e *ClosedError) Error() string {
	if e.Next.IsZero() {
		return "no window is open: " + e.Reason
	}
	return fmt.Sprintf("no window is open: %s; the next opens at %s", e.Reason, e.Next.Format("2006-01-02 15:04"))
}

// RunOnce runs one pass if a window is open now, and returns its result.
// It returns a *ClosedError without running when no window is open, or the
// window is closed before the pass ends; otherwise the pass's own error.
// The status is written as by Run, ending in StateStopped.
func (a *Agent) RunOnce(ctx context.Context) (*backup.Result, error) {
	a.once = true
	a.begin()
	defer a.end()
	now := a.clock.Now()
	idle, bat := a.probe(ctx)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if !a.cfg.Windows.Open(now, idle, bat) {
		_, reason := a.closedReason(now, idle, bat)
		return nil, &ClosedError{Reason: reason, Next: a.nextOpen(now)}
	}
	closeAt := closeTime(a.cfg.Windows, now, idle, bat)
	if !closeAt.IsZero() && closeAt.Sub(now) < a.cfg.MinPass {
		return nil, &ClosedError{Reason: fmt.Sprintf("the window closes at %s, too soon to start", stamp(closeAt)), Next: a.cfg.Windows.NextOpen(closeAt)}
	}
	res, early, err := a.runPass(ctx, now, closeAt)
	if early != "" {
		return res, &ClosedError{Reason: early}
	}
	return res, err
}

// probe asks for the idle time and the power source, when the windows
// depend on them.
func (a *Agent) probe(ctx context.Context) (idle time.Duration, onBattery bool) {
	if a.cfg.Windows.NeedsIdle() && a.cfg.Idle != nil {
		d, err := a.cfg.Idle.IdleTime(ctx)
		switch {
		case err == nil:
			idle = d
			a.idleErr.Store(nil)
		case ctx.Err() == nil:
			msg := err.Error()
			a.idleErr.Store(&msg)
			if !a.idleWarned.Swap(true) {
				a.log.Warn("idle time cannot be read here: 'idle' windows never open", "err", err)
			} else {
				a.log.Debug("idle time unknown; windows that need idleness stay shut", "err", err)
			}
		}
	}
	if a.cfg.Windows.NeedsPower() && a.cfg.Power != nil {
		b, err := a.cfg.Power.OnBattery(ctx)
		if err == nil {
			onBattery = b
		} else if ctx.Err() == nil {
			a.log.Debug("power source unknown; taken as mains", "err", err)
		}
	}
	return idle, onBattery
}

// closedReason says why no window is open.
func (a *Agent) closedReason(now time.Time, idle time.Duration, onBattery bool) (State, string) {
	w := a.cfg.Windows
	switch {
	case onBattery && w.NeedsPower() && w.Open(now, idle, false):
		return StatePaused, "on battery"
	case w.NeedsIdle() && w.Open(now, schedule.MaxIdle, onBattery):
		if e := a.idleErr.Load(); e != nil {
			return StateWaiting, "idle time cannot be read here (" + *e + "): 'idle' windows never open"
		}
		return StateWaiting, "waiting for the computer to be idle"
	}
	return StateWaiting, "outside the windows " + w.String()
}

// untilCheck is how long to sleep while the windows are shut.
func (a *Agent) untilCheck(now time.Time) time.Duration {
	d := a.cfg.Poll
	if next := a.cfg.Windows.NextOpen(now); next.After(now) {
		d = min(d, next.Sub(now))
	}
	return d
}

// nextOpen is when the clock next opens a window after now, or zero when
// it already allows one (and idleness or the power source decide).
func (a *Agent) nextOpen(now time.Time) time.Time {
	if next := a.cfg.Windows.NextOpen(now); next.After(now) {
		return next
	}
	return time.Time{}
}

// wait records why the agent waits, whether a window is open, and when
// it expects to run next (zero if that depends on idleness or the power
// source), and sleeps for d, at most Poll.
func (a *Agent) wait(ctx context.Context, now time.Time, open bool, state State, reason string, d time.Duration, next time.Time) {
	a.update(func(st *Status) {
		st.State, st.Reason, st.WindowOpen = state, reason, open
		st.NextWindow = time.Time{}
		if !open {
			st.NextWindow = a.nextOpen(now)
		}
		st.NextPass = next
	})
	if msg := string(state) + ": " + reason; msg != a.lastWait {
		a.lastWait = msg
		attrs := []any{"reason", reason}
		if next := a.nextOpen(now); !next.IsZero() {
			attrs = append(attrs, "next_window", next.Format(time.RFC3339))
		}
		a.log.Info("agent "+string(state), attrs...)
	}
	a.clock.Sleep(ctx, max(min(d, a.cfg.Poll), time.Second))
}

// begin publishes the first status.
func (a *Agent) begin() {
	now := a.clock.Now()
	a.update(func(st *Status) {
		if p := a.cfg.Previous; p != nil {
			prev := p.clone()
			st.LastPass, st.LastSuccess, st.LastError = prev.LastPass, prev.LastSuccess, prev.LastError
			st.LastComplete, st.LastCheckpoint = prev.Completed(), prev.LastCheckpoint
			if st.LastComplete.IsZero() && st.LastCheckpoint.IsZero() {
				// An older agent's success that was not complete.
				st.LastCheckpoint = prev.LastSuccess
			}
			st.Rate, st.Protected, st.Remaining = prev.Rate, prev.Protected, prev.Remaining
			st.Integrity, st.CacheKey = prev.Integrity, prev.CacheKey
			if prev.Vault != "" && prev.Vault != a.cfg.Vault {
				// Another vault's history says nothing of this one.
				st.LastPass, st.LastSuccess, st.LastError = nil, time.Time{}, nil
				st.LastComplete, st.LastCheckpoint = time.Time{}, time.Time{}
				st.Rate, st.Protected, st.Remaining = 0, nil, nil
				st.Integrity, st.CacheKey = nil, ""
			}
		}
		st.Version = StatusVersion
		st.Vault = a.cfg.Vault
		st.PID = a.cfg.PID
		st.Started = now
		st.State = StateStarting
		st.Windows = a.cfg.Windows.String()
	})
}

// end publishes the last status.
func (a *Agent) end() {
	a.update(func(st *Status) {
		st.State, st.Reason = StateStopped, "the agent stopped"
		st.Pass, st.WindowOpen = nil, false
		st.NextPass = time.Time{}
	})
}

// update changes the status under the lock and publishes a copy.
func (a *Agent) update(change func(*Status)) {
	a.mu.Lock()
	defer a.mu.Unlock()
	change(&a.st)
	a.st.Updated = a.clock.Now()
	if a.cfg.Status == nil {
		return
	}
	if err := a.cfg.Status(a.st.clone()); err != nil {
		if msg := err.Error(); msg != a.sinkErr {
			a.sinkErr = msg
			a.log.Warn("cannot write the agent's status", "err", err)
		}
	} else {
		a.sinkErr = ""
	}
}

// Status returns a copy of the current status.
func (a *Agent) Status() Status {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.st.clone()
}

// stamp formats an instant for a status reason or a log line, in the
// clock's time zone.
func stamp(t time.Time) string {
	return t.Format("2006-01-02 15:04")
}
