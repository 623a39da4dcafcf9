package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/tunesafe/tunesafe/internal/backup"
	"github.com/tunesafe/tunesafe/internal/locks"
	"github.com/tunesafe/tunesafe/internal/retain"
	"github.com/tunesafe/tunesafe/internal/state"
	"github.com/tunesafe/tunesafe/internal/store"
	"github.com/tunesafe/tunesafe/internal/vault"
)

// The retention pass (package retain) keeps what the snapshots of a vault
// under S3 Object Lock still need locked: 'tunesafe retain' runs it, and
// so does every successful backup, the agent's included, when it is due.

// retainLastKey is the cache's record (state meta) of the last complete
// pass on this computer.
const retainLastKey = "retain.last"

// retainUntilKey is the cache's record of what the last complete pass
// found: the earliest retain-until date among the objects the snapshots
// need, when none was missing and no extension failed.
const retainUntilKey = "retain.until"

// retainInterval is how long after a complete pass the next backup runs
// one: about daily (20 hours, so that a nightly backup starting a little
// earlier than yesterday's still runs it), and four times a period for
// shorter periods, so that no object's retention, extended when less than
// half a period is left, runs out between two passes of regular backups.
func retainInterval(l *vault.ObjectLock) time.Duration {
	return min(20*time.Hour, time.Duration(l.Days)*day/4)
}

// retainer returns the capability to read and extend retention under the
// session's store chain, with the chain's retries, or false when the vault
// is not in S3 storage (a folder copy of an S3 vault holds no retention).
func (a *app) retainer(s *session) (retain.Retainer, bool) {
	r, ok := retain.Find(s.raw)
	if !ok {
		return nil, false
	}
	return retain.WithRetries(r, a.retryPolicy().Do), true
}

// retainPass runs the pass with this computer's cache and clock, and
// records a complete one.
func (a *app) retainPass(ctx context.Context, s *session, r retain.Retainer, o retain.Options) (*retain.Result, error) {
	return a.retainPassOn(ctx, s.vault, s.cache, r, o)
}

// retainPassOn is retainPass on the copy of a vault that v reads, with
// that copy's cache (a replica's, for one).
func (a *app) retainPassOn(ctx context.Context, v *vault.Vault, cache *state.Cache, r retain.Retainer, o retain.Options) (*retain.Result, error) {
	o.Cache, o.Now = cache, a.now
	res, err := retain.Run(ctx, v, r, o)
	if err != nil || o.DryRun {
		return res, err
	}
	until := ""
	if res.Failed == 0 && res.Missing == 0 && !res.RetainedUntil.IsZero() {
		until = res.RetainedUntil.UTC().Format(time.RFC3339)
	}
	for k, v := range map[string]string{retainLastKey: a.now().UTC().Format(time.RFC3339), retainUntilKey: until} {
		if err := cache.SetMeta(ctx, k, v); err != nil {
			return res, fmt.Errorf("record the retention pass in the cache: %w", err)
		}
	}
	return res, nil
}

// retainRecord is what the cache says of the last complete pass on this
// computer: when it ran (zero: never) and until when every object the
// snapshots needed was then retained (zero: not known).
func retainRecord(ctx context.Context, s *session) (last, until time.Time, err error) {
	for k, t := range map[string]*time.Time{retainLastKey: &last, retainUntilKey: &until} {
		v, err := s.cache.Meta(ctx, k)
		if err != nil {
			return time.Time{}, time.Time{}, err
		}
		if p, err := time.Parse(time.RFC3339, v); err == nil {
			*t = p
		}
	}
	return last, until, nil
}

// retainDue reports whether a backup (or a copy, for a replica's cache)
// should run the pass now.
func (a *app) retainDue(ctx context.Context, cache *state.Cache, l *vault.ObjectLock) (bool, error) {
	v, err := cache.Meta(ctx, retainLastKey)
	if err != nil {
		return false, err
	}
	last, err := time.Parse(time.RFC3339, v)
	return err != nil || a.now().Sub(last) >= retainInterval(l), nil
}

// retainAfterBackup runs the pass after a backup when the vault has an
// Object Lock policy, is in S3 storage, and the pass is due; otherwise it
// returns nil and does nothing. The backup holds the shared lock, unless
// it found nothing to store and took none (unlocked): the pass then takes
// one, and only when it is due.
func (a *app) retainAfterBackup(ctx context.Context, s *session, noProgress, unlocked bool) (*retain.Result, error) {
	var hold func(context.Context) (func(), error)
	if unlocked {
		hold = func(ctx context.Context) (func(), error) {
			return a.retainLock(ctx, s, func(ce *locks.ConflictError) {
				a.logger().Info("waiting for the vault's lock", "conflict", ce.Error())
			})
		}
	}
	return a.retainIfDue(ctx, s.vault, s.raw, s.cache, noProgress, hold)
}

// retainLock takes the shared lock a retention pass holds, so that a
// prune does not delete what the pass decides is needed, waiting (and
// telling waiting) while a prune runs. The lock's own delete, when
// release is called, is recorded as the retention pass's.
func (a *app) retainLock(ctx context.Context, s *session, waiting func(*locks.ConflictError)) (release func(), err error) {
	ctx = a.deleteReason(ctx, "retain")
	lock, err := locks.Wait(ctx, s.vault.Store(), locks.Retain, 15*time.Second, waiting)
	if err != nil {
		return nil, err
	}
	a.noteCleared(lock)
	return func() { a.releaseLock(ctx, lock) }, nil
}

// retainReplica extends the Object Lock retention of what the replica's
// snapshots need after a complete copy, as a backup does for the vault
// (retainAfterBackup): when the vault has an Object Lock policy, the
// replica is in S3 storage, and a pass is due by the replica's own record
// in this computer's cache. Otherwise it returns nil and does nothing.
//
// The copy wrote the replica's objects under the policy, but only a pass
// keeps the objects that later snapshots go on using retained past their
// first period. The replica is only read: its snapshots name what is
// needed, and retention is set below the store chain.
func (a *app) retainReplica(ctx context.Context, s *session, dest, backend store.Store, noProgress bool) (*retain.Result, error) {
	cache := s.db.Vault(stateKey(s.vault.Config().ID, backend))
	return a.retainIfDue(ctx, s.vault.WithStore(dest), backend, cache, noProgress, nil)
}

// retainIfDue runs the pass on the copy of a vault that v reads, whose
// objects raw (a store chain) holds, when v has an Object Lock policy, raw
// is S3 storage and the pass is due by cache's record; otherwise it
// returns nil and does nothing. hold, if not nil, takes the lock the pass
// needs once it is due; nil means the caller holds it.
func (a *app) retainIfDue(ctx context.Context, v *vault.Vault, raw store.Store, cache *state.Cache, noProgress bool, hold func(context.Context) (func(), error)) (*retain.Result, error) {
	l := v.Config().ObjectLock
	if l == nil {
		return nil, nil
	}
	r, ok := retain.Find(raw)
	if !ok {
		return nil, nil
	}
	due, err := a.retainDue(ctx, cache, l)
	if err != nil || !due {
		return nil, err
	}
	if hold != nil {
		release, err := hold(ctx)
		if err != nil {
			return nil, err
		}
		defer release()
	}
	prog := &retain.Progress{}
	stop := a.showRetainProgress(prog, noProgress)
	res, err := a.retainPassOn(ctx, v, cache, retain.WithRetries(r, a.retryPolicy().Do), retain.Options{Progress: prog})
	stop()
	return res, err
}

// retainWarnings turns what went wrong in a pass after a backup into
// warnings of the backup: the snapshot is saved, and the next backup
// tries again.
func retainWarnings(loc string, res *retain.Result, err error) []backup.Warning {
	var ws []backup.Warning
	if err != nil {
		ws = append(ws, backup.Warning{Path: loc, Err: fmt.Sprintf("Object Lock: %v (the next backup tries again; or run 'tunesafe retain')", err)})
	}
	if res != nil && res.Missing > 0 {
		ws = append(ws, backup.Warning{Path: loc, Err: missingMessage(res) + ": run 'tunesafe audit'"})
	}
	if res != nil {
		for _, sh := range res.Shortened {
			ws = append(ws, backup.Warning{Path: sh.Key, Err: shortenedMessage(sh) + " (" + shortenedAdvice + ")"})
		}
	}
	return ws
}

// shortenedAdvice is what to do about a retention found cut short.
const shortenedAdvice = "only credentials allowed to bypass GOVERNANCE retention can shorten it: treat the storage credentials as stolen and replace them, then run 'tunesafe audit' to see whether anything was deleted"

// shortenedMessage tells of one retention found shorter than recorded.
func shortenedMessage(sh retain.Shortening) string {
	return fmt.Sprintf("Object Lock: retained only until %s, but this computer recorded %s: someone shortened its retention",
		sh.Found.Local().Format(time.DateTime), sh.Recorded.Local().Format(time.DateTime))
}

// shortenedError is the integrity failure of a pass that found retentions
// cut short: after they were extended again, unless dryRun.
func shortenedError(res *retain.Result) error {
	done := "extended again"
	if res.DryRun {
		done = "not extended: --dry-run"
	}
	msg := fmt.Sprintf("Object Lock: the retention of %s was shorter than this computer recorded (%s)",
		plural(len(res.Shortened), "needed object", "needed objects"), done)
	if res.Missing > 0 {
		msg += "; and " + missingMessage(res)
	}
	return withHint(&integrityError{msg: msg}, shortenedAdvice)
}

func missingMessage(res *retain.Result) string {
	return fmt.Sprintf("the snapshots need %s missing from the storage (%s)", plural(res.Missing, "object", "objects"), listKeys(res.MissingKeys, res.Missing))
}

// listKeys names a few keys of n.
func listKeys(keys []string, n int) string {
	s := strings.Join(keys, ", ")
	if n > len(keys) {
		s += fmt.Sprintf(" and %d more", n-len(keys))
	}
	return s
}

// printRetain tells what a pass did, on stdout.
func (a *app) printRetain(res *retain.Result) {
	when := func(t time.Time) string { return t.Local().Format(time.DateTime) }
	extended, is := "extended", "is"
	if res.DryRun {
		extended, is = "would extend", "would be"
	}
	a.printf("Object Lock: checked the retention of %d of %s (%d known to be retained long enough)\n", res.Checked, plural(res.Needed, "needed object", "needed objects"), res.Cached)
	if res.Extended > 0 {
		a.printf("Object Lock: %s %s until %s\n", extended, plural(res.Extended, "object", "objects"), when(res.ExtendedUntil))
	}
	if res.Failed == 0 && res.Missing == 0 && !res.RetainedUntil.IsZero() {
		// Dates the pass did not ask about are the cache's: say so.
		source, check := "the storage says", ""
		if res.Cached > 0 {
			source, check = "according to this computer's records,", " ('tunesafe retain --recheck' asks the storage about each)"
		}
		a.printf("Object Lock: %s every needed object %s retained until at least %s%s\n", source, is, when(res.RetainedUntil), check)
	}
}

// isInterrupt reports whether err is the user's interrupt, which ends a
// command rather than becoming a warning.
func isInterrupt(err error) bool { return errors.Is(err, context.Canceled) }
