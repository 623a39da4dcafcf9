package main

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/tunesafe/tunesafe/internal/bwlimit"
	"github.com/tunesafe/tunesafe/internal/store"
	"github.com/tunesafe/tunesafe/internal/store/retry"
	"github.com/tunesafe/tunesafe/internal/store/s3store"
)

// limits are the bandwidth limiters of this run, following the timetables
// given by --limit-upload/--limit-download or the config file. After
// setupLimits up is never nil: without an upload limit it only counts.
type limits struct {
	up, down *bwlimit.Limiter
	// ctx bounds the goroutines that follow the timetables.
	ctx context.Context
	// The timetables the limiters follow now.
	upTT, downTT followed
}

// followed is the timetable a Limiter follows now, and its follower.
type followed struct {
	spec string
	f    *follower
}

// follower is a goroutine that applies a timetable to a Limiter.
type follower struct {
	cancel context.CancelFunc
	done   chan struct{}
}

// stop ends the follower and waits for it, so that it cannot set its rate
// after its successor has set another. A nil follower is none.
func (f *follower) stop() {
	if f != nil {
		f.cancel()
		<-f.done
	}
}

// setupLimits parses the limits once per run and starts following their
// timetables until ctx ends. A long-running command (the agent) applies
// the config file's limits again with applyLimits.
func (a *app) setupLimits(ctx context.Context) error {
	if a.lim != nil {
		return nil
	}
	cfg, err := a.loadConfig()
	if err != nil {
		return err
	}
	l := &limits{ctx: ctx}
	if err := a.applyLimits(l, cfg); err != nil {
		return err
	}
	if l.up == nil {
		// Unlimited, but counting: the stores and transports built on it
		// count the bytes sent as they go (Limiter.Passed), for the
		// upload rate that progress shows.
		l.up = bwlimit.New(0)
	}
	a.lim = l
	return nil
}

// applyLimits sets l to the limits of the flags, else of cfg: a timetable
// that changed is followed from now on by the same Limiter, so that the
// stores and transports built on it follow the change at once, and a limit
// that went away becomes no limit. On an error nothing changes.
func (a *app) applyLimits(l *limits, cfg *fileConfig) error {
	spec := func(flag, name, fromConfig string) (string, bwlimit.Timetable, error) {
		from, s := "--"+name, flag
		if s == "" {
			from, s = fmt.Sprintf("config file %s: %q", a.configFile(), strings.ReplaceAll(name, "-", "_")), fromConfig
		}
		if s == "" {
			return "", bwlimit.Timetable{}, nil
		}
		tt, err := bwlimit.ParseTimetable(s)
		if err != nil {
			return "", tt, usagef("for example 36kB/s, 2Mbit, or \"Mon-Fri 08:00 256KiB; 18:00 2MiB; 23:00 off\"", "%s: %v", from, err)
		}
		return s, tt, nil
	}
	// Parse both before changing either.
	up, upTT, err := spec(a.limitUpload, "limit-upload", cfg.LimitUpload)
	if err != nil {
		return err
	}
	down, downTT, err := spec(a.limitDownload, "limit-download", cfg.LimitDownload)
	if err != nil {
		return err
	}
	l.follow(&l.up, &l.upTT, up, upTT)
	l.follow(&l.down, &l.downTT, down, downTT)
	return nil
}

// follow makes *lim follow the timetable tt (spec parsed), unless cur says
// it already does; an empty spec means no limit.
func (l *limits) follow(lim **bwlimit.Limiter, cur *followed, spec string, tt bwlimit.Timetable) {
	if spec == cur.spec {
		return
	}
	cur.f.stop()
	cur.f, cur.spec = nil, spec
	if spec == "" {
		if *lim != nil {
			(*lim).SetRate(0)
		}
		return
	}
	if *lim == nil {
		*lim = bwlimit.New(0)
	}
	// At once, not when the follower first runs.
	rate, _ := tt.RateAt(time.Now())
	(*lim).SetRate(rate)
	ctx, cancel := context.WithCancel(l.ctx)
	f := &follower{cancel: cancel, done: make(chan struct{})}
	cur.f = f
	go func(lim *bwlimit.Limiter) {
		defer close(f.done)
		bwlimit.Follow(ctx, lim, tt)
	}(*lim)
}

// configureTransport throttles the S3 client's request and response bodies,
// so that the rate on the wire follows the limits, and counts the bytes
// sent.
func (a *app) configureTransport(cfg *s3store.Config) {
	if a.lim == nil || (a.lim.up == nil && a.lim.down == nil) {
		return
	}
	up, down := a.lim.up, a.lim.down
	cfg.WrapTransport = func(rt http.RoundTripper) http.RoundTripper { return bwlimit.Transport(rt, up, down) }
}

// decorate stacks the cross-cutting behaviour every request goes through,
// bottom up: the watch for the storage's first answer (status_answer.go),
// bandwidth limits (in the S3 transport, or around a folder),
// then retries of transient failures. The tamper-evident log is stacked on
// top by openVault, so that one logical PUT is one record. This is the one
// place where the chain is assembled.
func (a *app) decorate(s store.Store) store.Store {
	_, isS3 := s.(*s3store.Store)
	s = answerStore{s}
	if !isS3 && a.lim != nil && (a.lim.up != nil || a.lim.down != nil) {
		s = bwlimit.Store(s, a.lim.up, a.lim.down)
	}
	return retry.Wrap(s, a.retryPolicy())
}

// openRetryFor bounds how long the first request to a vault's storage is
// retried: a blip as a command starts (a reset connection, a laptop's
// network coming back) is ridden out, a line that is down or an endpoint
// that is wrong is reported within seconds (nothing is under way yet, and
// the agent tries again at its next window), while a line that drops once
// the work has started is waited for up to --retry-for.
const openRetryFor = 10 * time.Second

// retryPolicy is how every storage request of this run is retried: by the
// store chain, and by the retention requests that go around it (retain.go).
func (a *app) retryPolicy() retry.Policy {
	maxElapsed := a.retryFor
	if maxElapsed == 0 {
		// --retry-for 0: give up at the first failure (the policy's zero
		// would mean its default).
		maxElapsed = time.Nanosecond
	}
	return retry.Policy{
		MaxElapsed: maxElapsed,
		OnRetry: func(op, key string, attempt int, err error) {
			a.retryReporter().Retry(op, key, attempt, err)
			if w := a.storage.Load(); w != nil {
				what := op
				if key != "" {
					what += " " + key
				}
				w.retrying(what, attempt, err)
			}
		},
		OnRecover: func(op, key string, retries int) {
			a.retryReporter().Recover(op, key, retries)
			if w := a.storage.Load(); w != nil {
				w.recovered()
			}
		},
	}
}

// retryReporter tells the log of the retries of every storage request of
// this run, few lines however many requests wait (retry.Reporter): a
// vault disk unplugged during a restore is one warning, then one a
// minute, not one per file and attempt.
func (a *app) retryReporter() *retry.Reporter {
	a.reporterOnce.Do(func() { a.reporter = &retry.Reporter{Log: a.logger(), Now: a.now} })
	return a.reporter
}
