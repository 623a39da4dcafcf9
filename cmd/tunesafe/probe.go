package main

import (
	"context"

	"github.com/tunesafe/tunesafe/internal/backup"
	"github.com/tunesafe/tunesafe/internal/library"
)

// probeUnchanged asks whether a backup with opts, and the library view
// when there is one, would store anything (backup.Probe). It returns the
// result of a pass that found nothing to store, or nil when the pass must
// run, under the vault's lock.
//
// The probe writes nothing to the vault, and so takes no lock: a lock is a
// PUT and a DELETE, each a record in the vault's log, and an hourly
// unattended pass over an unchanged library would otherwise add two log
// objects to the vault every hour (about 17,000 a year) and as many to
// each replica.
func (a *app) probeUnchanged(ctx context.Context, s *session, opts backup.Options, view *library.View) (*backup.Result, error) {
	if s.log == nil || s.log.ReadOnly() {
		return nil, nil // the pass reports why it cannot write
	}
	if view != nil {
		extra, err := viewIDs(s.vault, view)
		if err != nil {
			return nil, err
		}
		opts.Extra = extra
	}
	opts.OnCommit = nil
	// A progress of its own: a pass that follows scans again, and counts
	// from zero.
	opts.Progress = &backup.Progress{}
	res, unchanged, err := backup.Probe(ctx, s.vault, s.cache, opts)
	if err != nil || !unchanged {
		return nil, err
	}
	return res, nil
}

// prepareWrites completes the options of a pass that writes, under the
// lock: it stores the library view, if any, and has the log record the
// snapshots (logSnapshots).
func (a *app) prepareWrites(ctx context.Context, s *session, opts *backup.Options, view *library.View) error {
	if view != nil {
		extra, err := storeView(ctx, s.vault, view)
		if err != nil {
			return err
		}
		opts.Extra = extra
	}
	a.logSnapshots(s, opts)
	return nil
}
