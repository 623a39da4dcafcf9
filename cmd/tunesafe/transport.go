package main

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/tunesafe/tunesafe/internal/bwlimit"
	"github.com/tunesafe/tunesafe/internal/store"
	"github.com/tunesafe/tunesafe/internal/store/retry"
	"github.com/tunesafe/tunesafe/internal/store/s3store"
)

// limits are the bandwidth limiters of this run, following the timetables
// given by --limit-upload/--limit-download or the config file.
type limits struct {
	up, down *bwlimit.Limiter
}

// setupLimits parses the limits once per run and starts following their
// timetables until ctx ends.
func (a *app) setupLimits(ctx context.Context) error {
	if a.lim != nil {
		return nil
	}
	cfg, err := a.loadConfig()
	if err != nil {
		return err
	}
	upSpec, downSpec := a.limitUpload, a.limitDownload
	if upSpec == "" {
		upSpec = cfg.LimitUpload
	}
	if downSpec == "" {
		downSpec = cfg.LimitDownload
	}
	l := &limits{}
	for _, x := range []struct {
		spec, flag string
		dst        **bwlimit.Limiter
	}{{upSpec, "--limit-upload", &l.up}, {downSpec, "--limit-download", &l.down}} {
		if x.spec == "" {
			continue
		}
		tt, err := bwlimit.ParseTimetable(x.spec)
		if err != nil {
			return usagef("for example 36KB, 2Mbit, or \"Mon-Fri 08:00 256KiB; 18:00 2MiB; 23:00 off\"", "%s: %v", x.flag, err)
		}
		*x.dst = bwlimit.New(0)
		go bwlimit.Follow(ctx, *x.dst, tt)
	}
	a.lim = l
	return nil
}

// configureTransport throttles the S3 client's request and response bodies,
// so that the rate on the wire follows the limits.
func (a *app) configureTransport(cfg *s3store.Config) {
	if a.lim == nil || (a.lim.up == nil && a.lim.down == nil) {
		return
	}
	up, down := a.lim.up, a.lim.down
	cfg.WrapTransport = func(rt http.RoundTripper) http.RoundTripper { return bwlimit.Transport(rt, up, down) }
}

// decorate stacks the cross-cutting behaviour every request goes through,
// bottom up: bandwidth limits (in the S3 transport, or around a folder),
// then retries of transient failures. The tamper-evident log is stacked on
// top by openVault, so that one logical PUT is one record. This is the one
// place where the chain is assembled.
func (a *app) decorate(s store.Store) store.Store {
	if _, isS3 := s.(*s3store.Store); !isS3 && a.lim != nil && (a.lim.up != nil || a.lim.down != nil) {
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
			what := op
			if key != "" {
				what += " " + key
			}
			a.logger().Warn(fmt.Sprintf("retrying %s (attempt %d)", what, attempt), "err", err)
		},
	}
}
