package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tunesafe/tunesafe/internal/agent"
	"github.com/tunesafe/tunesafe/internal/backup"
	"github.com/tunesafe/tunesafe/internal/exclude"
	"github.com/tunesafe/tunesafe/internal/library"
	"github.com/tunesafe/tunesafe/internal/locks"
	"github.com/tunesafe/tunesafe/internal/vault"
)

// backupSources is what an unattended backup covers: the config file's
// paths and music library.
type backupSources struct {
	paths   []string
	lib     libraryOptions
	exclude *exclude.Set
}

// backupSources reads the sources from the config file: its "paths" and
// "library" ("auto", or nothing at all, finds the default library), with
// "~" expanded.
func (a *app) backupSources(cfg *fileConfig) (backupSources, error) {
	paths, err := cfg.sourcePaths(a.configFile())
	if err != nil {
		return backupSources{}, err
	}
	lib, err := cfg.libraryPath(a.configFile())
	if err != nil {
		return backupSources{}, err
	}
	src := backupSources{paths: paths, lib: libraryOptions{xml: lib}}
	if src.lib.xml == "auto" || (src.lib.xml == "" && len(src.paths) == 0) {
		src.lib.xml = discoverLibrary()
		if src.lib.xml == "" {
			return src, usagef(`set "paths" (folders) or "library" (the library XML) in `+a.configFile(),
				"nothing to back up: no paths configured and no music library found")
		}
	}
	src.exclude, err = a.exclusions(cfg, nil)
	return src, err
}

// agentPass returns the agent's Pass: one backup of *sources into the
// vault, as 'tunesafe backup' does, with the agent's limits. The vault is
// opened for each pass, so that a pass sees the credentials and network of
// its time, and a failure to open is judged like any other. *sources is
// read at the start of each pass: the agent's Reload replaces it between
// passes.
func (a *app) agentPass(sources *backupSources, o agentOptions, plan integrityPlan, log *slog.Logger) agent.Pass {
	var reported atomic.Bool // the newest snapshot was reported once
	var given passphraseCheck
	return func(ctx context.Context, req agent.Request) (*backup.Result, error) {
		src := *sources
		if req.Retrying != nil && req.Recovered != nil {
			a.storage.Store(&storageWatch{req.Retrying, req.Recovered})
			defer a.storage.Store(nil)
		}
		for _, p := range src.paths {
			if _, err := os.Lstat(p); err != nil {
				return nil, withHint(fmt.Errorf("cannot back up %s: %w", p, err), "is the disk mounted? Fix \"paths\" in "+a.configFile()+" if the folder moved")
			}
		}
		s, err := a.openVault(ctx)
		if err != nil {
			return nil, err
		}
		defer s.Close()
		if req.Opened != nil {
			req.Opened(s.cacheKey)
		}
		// A passphrase given is checked daily, and when it changes
		// (passphrase.go); given none, nothing is asked.
		if err := given.check(ctx, a, s, a.now()); err != nil {
			return nil, err
		}
		host := o.host
		if host == "" {
			host, _ = os.Hostname()
		}
		if !reported.Load() {
			// Once per agent: listing snapshots reads every one of them.
			newest, err := newestSnapshot(ctx, s.vault, host, log)
			if err != nil {
				return nil, err
			}
			if newest != nil {
				req.Protected(*newest)
			}
			reported.Store(true)
		}
		opts := backup.Options{
			Paths: src.paths, Host: o.host,
			Uploaders: o.uploaders, Readers: o.readers,
			CheckpointEvery: o.checkpointEvery, MaxTime: req.MaxTime, Stop: req.Stop,
			Progress: req.Progress, Logger: log, Program: "tunesafe " + version,
			Exclude: src.exclude,
			// An unchanged library costs a scan, not a snapshot an hour.
			SkipIfUnchanged: true,
		}
		a.configureSplitting(&opts)
		var view *library.View
		if src.lib.xml != "" {
			if view, err = a.planLibrary(src.lib, &opts); err != nil {
				return nil, err
			}
		}
		if len(opts.Paths) == 0 && len(opts.Files) == 0 {
			return nil, usagef("", "nothing to back up")
		}
		// Nor a lock: a pass that finds nothing to store writes nothing.
		res, err := a.probeUnchanged(ctx, s, opts, view)
		if err != nil {
			return nil, err
		}
		locked, release := res == nil, func() {}
		if locked {
			lock, err := locks.Wait(ctx, s.vault.Store(), locks.Backup, 15*time.Second, func(ce *locks.ConflictError) {
				log.Info("waiting for the vault's lock", "conflict", ce.Error())
			})
			if err != nil {
				return nil, err
			}
			logCleared(log, lock)
			release = sync.OnceFunc(func() {
				if err := lock.Release(ctx); err != nil {
					log.Warn("the vault's lock stays", "err", err)
				}
			})
			defer release()
			if res, err = a.lockedPass(ctx, s, opts, view, req); err != nil || res.Partial {
				// A partial pass was stopped by its window: it ends now.
				return res, err
			}
		}
		if req.Stop != nil {
			if _, shut := req.Stop(); shut {
				return res, nil // the next pass in a window runs it
			}
		}
		// Under S3 Object Lock, keep what the snapshots need locked; what
		// goes wrong there is a warning of the pass, in the status.
		kept, err := a.retainAfterBackup(ctx, s, true, !locked)
		if isInterrupt(err) {
			return res, err
		}
		if kept != nil {
			log.Info("Object Lock retention checked", "needed", kept.Needed, "checked", kept.Checked, "extended", kept.Extended, "retained_until", kept.RetainedUntil)
		}
		for _, w := range retainWarnings(s.loc, kept, err) {
			log.Warn(w.Err)
			res.Warnings = append(res.Warnings, w)
		}
		// Then the replicas the config file lists, until the window
		// closes (a copy cut short continues at the next pass).
		cctx, cancel := stopContext(ctx, req.Stop)
		ws, err := a.copiesAfterBackup(cctx, s, true)
		cancel()
		if isInterrupt(err) && ctx.Err() != nil {
			return res, err
		}
		for _, w := range ws {
			log.Warn(w.Err)
			res.Warnings = append(res.Warnings, w)
		}
		// Last, when one is due, a check of the vault's integrity,
		// which needs the vault to itself.
		release()
		cctx, cancel = stopContext(ctx, req.Stop)
		rep, checked, err := a.verifyAfterPass(cctx, s, plan, log)
		stopped := cctx.Err() != nil
		cancel()
		if stopped {
			// The window closed or the agent stops: the next pass
			// checks again.
			if ctx.Err() != nil {
				return res, ctx.Err()
			}
			return res, nil
		}
		if checked != nil && req.Checked != nil {
			req.Checked(*checked)
		}
		for _, w := range integrityWarnings(s.loc, rep, err) {
			log.Warn(w.Err)
			res.Warnings = append(res.Warnings, w)
		}
		return res, nil
	}
}

// lockedPass runs the agent's backup pass, under the lock.
func (a *app) lockedPass(ctx context.Context, s *session, opts backup.Options, view *library.View, req agent.Request) (*backup.Result, error) {
	if err := a.prepareWrites(ctx, s, &opts, view); err != nil {
		return nil, err
	}
	logged := opts.OnCommit
	opts.OnCommit = func(ctx context.Context, id vault.ID, snap *vault.Snapshot) error {
		if logged != nil {
			if err := logged(ctx, id, snap); err != nil {
				return err
			}
		}
		req.Protected(snapshotInfo(id, snap))
		return nil
	}
	return backup.Run(ctx, s.vault, s.cache, opts)
}

// newestSnapshot returns the newest snapshot or checkpoint of host, or nil
// if it has none, and logs the damaged snapshots it had to set aside.
func newestSnapshot(ctx context.Context, v *vault.Vault, host string, log *slog.Logger) (*agent.Snapshot, error) {
	ref, damaged, err := newestSnapshotRef(ctx, v, host)
	for _, d := range damaged {
		log.Warn("a snapshot cannot be read; set aside", "snapshot", d.ID.String(), "err", d.Err.Error())
	}
	if ref == nil || err != nil {
		return nil, err
	}
	s := snapshotInfo(ref.ID, ref.Snapshot)
	return &s, nil
}

// newestSnapshotRef returns the newest readable snapshot or checkpoint of
// host (nil if it has none), and the snapshots that cannot be read: one
// damaged snapshot must not hide the others from the agent or status (the
// newest of host may be among the damaged; the caller tells).
func newestSnapshotRef(ctx context.Context, v *vault.Vault, host string) (*vault.SnapshotRef, []vault.DamagedSnapshot, error) {
	all, damaged, err := v.ReadableSnapshots(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("list snapshots: %w", err)
	}
	for i := len(all) - 1; i >= 0; i-- { // oldest first
		if all[i].Host == host {
			return &all[i], damaged, nil
		}
	}
	return nil, damaged, nil
}

func snapshotInfo(id vault.ID, s *vault.Snapshot) agent.Snapshot {
	return agent.Snapshot{ID: id.String(), Time: s.Time, Partial: s.Partial, Files: s.Stats.Files, Bytes: s.Stats.Bytes}
}

// stopContext returns a context that ends with ctx, or as soon as stop
// (polled every second) says the pass must stop.
func stopContext(ctx context.Context, stop func() (string, bool)) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(ctx)
	if stop == nil {
		return ctx, cancel
	}
	go func() {
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				if _, yes := stop(); yes {
					cancel()
					return
				}
			}
		}
	}()
	return ctx, cancel
}
