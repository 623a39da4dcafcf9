package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/tunesafe/tunesafe/internal/retention"
	"github.com/tunesafe/tunesafe/internal/vault"
)

type forgetOptions struct {
	policy             retention.Policy
	within, deletedFor string
	dryRun, prune, yes bool
}

func (a *app) forgetCommand() *cobra.Command {
	var o forgetOptions
	c := &cobra.Command{
		Use:   "forget [SNAPSHOT...]",
		Short: "Remove snapshots by ID or by a retention policy",
		Long: `Remove snapshots, either those named, or every snapshot a retention policy does
not keep. Snapshots are judged per host and set of paths. Data stays in the
vault until 'tunesafe prune' (or --prune) deletes what no snapshot needs.
Every deletion is recorded in the vault's tamper-evident log as requested by
you, with this command line.

Example: tunesafe forget --keep-daily 7 --keep-weekly 5 --keep-monthly 12 --keep-deleted 90d --prune`,
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.runForget(cmd.Context(), args, o)
		},
	}
	f := c.Flags()
	f.IntVar(&o.policy.Last, "keep-last", 0, "keep the newest N snapshots")
	f.IntVar(&o.policy.Hourly, "keep-hourly", 0, "keep the newest snapshot of each of the last N hours")
	f.IntVar(&o.policy.Daily, "keep-daily", 0, "keep the newest snapshot of each of the last N days")
	f.IntVar(&o.policy.Weekly, "keep-weekly", 0, "keep the newest snapshot of each of the last N weeks")
	f.IntVar(&o.policy.Monthly, "keep-monthly", 0, "keep the newest snapshot of each of the last N months")
	f.IntVar(&o.policy.Yearly, "keep-yearly", 0, "keep the newest snapshot of each of the last N years")
	f.StringVar(&o.within, "keep-within", "", "keep every snapshot younger than this (e.g. 30d)")
	f.StringVar(&o.deletedFor, "keep-deleted", "", "keep deleted or changed tracks restorable for this long (e.g. 90d)")
	f.BoolVar(&o.dryRun, "dry-run", false, "only show what would be removed")
	f.BoolVar(&o.prune, "prune", false, "prune unreferenced data afterwards")
	return c
}

func (a *app) runForget(ctx context.Context, ids []string, o forgetOptions) error {
	var err error
	if o.within != "" {
		if o.policy.Within, err = retention.ParseDays(o.within); err != nil {
			return usagef("", "--keep-within: %v", err)
		}
	}
	if o.deletedFor != "" {
		if o.policy.DeletedFor, err = retention.ParseDays(o.deletedFor); err != nil {
			return usagef("", "--keep-deleted: %v", err)
		}
	}
	if len(ids) == 0 && o.policy.Empty() {
		return usagef("for example: tunesafe forget --keep-daily 7 --keep-monthly 12", "give snapshot IDs or a --keep-* policy")
	}
	if len(ids) > 0 && !o.policy.Empty() {
		return usagef("", "give either snapshot IDs or a policy, not both")
	}
	s, err := a.openVault(ctx)
	if err != nil {
		return err
	}
	defer s.Close()
	all, err := s.vault.Snapshots(ctx)
	if err != nil {
		return err
	}
	var remove []vault.SnapshotRef
	var decisions []retention.Decision
	if len(ids) > 0 {
		for _, id := range ids {
			sn, err := s.vault.FindSnapshot(ctx, id)
			if err != nil {
				return err
			}
			remove = append(remove, sn)
		}
	} else {
		in := make([]retention.Snapshot, len(all))
		for i, sn := range all {
			in[i] = retention.Snapshot{ID: sn.ID.String(), Time: sn.Time, Group: sn.Host + "\x00" + strings.Join(sn.Paths, "\x00"), Partial: sn.Partial}
		}
		decisions = retention.Apply(o.policy, in, a.now())
		for i, d := range decisions {
			if !d.Keep {
				remove = append(remove, all[i])
			}
		}
	}
	if !o.dryRun {
		dctx := a.deleteReason(ctx, "forget")
		for _, sn := range remove {
			if err := s.vault.DeleteSnapshot(dctx, sn.ID); err != nil {
				return fmt.Errorf("forget %s: %w", short(sn.ID.String()), err)
			}
		}
	}
	if a.json {
		out := map[string]any{"removed": idsOf(remove), "dry_run": o.dryRun, "kept": len(all) - len(remove)}
		if !o.prune || o.dryRun {
			return a.printJSON(out)
		}
		if err := a.printJSON(out); err != nil {
			return err
		}
	} else {
		if len(decisions) > 0 {
			t := newTable(a.stdout)
			t.row("ID", "TIME", "HOST", "PATHS", "DECISION")
			for i, d := range decisions {
				sn := all[i]
				id := short(sn.ID.String())
				if sn.Partial {
					id += " (checkpoint)"
				}
				verdict := "remove"
				if d.Keep {
					verdict = "keep: " + strings.Join(d.Reasons, ", ")
				}
				t.row(id, sn.Time.Local().Format(snapshotTime), sn.Host, strings.Join(sn.Paths, ", "), verdict)
			}
			if err := t.flush(); err != nil {
				return err
			}
		}
		verb := "removed"
		if o.dryRun {
			verb = "would remove"
		}
		a.printf("%s %d of %s\n", verb, len(remove), plural(len(all), "snapshot", "snapshots"))
	}
	if o.prune && !o.dryRun {
		return a.pruneSession(ctx, s, pruneOptions{})
	}
	return nil
}

func idsOf(s []vault.SnapshotRef) []string {
	out := []string{}
	for _, sn := range s {
		out = append(out, sn.ID.String())
	}
	return out
}
