package main

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/tunesafe/tunesafe/internal/locks"
	"github.com/tunesafe/tunesafe/internal/retain"
	"github.com/tunesafe/tunesafe/internal/store"
)

type retainOptions struct {
	recheck    bool
	dryRun     bool
	noProgress bool
}

func (a *app) retainCommand() *cobra.Command {
	var o retainOptions
	c := &cobra.Command{
		Use:   "retain",
		Short: "Extend the S3 Object Lock retention of everything the snapshots need",
		Long: `A vault made with 'init --object-lock' writes every object with an S3 Object
Lock retention that runs for the lock period from its upload. Data that newer
snapshots keep using would lose that protection once the period has passed.
retain extends the retention of every object the snapshots need (the
snapshots, their trees and blobs, tunesafe.json, FORMAT.md, the key files and
the log) that has less than half the period left, to a full period from now.
Objects no snapshot needs are left to expire, so that prune can delete them.

A successful backup (the agent's too) runs this by itself, about once a
day. This computer remembers the retention dates it saw or set, so a routine
run only asks the storage about objects near the end of their retention;
--recheck asks about every object instead (for example after retention was
changed with other tools, which in GOVERNANCE mode only credentials allowed
to bypass governance can shorten).

Exit code 4 means objects the snapshots need are missing from the storage
('tunesafe audit' tells what happened to them), or were found retained for
less time than this computer recorded: someone allowed to bypass governance
retention shortened it, which points to stolen credentials. Such objects are
extended again, and each is named in a warning.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := a.openVault(cmd.Context())
			if err != nil {
				return err
			}
			defer s.Close()
			return a.retainSession(cmd.Context(), s, o)
		},
	}
	f := c.Flags()
	f.BoolVar(&o.recheck, "recheck", false, "ask the storage about every needed object, not only those this computer does not know to be retained long enough")
	f.BoolVar(&o.dryRun, "dry-run", false, "read the retention of the objects, but extend nothing")
	f.BoolVar(&o.noProgress, "no-progress", false, "do not draw progress on the terminal")
	return c
}

func (a *app) retainSession(ctx context.Context, s *session, o retainOptions) error {
	if s.vault.Config().ObjectLock == nil {
		return usagef("Object Lock is chosen when a vault is made: tunesafe init s3://bucket/prefix --object-lock 30d", "the vault %s has no Object Lock policy: there is no retention to extend", s.loc)
	}
	r, ok := a.retainer(s)
	if !ok {
		return usagef("Object Lock is a feature of S3 buckets; this copy of the vault is read and written without it", "%s is not S3 storage: there is no retention to extend", s.loc)
	}
	if s.replicaOf == "" {
		// A replica takes no lock: only a copy changes it, and a copy
		// extends the retention itself when a pass is due.
		release, err := a.retainLock(ctx, s, func(ce *locks.ConflictError) {
			fmt.Fprintf(a.stderr, "tunesafe: waiting: %v\n", ce)
		})
		if err != nil {
			return err
		}
		defer release()
	}

	prog := &retain.Progress{}
	stop := a.showRetainProgress(prog, o.noProgress)
	res, err := a.retainPass(ctx, s, r, retain.Options{Recheck: o.recheck, DryRun: o.dryRun, Progress: prog})
	stop()
	if res == nil {
		return err
	}
	if a.json {
		if jerr := a.printJSON(res); jerr != nil {
			return jerr
		}
	} else {
		a.printRetain(res)
		for _, f := range res.Failures {
			fmt.Fprintf(a.stderr, "tunesafe: warning: %s: %s\n", f.Key, f.Err)
		}
	}
	if !a.json {
		for _, sh := range res.Shortened {
			fmt.Fprintf(a.stderr, "tunesafe: warning: %s: %s\n", sh.Key, shortenedMessage(sh))
		}
	}
	if err != nil {
		return withHint(err, retainHint(err))
	}
	if len(res.Shortened) > 0 {
		return shortenedError(res)
	}
	if res.Missing > 0 {
		return &integrityError{msg: missingMessage(res)}
	}
	return nil
}

// retainHint is the hint for a failed pass; "" leaves the hint of the
// failure's kind (credentials, network).
func retainHint(err error) string {
	switch store.KindOf(err) {
	case store.KindAccessDenied:
		return "the storage credentials must be allowed s3:GetObjectRetention and s3:PutObjectRetention on the bucket"
	case store.KindCredentials, store.KindNoBucket, store.KindUnreachable, store.KindServer, store.KindThrottled:
		return ""
	}
	return "objects already extended stay so; run 'tunesafe retain' again to retry the others"
}
