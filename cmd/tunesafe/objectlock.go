package main

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/tunesafe/tunesafe/internal/prune"
	"github.com/tunesafe/tunesafe/internal/retention"
	"github.com/tunesafe/tunesafe/internal/store"
	"github.com/tunesafe/tunesafe/internal/store/s3store"
	"github.com/tunesafe/tunesafe/internal/vault"
)

// S3 Object Lock: init --object-lock records the policy in tunesafe.json,
// every command that opens the vault then writes through an S3 store that
// locks each object, and prune keeps what is still locked.

const day = 24 * time.Hour

// parseObjectLock turns init's --object-lock and --object-lock-mode into
// the vault's policy; nil when Object Lock is not asked for.
func parseObjectLock(period, mode string) (*vault.ObjectLock, error) {
	if period == "" {
		if mode != "" {
			return nil, usagef("for example --object-lock 30d --object-lock-mode compliance", "--object-lock-mode needs --object-lock")
		}
		return nil, nil
	}
	d, err := retention.ParseDays(period)
	if err != nil || d < day || d%day != 0 {
		return nil, usagef("for example --object-lock 30d (or 2w, 1y)", "--object-lock %q: want a whole number of days, at least 1d", period)
	}
	l := &vault.ObjectLock{Mode: vault.LockGovernance, Days: int(d / day)}
	switch strings.ToUpper(mode) {
	case "", vault.LockGovernance:
	case vault.LockCompliance:
		l.Mode = vault.LockCompliance
	default:
		return nil, usagef("governance (the default) or compliance", "--object-lock-mode %q is not a retention mode", mode)
	}
	if err := l.Validate(); err != nil {
		return nil, usagef("", "--object-lock: %v", err)
	}
	return l, nil
}

// checkObjectLock makes sure the bucket of a new vault can lock objects.
func checkObjectLock(ctx context.Context, loc string, backend store.Store) error {
	s3, ok := backend.(*s3store.Store)
	if !ok {
		return usagef("Object Lock is a feature of S3 buckets", "--object-lock needs an S3 vault (s3://bucket/prefix), not %s", loc)
	}
	on, err := s3.ObjectLockEnabled(ctx)
	if err != nil {
		return fmt.Errorf("init %s: %w", loc, err)
	}
	if !on {
		return usagef("Object Lock is switched on when a bucket is created: with the AWS CLI, 'aws s3api create-bucket --bucket NAME --object-lock-enabled-for-bucket'; most providers' consoles have a checkbox. Then run init again",
			"the bucket of %s does not have Object Lock enabled", loc)
	}
	return nil
}

// lockBackend makes an S3 store put every object under the vault's Object
// Lock policy. Other stores hold no retention and are returned as they
// are: a copy of an S3 vault in a folder is read and written without it.
func lockBackend(backend store.Store, l *vault.ObjectLock) (store.Store, error) {
	s3, ok := backend.(*s3store.Store)
	if l == nil || !ok {
		return backend, nil
	}
	return s3.WithObjectLock(s3store.ObjectLock{Mode: s3store.LockMode(l.Mode), Period: time.Duration(l.Days) * day})
}

// lockedChain returns the store chain and vault that an opened vault
// writes through: under the vault's Object Lock policy when it has one.
// Only reads went through the chain vault.Open used.
func (a *app) lockedChain(backend, chain store.Store, v *vault.Vault) (store.Store, *vault.Vault, error) {
	l := v.Config().ObjectLock
	if l == nil {
		return chain, v, nil
	}
	locked, err := lockBackend(backend, l)
	if err != nil {
		return nil, nil, err
	}
	chain = a.decorate(locked)
	return chain, v.WithStore(chain), nil
}

// lockKeeper returns prune's keeper of objects still under Object Lock
// retention, or nil when the vault does not lock its objects. It knows the
// retention dates the retention pass recorded on this computer.
func lockKeeper(ctx context.Context, s *session) (*prune.LockKeeper, error) {
	l := s.vault.Config().ObjectLock
	if l == nil {
		return nil, nil
	}
	st := s.raw
	if st == nil {
		st = s.vault.Store()
	}
	known, err := s.cache.Retentions(ctx)
	if err != nil {
		return nil, fmt.Errorf("read the retention dates in the cache: %w", err)
	}
	return &prune.LockKeeper{Store: st, Period: time.Duration(l.Days) * day, Known: known}, nil
}

// maxKeptShown bounds the objects prune lists one by one as kept.
const maxKeptShown = 10

// reportKept tells which unreferenced objects prune kept for Object Lock.
func (a *app) reportKept(kept []prune.Retained, dryRun bool) {
	if len(kept) == 0 {
		return
	}
	kept = slices.Clone(kept)
	slices.SortFunc(kept, func(x, y prune.Retained) int {
		if c := x.Until.Compare(y.Until); c != 0 {
			return c
		}
		return strings.Compare(x.Key, y.Key)
	})
	verb := "kept"
	if dryRun {
		verb = "would keep"
	}
	for i, r := range kept {
		if i == maxKeptShown {
			a.printf("... and %d more, the last kept until %s\n", len(kept)-i, kept[len(kept)-1].Until.Local().Format(time.DateTime))
			break
		}
		a.printf("%s %s until %s by Object Lock\n", verb, r.Key, r.Until.Local().Format(time.DateTime))
	}
	a.printf("%s %s still under Object Lock retention; a later prune deletes them\n", verb, plural(len(kept), "unreferenced object", "unreferenced objects"))
}
