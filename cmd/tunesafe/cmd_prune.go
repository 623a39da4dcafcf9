package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/tunesafe/tunesafe/internal/bytesize"
	"github.com/tunesafe/tunesafe/internal/locks"
	"github.com/tunesafe/tunesafe/internal/prune"
)

type pruneOptions struct {
	dryRun bool
	wait   time.Duration
}

func (a *app) pruneCommand() *cobra.Command {
	var o pruneOptions
	c := &cobra.Command{
		Use:   "prune",
		Short: "Delete data no snapshot needs any more",
		Long: `Delete blobs and trees that no snapshot references. Safe alongside backups:
prune waits (up to --wait) while a backup runs, and a backup that starts
during a prune waits for it. Every deletion is recorded in the vault's
tamper-evident log with the reason "prune".`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := a.openVault(cmd.Context())
			if err != nil {
				return err
			}
			defer s.Close()
			return a.pruneSession(cmd.Context(), s, o)
		},
	}
	c.Flags().BoolVar(&o.dryRun, "dry-run", false, "only count what would be deleted")
	c.Flags().DurationVar(&o.wait, "wait", 0, "wait this long for running backups to finish (default: do not wait)")
	return c
}

func (a *app) pruneSession(ctx context.Context, s *session, o pruneOptions) error {
	ctx = a.deleteReason(ctx, "prune")
	var lock *locks.Lock
	var err error
	if o.wait > 0 {
		wctx, cancel := context.WithTimeout(ctx, o.wait)
		defer cancel()
		lock, err = locks.Wait(wctx, s.vault.Store(), locks.Prune, 15*time.Second, func(ce *locks.ConflictError) {
			fmt.Fprintf(a.stderr, "tunesafe: waiting: %v\n", ce)
		})
	} else {
		lock, err = locks.Acquire(ctx, s.vault.Store(), locks.Prune)
	}
	// A conflict, or --wait over with the conflict still there.
	if ce := (*locks.ConflictError)(nil); errors.As(err, &ce) {
		return withHint(fmt.Errorf("prune: %w", err), conflictHint(ce, "prune deletes nothing while another command uses the vault")+"; or use --wait 2h to wait for it")
	}
	if errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil {
		return withHint(fmt.Errorf("prune: %w", err), "prune deletes nothing while a backup runs; try again when it has finished, or use a longer --wait")
	}
	if err != nil {
		return fmt.Errorf("prune: %w", err)
	}
	a.noteCleared(lock)
	defer a.releaseLock(ctx, lock)
	opts := prune.Options{DryRun: o.dryRun}
	keeper, err := lockKeeper(ctx, s) // nil unless the vault uses S3 Object Lock
	if err != nil {
		return err
	}
	if keeper != nil {
		opts.Keep = keeper.Keep(ctx)
	}
	res, err := prune.Run(ctx, s.vault, opts)
	if err != nil {
		return err
	}
	if err := s.cache.ResetObjects(ctx); err != nil {
		return err
	}
	var kept []prune.Retained
	if keeper != nil {
		kept = keeper.Kept()
		if kerr := keeper.Err(); kerr != nil {
			err = withHint(kerr, "objects whose retention could not be checked were kept, not deleted; run prune again later")
		}
	}
	if a.json {
		if jerr := a.printJSON(struct {
			*prune.Result
			Kept []prune.Retained `json:"kept_by_object_lock,omitempty"`
		}{res, kept}); jerr != nil {
			return jerr
		}
		return err
	}
	a.reportKept(kept, o.dryRun)
	if o.dryRun {
		a.printf("would delete %s (%s); %s kept for %s\n", plural(res.Unreferenced, "unreferenced object", "unreferenced objects"), bytesize.Format(res.BytesFreed),
			plural(res.Referenced, "object", "objects"), plural(res.Snapshots, "snapshot", "snapshots"))
		return err
	}
	a.printf("deleted %s, %s freed; %s kept for %s\n", plural(res.Deleted, "unreferenced object", "unreferenced objects"), bytesize.Format(res.BytesFreed),
		plural(res.Referenced, "object", "objects"), plural(res.Snapshots, "snapshot", "snapshots"))
	return err
}
