package main

import (
	"context"
	"time"

	"github.com/spf13/cobra"

	"github.com/tunesafe/tunesafe/internal/bytesize"
	"github.com/tunesafe/tunesafe/internal/restore"
)

type restoreOptions struct {
	snapshot   string
	to         string
	overwrite  bool
	workers    int
	noProgress bool
}

func (a *app) restoreCommand() *cobra.Command {
	var o restoreOptions
	c := &cobra.Command{
		Use:   "restore --to DIR [PATTERN...]",
		Short: "Restore files from a snapshot, byte for byte",
		Long: `Restore a snapshot (default: the latest) into DIR. PATTERNs select paths as
shown by 'tunesafe ls' (shell patterns: "Music/Sibelius*" selects those folders
and everything in them). Every file is checked against its SHA-256. Files
already present with the right content are skipped, so an interrupted restore
can be run again; a different existing file is never replaced without
--overwrite.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.runRestore(cmd.Context(), args, o)
		},
	}
	f := c.Flags()
	f.StringVar(&o.snapshot, "snapshot", "latest", "snapshot ID (prefix) or latest")
	f.StringVar(&o.to, "to", "", "target folder (required)")
	f.BoolVar(&o.overwrite, "overwrite", false, "replace existing files whose content differs")
	f.IntVar(&o.workers, "workers", 8, "files restored at once")
	f.BoolVar(&o.noProgress, "no-progress", false, "do not draw progress on the terminal")
	return c
}

func (a *app) runRestore(ctx context.Context, patterns []string, o restoreOptions) error {
	if o.to == "" {
		return usagef("for example: tunesafe restore --to ~/restored", "--to DIR is required")
	}
	opts := restore.Options{To: o.to, Overwrite: o.overwrite, Workers: o.workers, Logger: a.logger(), Progress: &restore.Progress{}}
	if len(patterns) > 0 {
		sel, err := restore.Patterns(patterns)
		if err != nil {
			return usagef("", "%v", err)
		}
		opts.Select = sel
	}
	return a.restoreWith(ctx, o, opts)
}

// restoreWith opens the vault and runs a restore with prepared options.
func (a *app) restoreWith(ctx context.Context, o restoreOptions, opts restore.Options) error {
	s, err := a.openVault(ctx)
	if err != nil {
		return err
	}
	defer s.Close()
	snap, err := s.vault.FindSnapshot(ctx, o.snapshot)
	if err != nil {
		return err
	}
	opts.Rebuilders = rebuilders()
	stop := a.showRestoreProgress(opts.Progress, o.noProgress)
	res, err := restore.Run(ctx, s.vault, snap.Snapshot, opts)
	stop()
	if res != nil && a.json {
		if perr := a.printJSON(res); perr != nil {
			return perr
		}
	} else if res != nil {
		a.printf("restored %d files (%d already correct), %s, from snapshot %s into %s in %s\n",
			res.Restored, res.Unchanged, bytesize.Format(res.Bytes), short(snap.ID.String()), o.to, res.Duration.Round(time.Millisecond))
	}
	return err
}
