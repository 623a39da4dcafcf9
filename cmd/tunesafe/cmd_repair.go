package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/tunesafe/tunesafe/docs"
	"github.com/tunesafe/tunesafe/internal/auditlog"
	"github.com/tunesafe/tunesafe/internal/backup"
	"github.com/tunesafe/tunesafe/internal/bytesize"
	"github.com/tunesafe/tunesafe/internal/locks"
	"github.com/tunesafe/tunesafe/internal/repair"
	"github.com/tunesafe/tunesafe/internal/state"
	"github.com/tunesafe/tunesafe/internal/vault"
)

type repairOptions struct {
	deep   bool
	dryRun bool
}

func (a *app) repairCommand() *cobra.Command {
	var o repairOptions
	c := &cobra.Command{
		Use:   "repair",
		Short: "Upload again what the storage lost or corrupted, from the files on this computer",
		Long: `Audit the vault (quick, or --deep to download and hash everything), then put
back every lost or corrupted piece of file content from the local files it was
cut from: the files the snapshots name, where they still are. A piece is
stored only when its bytes match its content ID, so a file edited since the
backup still gives back what the edit left alone (a retagged track its audio).

What cannot be repaired is listed with the reason: the file is gone or
changed, or the object is a tree or snapshot, which only a new backup writes
again ('tunesafe backup' restores the trees of folders that have not changed).
Every upload is recorded in the vault's tamper-evident log.

Exit code 4 when something stays lost or corrupted.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.runRepair(cmd.Context(), o)
		},
	}
	c.Flags().BoolVar(&o.deep, "deep", false, "download and hash every object (finds corruption that keeps the size)")
	c.Flags().BoolVar(&o.dryRun, "dry-run", false, "only say what would be repaired")
	return c
}

// repairReport is repair's --json output.
type repairReport struct {
	Audit struct {
		Mode   string          `json:"mode"`
		Counts auditlog.Counts `json:"counts"`
	} `json:"audit"`
	*repair.Result
}

func (a *app) runRepair(ctx context.Context, o repairOptions) error {
	s, err := a.openVault(ctx)
	if err != nil {
		return err
	}
	defer s.Close()
	// Releasing the lock deletes its object, which the log records.
	ctx = a.deleteReason(ctx, "repair")
	lock, err := locks.Acquire(ctx, s.vault.Store(), locks.Audit)
	if err != nil {
		err = fmt.Errorf("repair: %w", err)
		// Only another command's lock means waiting; the rest (a
		// read-only disk, a network failure) is classified as it is.
		if errors.As(err, new(*locks.ConflictError)) {
			return withHint(err, "a repair needs the vault to itself; run it when the backup has finished")
		}
		return err
	}
	defer lock.Release(ctx)
	if err := s.log.Flush(ctx); err != nil {
		return err
	}
	rep, err := auditlog.Audit(ctx, s.log, s.raw, auditlog.AuditOptions{Deep: o.deep, Checksums: true, Workers: checkWorkers})
	if err != nil {
		return err
	}
	// As after a verify, the next backup must not trust the cache's
	// belief that the damaged objects are stored: it then stores again
	// every tree it builds, and every blob of a file it reads, that is
	// still damaged. What repair puts back is recorded as stored below.
	if err := forgetDamage(ctx, s.cache, &rep); err != nil {
		return err
	}
	if !rep.Complete {
		return withHint(&integrityError{msg: "the vault's log is inconsistent: nothing was repaired"},
			"run 'tunesafe audit' to see where the log was tampered with, and keep a copy of the vault before writing to it")
	}
	var damage []repair.Damage
	for _, f := range rep.Findings {
		if f.Class == auditlog.Lost || f.Class == auditlog.Corrupted {
			damage = append(damage, repair.Damage{Key: f.Key, Class: string(f.Class)})
		}
	}
	var bo backup.Options
	a.configureSplitting(&bo)
	res, err := repair.Run(ctx, s.vault, damage, repair.Options{
		Splitter: bo.Splitter, Rebuilders: bo.Rebuilders, DryRun: o.dryRun, FormatDoc: docs.Format,
	})
	if res != nil && !o.dryRun {
		// What was put back is stored: the next backup need not upload
		// it again.
		if cerr := rememberRepaired(ctx, s.cache, res.Repaired); err == nil {
			err = cerr
		}
	}
	if err != nil {
		if res != nil && len(res.Repaired) > 0 && !o.dryRun {
			fmt.Fprintf(a.stderr, "tunesafe: repaired %s before the error\n", plural(len(res.Repaired), "object", "objects"))
		}
		return err
	}
	if a.json {
		out := repairReport{Result: res}
		out.Audit.Mode, out.Audit.Counts = rep.Mode, rep.Counts
		if err := a.printJSON(out); err != nil {
			return err
		}
	} else {
		a.printRepair(rep, res)
	}
	if n := len(res.Unrepaired); n > 0 {
		return withHint(&integrityError{msg: fmt.Sprintf("%d of %s cannot be repaired from this computer", n, plural(res.Damaged, "lost or corrupted object", "lost or corrupted objects"))},
			"each one is listed above with the reason; files still on another computer can be repaired there with 'tunesafe repair'")
	}
	return nil
}

// rememberRepaired records in the cache the blobs and trees repair stored
// again.
func rememberRepaired(ctx context.Context, cache *state.Cache, repaired []repair.Repaired) error {
	b := cache.Batch()
	for _, r := range repaired {
		if id, _, ok := vault.ParseObjectKey(r.Key); ok {
			b.AddObject(append([]byte(nil), id[:]...))
		}
	}
	if err := b.Commit(ctx); err != nil {
		return fmt.Errorf("record repaired objects in the cache: %w", err)
	}
	return nil
}

func (a *app) printRepair(rep auditlog.Report, res *repair.Result) {
	if res.Damaged == 0 {
		a.printf("nothing to repair: the %s audit found no lost or corrupted objects\n", rep.Mode)
		if rep.Mode == "quick" {
			a.printf("(the quick audit compares sizes and the provider's checksums; --deep downloads and hashes everything)\n")
		}
		return
	}
	verb := "repaired"
	if res.DryRun {
		verb = "would repair"
	}
	var total int64
	for _, r := range res.Repaired {
		total += int64(r.Size)
		if r.From != "" {
			a.printf("%s %s (%s) from %s\n", verb, r.Key, r.Class, r.From)
		} else {
			a.printf("%s %s (%s)\n", verb, r.Key, r.Class)
		}
	}
	for _, u := range res.Unrepaired {
		a.printf("cannot repair %s (%s): %s\n", u.Key, u.Class, u.Reason)
		for _, f := range u.Files {
			a.printf("    %s: %s\n", f.Path, f.Problem)
		}
	}
	for _, k := range res.Unreadable {
		a.printf("unreadable %s: the files below it were not looked for\n", k)
	}
	a.printf("%s %d of %s (%s) from the %s audit", verb, len(res.Repaired), plural(res.Damaged, "lost or corrupted object", "lost or corrupted objects"), bytesize.Format(total), rep.Mode)
	if n := len(res.Unrepaired); n > 0 {
		a.printf("; %d cannot be repaired", n)
	}
	a.printf("\n")
}
