package agent

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tunesafe/tunesafe/internal/backup"
	"github.com/tunesafe/tunesafe/internal/store"
)

// runPass runs one pass, started at now with the window closing at
// closeAt (zero: not on the clock), and judges its outcome. early is the
// reason the window shut before the pass ended ("" if it did not).
func (a *Agent) runPass(ctx context.Context, now, closeAt time.Time) (res *backup.Result, early string, err error) {
	a.lastWait = ""
	var maxTime time.Duration
	if !closeAt.IsZero() {
		maxTime = closeAt.Sub(now)
	}
	prog := &backup.Progress{}
	a.update(func(st *Status) {
		st.State, st.Reason = StateRunning, "backing up"
		if !closeAt.IsZero() {
			st.Reason = "backing up until the window closes at " + stamp(closeAt)
		}
		st.NextPass, st.NextWindow, st.WindowOpen = time.Time{}, time.Time{}, true
		st.Pass = &PassStatus{Started: now, Deadline: closeAt}
		// The last pass's count is no longer what is left: this pass
		// counts afresh once its scan ends.
		st.Remaining = nil
	})
	start := rateSample{now, a.sent(prog)}
	a.mu.Lock()
	a.rateMeter = rateMeter{}
	a.sentBase = start.n
	prevRate := a.st.Rate
	a.mu.Unlock()
	a.log.Info("backup pass started", "max_time", maxTime.String())

	// The pass outlives ctx by a little: stopping the agent stops the pass
	// cleanly (stopGently).
	passCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	var wg sync.WaitGroup
	var stopped atomic.Pointer[string]
	var quitting atomic.Bool
	stop := func() (string, bool) {
		if quitting.Load() {
			return agentStopping, true
		}
		if r := stopped.Load(); r != nil {
			return "the window closed: " + *r, true
		}
		return "", false
	}
	tick := a.clock.After(a.cfg.StatusEvery)
	wg.Go(func() { a.watch(passCtx, func(reason string) { stopped.Store(&reason) }, prog, now, tick, closeAt) })
	wg.Go(func() { a.stopGently(ctx, passCtx, cancel, prog, &quitting) })
	res, err = a.cfg.Pass(passCtx, Request{MaxTime: maxTime, Progress: prog, Protected: a.protected, Checked: a.checked, Opened: a.opened, Stop: stop,
		Retrying: a.retrying, Recovered: a.recovered})
	cancel()
	wg.Wait()

	end := a.clock.Now()
	// The rate of the last minute goes with the pass: what stays is the
	// pass's average, from its first sample (by when a limiter's bucket
	// that started full is spent), else the last pass's.
	a.mu.Lock()
	a.rateMeter.add(end, a.sent(prog))
	avg := a.capped(a.rateMeter.average())
	a.mu.Unlock()
	if avg <= 0 {
		// No status was sampled long enough: the pass as a whole.
		avg = a.capped(rateOver(start, rateSample{end, a.sent(prog)}, rateMinSpan))
	}
	if avg <= 0 {
		avg = prevRate
	}
	a.update(func(st *Status) { st.Rate = avg })
	switch {
	case ctx.Err() != nil && err == nil && res != nil && res.Partial:
		a.update(func(st *Status) {
			st.Pass = nil
			st.LastPass = summary(now, end, res, prog, "stopped early: "+agentStopping)
		})
		if res.SnapshotID != "" {
			a.log.Info("backup pass stopped: the agent is stopping; checkpoint saved", "snapshot", res.SnapshotID)
		} else {
			a.log.Info("backup pass stopped: the agent is stopping; no checkpoint saved: no whole file was stored yet")
		}
		err = ctx.Err()
	case ctx.Err() != nil:
		a.update(func(st *Status) { st.Pass = nil })
		a.log.Info("backup pass interrupted: the agent is stopping")
		if err == nil {
			err = ctx.Err()
		}
	case err == nil && stopped.Load() != nil:
		early = *stopped.Load()
		a.update(func(st *Status) {
			st.Pass = nil
			st.LastPass = summary(now, end, res, prog, "stopped early: "+early)
		})
		a.log.Info("backup pass stopped: the window closed early", "reason", early)
		// Not a failure: the next window continues where this one stopped.
		err = nil
	case err != nil:
		a.failed(now, end, err, closeAt, prog)
	default:
		a.succeeded(now, end, res, prog, closeAt)
	}
	return res, early, err
}

// agentStopping is the reason a pass stops when the agent is stopped.
const agentStopping = "the agent is stopping"

// stopGently stops the pass running under passCtx when ctx, the agent's,
// ends (the service manager's SIGTERM, a shutdown): as a closed window
// does, so that the pass sends no new piece and saves a checkpoint; the
// work since the last one is then in the vault, not only in this
// computer's cache. A pass that has not ended StopGrace later is
// cancelled, and so is one still scanning or starting, which has nothing
// to save yet.
func (a *Agent) stopGently(ctx, passCtx context.Context, cancel context.CancelFunc, prog *backup.Progress, quitting *atomic.Bool) {
	select {
	case <-passCtx.Done():
		return
	case <-ctx.Done():
	}
	if phase := prog.PhaseName(); phase == "" || phase == "scan" {
		cancel()
		return
	}
	grace := a.clock.After(a.cfg.StopGrace) // set before the pass hears
	quitting.Store(true)
	a.log.Info("the agent is stopping: the pass stops and saves a checkpoint", "grace", a.cfg.StopGrace.String())
	select {
	case <-passCtx.Done():
	case <-grace:
		cancel()
	}
}

// watch refreshes the status while a pass runs, and asks the pass to stop
// (Request.Stop) when the window shuts before the time the pass was given:
// the engine stops by itself at its MaxTime, but not when the user comes
// back or the charger is unplugged. The engine then stops cleanly, with a
// checkpoint, as at MaxTime.
//
// The pass started at start; tick fires StatusEvery after it. (The first
// timer is set before the pass starts, so that the watcher's rhythm does
// not depend on when its goroutine is scheduled.)
func (a *Agent) watch(ctx context.Context, stop func(reason string), prog *backup.Progress, start time.Time, tick <-chan time.Time, closeAt time.Time) {
	lastCheck := start
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick:
		}
		now := a.clock.Now()
		closed := !closeAt.IsZero() && !now.Before(closeAt)
		if closed {
			// The engine is stopping at its MaxTime; the pass may take a
			// while yet to store its checkpoint.
			a.windowClosed(now, "the window closed at "+stamp(closeAt))
		}
		a.refresh(now, prog)
		if !closed && now.Sub(lastCheck) >= a.cfg.Poll {
			lastCheck = now
			idle, bat := a.probe(ctx)
			if ctx.Err() != nil {
				return
			}
			if !a.cfg.Windows.Open(now, idle, bat) {
				_, reason := a.closedReason(now, idle, bat)
				stop(reason)
				a.windowClosed(now, "the window closed: "+reason)
				return
			}
		}
		tick = a.clock.After(a.cfg.StatusEvery)
	}
}

// windowClosed records that the window of the running pass has closed,
// while the pass stops and stores its checkpoint: the status must not say
// that a window is open for as long as the pass takes to end.
func (a *Agent) windowClosed(now time.Time, why string) {
	a.update(func(st *Status) {
		if st.Pass == nil || !st.WindowOpen {
			return
		}
		st.WindowOpen, st.NextWindow = false, a.nextOpen(now)
		st.Reason = why + "; the pass is stopping with a checkpoint"
	})
}

// sent counts the bytes sent so far: Config.Sent, else the pass's
// uploads that have ended.
func (a *Agent) sent(p *backup.Progress) int64 {
	if a.cfg.Sent != nil {
		return a.cfg.Sent()
	}
	return p.BytesUploaded.Load()
}

// capped returns rate, at most the upload limit (Config.Limit).
func (a *Agent) capped(rate float64) float64 {
	if a.cfg.Limit != nil {
		if l := a.cfg.Limit(); l > 0 {
			return min(rate, float64(l))
		}
	}
	return rate
}

// retrying records in the running pass's status that the storage failed
// request, which is about to be retried; the time since it first failed
// stays until it answers again (recovered).
func (a *Agent) retrying(request string, attempt int, err error) {
	now := a.clock.Now()
	a.update(func(st *Status) {
		if st.Pass == nil {
			return
		}
		ps := *st.Pass
		r := Retrying{Since: now, Request: request, Attempt: attempt, Error: err.Error()}
		if ps.Retrying != nil {
			r.Since = ps.Retrying.Since
		}
		ps.Retrying = &r
		st.Pass = &ps
	})
}

// recovered clears the pass's retrying state: the storage answers again.
func (a *Agent) recovered() {
	a.mu.Lock()
	was := a.st.Pass != nil && a.st.Pass.Retrying != nil
	a.mu.Unlock()
	if !was {
		return // most requests that recover leave nothing to write
	}
	a.update(func(st *Status) {
		if st.Pass == nil || st.Pass.Retrying == nil {
			return
		}
		ps := *st.Pass
		ps.Retrying = nil
		st.Pass = &ps
	})
}

// refresh copies a running pass's counters into the status.
func (a *Agent) refresh(now time.Time, p *backup.Progress) {
	a.mu.Lock()
	sent := a.sent(p)
	rate := a.capped(a.rateMeter.add(now, sent))
	// What the pass has sent as it goes: the limiter's count since the
	// pass began, at least what the uploads that ended stored.
	sent = max(sent-a.sentBase, p.BytesUploaded.Load())
	a.mu.Unlock()
	a.update(func(st *Status) {
		if st.Pass == nil {
			return
		}
		ps := *st.Pass
		ps.fill(p)
		st.Pass = &ps
		if rem := remaining(p, sent); rem != nil {
			st.Remaining = rem
		}
		if rate > 0 {
			st.Rate = rate
		}
	})
}

// remaining is what a pass has left to store, or nil before it can tell,
// given the bytes it has sent so far as they go (sent; 0 counts only the
// uploads that ended): so on a slow line it falls as a piece goes, not a
// piece (half a minute at 36 kB/s) at a time. Before the engine knows file
// by file (backup.Progress.RemainingSent), the bytes to read less those
// sent stand in: never the bytes not yet read, since on a slow line every
// file is read long before it is sent.
func remaining(p *backup.Progress, sent int64) *Remaining {
	if files, bytes, ok := p.RemainingSent(sent); ok {
		return &Remaining{Files: files, Bytes: bytes}
	}
	if p.FilesTotal.Load() == 0 {
		return nil
	}
	return &Remaining{
		Files: max(p.FilesTotal.Load()-p.FilesDone.Load(), 0),
		Bytes: max(p.BytesToRead.Load()-max(p.BytesUploaded.Load(), sent), 0),
	}
}

// protected records the newest snapshot a pass reports.
func (a *Agent) protected(s Snapshot) {
	a.update(func(st *Status) {
		if st.Protected == nil || !s.Time.Before(st.Protected.Time) {
			st.Protected = &s
		}
	})
}

// opened records the cache key a pass reports.
func (a *Agent) opened(key string) {
	a.update(func(st *Status) { st.CacheKey = key })
}

// checked records an integrity check a pass reports.
func (a *Agent) checked(i Integrity) {
	a.update(func(st *Status) { st.Integrity = &i })
}

// succeeded records a pass that ended without error, and decides when the
// next one may start.
func (a *Agent) succeeded(start, end time.Time, res *backup.Result, prog *backup.Progress, closeAt time.Time) {
	a.failures = 0
	outcome := "completed"
	if res != nil && res.Unchanged {
		outcome = "completed: nothing changed; no new snapshot"
	}
	if res != nil && res.Partial {
		why := res.StopReason
		if !closeAt.IsZero() && !end.Before(closeAt.Add(-time.Minute)) {
			why = "the window closed"
		}
		outcome = "checkpoint: " + why
		if res.SnapshotID == "" {
			// Stopped before a whole file was stored: nothing to
			// restore from, hence no checkpoint (what was uploaded
			// is not sent again).
			outcome = "stopped before a whole file was stored, no checkpoint: " + why
		}
	}
	sum := summary(start, end, res, prog, outcome)
	a.update(func(st *Status) {
		st.Pass = nil
		st.LastPass = sum
		st.LastSuccess = end
		if res != nil && res.Partial {
			if res.SnapshotID != "" {
				st.LastCheckpoint = end
			}
		} else {
			st.LastComplete = end
		}
		st.Remaining = &Remaining{Files: sum.FilesRemaining, Bytes: sum.BytesRemaining}
	})
	if res == nil || !res.Partial {
		next := end.Add(a.cfg.Rescan)
		a.block = block{until: next, state: StateWaiting, reason: "next rescan of the library at " + stamp(next)}
	} else {
		// Stopped by its limit: the window is closing. Should it still be
		// open, look again after a short while rather than at once.
		a.block = block{until: end.Add(a.cfg.Poll), state: StateWaiting, reason: "the last pass stopped at its limit", clearOnClose: true}
	}
	attrs := []any{"outcome", outcome, "uploaded", sum.BytesUploaded, "remaining_files", sum.FilesRemaining, "remaining_bytes", sum.BytesRemaining}
	if res != nil {
		attrs = append(attrs, "snapshot", res.SnapshotID)
	}
	a.log.Info("backup pass ended", attrs...)
}

// failed records a failed pass and classifies its error once: transient
// failures back off and carry on, the rest wait for the next window.
func (a *Agent) failed(start, end time.Time, err error, closeAt time.Time, prog *backup.Progress) {
	e := &ErrorStatus{Time: end, Message: err.Error(), Kind: store.KindOf(err)}
	if a.cfg.Hint != nil {
		e.Hint = a.cfg.Hint(err)
	}
	if store.IsTransient(err) {
		a.failures++
		d := a.cfg.Backoff.Delay(a.failures, a.cfg.Rand())
		e.Class, e.Failures, e.RetryAt = ClassTransient, a.failures, end.Add(d)
		a.block = block{until: e.RetryAt, state: StateBackoff, reason: fmt.Sprintf("retrying at %s after a transient failure", stamp(e.RetryAt))}
		if !a.once {
			a.log.Warn("backup pass failed; retrying later", "err", err, "retry_at", e.RetryAt.Format(time.RFC3339), "failures", a.failures)
		}
	} else {
		a.failures = 0
		e.Class, e.Failures = ClassPermanent, 1
		until := closeAt
		reason := "failed; trying again at the next window"
		if until.IsZero() {
			until = end.Add(a.cfg.PermanentRetry)
			reason = "failed; trying again at " + stamp(until) + " or at the next window"
		}
		e.RetryAt = until
		a.block = block{until: until, state: StateWaiting, reason: reason, clearOnClose: true, permanent: true}
		if !a.once {
			a.log.Error("backup pass failed; waiting for the next window", "err", err, "hint", e.Hint)
		}
	}
	a.update(func(st *Status) {
		st.Pass = nil
		st.LastError = e
		st.LastPass = summary(start, end, nil, prog, "failed: "+string(e.Class))
	})
}
