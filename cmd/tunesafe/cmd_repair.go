package main

import (
	"context"
	"errors"
	"fmt"
	"strings"

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
	// forget records as gone the lost objects nothing needs.
	forget bool
	// from are copies to put damaged objects back from (repairCopies).
	from                      []string
	fromProfile, fromEndpoint string
}

// reasonAcknowledged is the log's DELETE reason for a lost object that
// 'repair --forget-unneeded' records as gone: the object was missing
// already, and no snapshot needed it.
const reasonAcknowledged = "acknowledged-lost"

func (a *app) repairCommand() *cobra.Command {
	var o repairOptions
	c := &cobra.Command{
		Use:   "repair",
		Short: "Upload again what the storage lost or corrupted, from a replica or the files on this computer",
		Long: `Audit the vault (quick, or --deep to download and hash everything), then put
back every lost or corrupted object:

- from a replica made by 'tunesafe copy' (--from, or the config file's
  "copies"): any object, a snapshot, tree or key file as well as file content,
  byte for byte as first stored, when the replica's bytes hash to what the
  vault's log recorded. A replica's object is never taken on trust.
- from the local files the content was cut from: the files the snapshots name,
  where they still are. A piece is stored only when its bytes match its content
  ID, so a file edited since the backup still gives back what the edit left
  alone (a retagged track its audio).

A tunesafe.json the provider lost is rebuilt, from the copy this computer keeps
or from the key files, and stored again; so is a lost FORMAT.md.

What cannot be repaired is listed with the reason: the file is gone or
changed, no replica holds it, or the object is a tree or snapshot, which
without a replica only a new backup writes again ('tunesafe backup' restores
the trees of folders that have not changed). Every upload is recorded in the
vault's tamper-evident log. A damage marker (left by a check, so that other
computers store its objects again) whose objects the audit finds all stored
again and intact is deleted.

--forget-unneeded also records as gone (a DELETE in the log, reason
"acknowledged-lost") every lost object nothing needs: a lock or prune marker,
and a blob or tree that no snapshot names, once every snapshot and tree could
be read. Audits then show it as deleted by you. A lost snapshot is never
forgotten this way.

Exit code 4 when something stays lost or corrupted.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.runRepair(cmd.Context(), o)
		},
	}
	c.Flags().BoolVar(&o.deep, "deep", false, "download and hash every object (finds corruption that keeps the size)")
	c.Flags().BoolVar(&o.dryRun, "dry-run", false, "only say what would be repaired")
	c.Flags().BoolVar(&o.forget, "forget-unneeded", false, "record as gone the lost objects no snapshot needs (locks, unreferenced blobs and trees)")
	c.Flags().StringArrayVar(&o.from, "from", nil, "a replica made by 'tunesafe copy' to copy damaged objects back from (repeatable; default: the config file's \"copies\")")
	c.Flags().StringVar(&o.fromEndpoint, "from-endpoint", "", "S3 endpoint URL of the --from replicas (default: the profile's endpoint_url, or the vault's)")
	c.Flags().StringVar(&o.fromProfile, "from-profile", "", "AWS profile with the --from replicas' credentials, region and endpoint (default: the vault's environment)")
	return c
}

// repairReport is repair's --json output.
type repairReport struct {
	Audit struct {
		Mode   string          `json:"mode"`
		Counts auditlog.Counts `json:"counts"`
	} `json:"audit"`
	*repair.Result
	// Retired are the keys of the damage markers the audit found done
	// with: every object they name stored again and intact.
	Retired []string `json:"damage_markers_retired,omitempty"`
}

func (a *app) runRepair(ctx context.Context, o repairOptions) error {
	s, err := a.openVaultForRepair(ctx)
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
		if ce := (*locks.ConflictError)(nil); errors.As(err, &ce) {
			return withHint(err, conflictHint(ce, "a repair needs the vault to itself"))
		}
		return err
	}
	a.noteCleared(lock)
	defer a.releaseLock(ctx, lock)
	if err := s.log.Flush(ctx); err != nil {
		return err
	}
	marks, err := readDamageMarks(ctx, s.vault)
	if err != nil {
		return err
	}
	rep, err := auditlog.Audit(ctx, s.log, s.raw, auditlog.AuditOptions{Deep: o.deep, Checksums: true, Workers: checkWorkers, Hash: marks.hash})
	if err != nil {
		return err
	}
	// As after a verify, the next backup must not trust the cache's
	// belief that the damaged objects are stored: it then stores again
	// every tree it builds, and every blob of a file it reads, that is
	// still damaged. What repair puts back is recorded as stored below.
	if err := backup.ForgetDamaged(ctx, s.cache, s.vault, damagedIDs(&rep, nil)); err != nil {
		return fmt.Errorf("forget damaged objects in the cache: %w", err)
	}
	if !rep.Complete {
		return withHint(&integrityError{msg: "the vault's log is inconsistent: nothing was repaired"},
			"run 'tunesafe audit' to see where the log was tampered with, and keep a copy of the vault before writing to it")
	}
	// The damage markers whose objects the audit found stored again
	// and intact are done with (a dry run deletes nothing).
	var retired []string
	if !o.dryRun {
		if retired, err = a.retireDamage(ctx, s, marks, &rep); err != nil {
			return err
		}
	}
	var damage []repair.Damage
	configFound := false
	for _, f := range rep.Findings {
		if f.Class == auditlog.Lost || f.Class == auditlog.Corrupted || f.Class == auditlog.Note && o.forget {
			d := repair.Damage{Key: f.Key, Class: string(f.Class)}
			if f.Want != nil {
				d.SHA256 = f.Want.SHA256
			}
			damage = append(damage, d)
			configFound = configFound || f.Key == vault.ConfigKey
		}
	}
	var bo backup.Options
	a.configureSplitting(&bo)
	ro := repair.Options{Splitter: bo.Splitter, Rebuilders: bo.Rebuilders, DryRun: o.dryRun,
		Rewrite: map[string]repair.Rewrite{vault.FormatKey: {Data: docs.Format}}}
	if lost := s.lostConfig; lost != nil {
		// The vault opened with a rebuilt tunesafe.json: it is stored
		// again, even when the log does not say it was ever there.
		ro.Rewrite[vault.ConfigKey] = repair.Rewrite{Data: lost.raw, From: lost.from}
		if !configFound {
			damage = append(damage, repair.Damage{Key: vault.ConfigKey, Class: string(auditlog.Lost)})
		}
	}
	if len(damage) > 0 {
		if ro.Copies, err = a.repairCopies(ctx, s, o); err != nil {
			return err
		}
	}
	if o.forget {
		ro.Forget = func(ctx context.Context, key string) error {
			return s.vault.Store().Delete(a.deleteReason(ctx, reasonAcknowledged), key)
		}
	}
	res, err := repair.Run(ctx, s.vault, damage, ro)
	if res != nil && !o.dryRun {
		// What was put back is stored: the next backup need not upload
		// it again. What was not, the other computers must not trust.
		if cerr := rememberRepaired(ctx, s.cache, res.Repaired); err == nil {
			err = cerr
		}
		if aerr := a.announceDamage(ctx, s, notRepaired(&rep, res)); err == nil {
			err = aerr
		}
	}
	if err != nil {
		if res != nil && len(res.Repaired) > 0 && !o.dryRun {
			fmt.Fprintf(a.stderr, "tunesafe: repaired %s before the error\n", plural(len(res.Repaired), "object", "objects"))
		}
		return err
	}
	if a.json {
		out := repairReport{Result: res, Retired: retired}
		out.Audit.Mode, out.Audit.Counts = rep.Mode, rep.Counts
		if err := a.printJSON(out); err != nil {
			return err
		}
	} else {
		a.printRepair(rep, res)
		if len(retired) > 0 {
			a.printf("%s", retiredLine(retired))
		}
	}
	if n := len(res.Unrepaired); n > 0 {
		hint := "each one is listed above with the reason; files still on another computer can be repaired there with 'tunesafe repair'"
		if len(ro.Copies) == 0 {
			hint += "; a replica made by 'tunesafe copy' gives back any object: 'tunesafe repair --from LOCATION'"
		}
		if !o.forget {
			hint += "; 'tunesafe repair --forget-unneeded' records as gone those no snapshot needs"
		}
		return withHint(&integrityError{msg: fmt.Sprintf("%d of %s cannot be repaired from this computer", n, plural(res.Damaged, "lost or corrupted object", "lost or corrupted objects"))},
			hint)
	}
	if keys := foreignKeyFiles(rep); len(keys) > 0 {
		return withHint(&integrityError{msg: fmt.Sprintf("%s the log does not know: each opens the vault with its passphrase (%s)", plural(len(keys), "key file", "key files"), strings.Join(keys, ", "))},
			"delete them by hand (rm in a folder vault, aws s3 rm on S3) once your passphrase opens the vault; 'tunesafe audit' says which are old key files back after a passphrase change")
	}
	return nil
}

// foreignKeyFiles returns the key files the audit found that the log does
// not know (a Tampered finding under keys/): repair cannot tell them from
// one the user put back on purpose, so it deletes none.
func foreignKeyFiles(rep auditlog.Report) []string {
	var out []string
	for _, f := range rep.Of(auditlog.Tampered) {
		if strings.HasPrefix(f.Key, auditlog.KeysPrefix) {
			out = append(out, f.Key)
		}
	}
	return out
}

// notRepaired returns the blobs, lists and trees the audit found lost or
// corrupted that repair did not store again.
func notRepaired(rep *auditlog.Report, res *repair.Result) []vault.ID {
	fixed := map[string]bool{}
	for _, r := range res.Repaired {
		fixed[r.Key] = true
	}
	return damagedIDs(rep, fixed)
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
		if n := rep.Counts.Notes; n > 0 {
			a.printf("%s missing, which hold no data ('tunesafe audit' lists them; --forget-unneeded records them as gone)\n", plural(n, "lock or prune marker", "locks or prune markers"))
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
	forgetVerb := "recorded as gone"
	if res.DryRun {
		forgetVerb = "would record as gone"
	}
	for _, f := range res.Forgotten {
		a.printf("%s %s (%s): %s\n", forgetVerb, f.Key, f.Class, f.Reason)
	}
	for _, u := range res.Unrepaired {
		a.printf("cannot repair %s (%s): %s\n", u.Key, u.Class, u.Reason)
		for _, c := range u.Copies {
			a.printf("    copy %s: %s\n", c.Path, c.Problem)
		}
		for _, f := range u.Files {
			a.printf("    %s: %s\n", f.Path, f.Problem)
		}
	}
	for _, k := range res.Unreadable {
		a.printf("unreadable %s: the files below it were not looked for\n", k)
	}
	a.printf("%s %d of %s (%s) from the %s audit", verb, len(res.Repaired), plural(res.Damaged, "lost or corrupted object", "lost or corrupted objects"), bytesize.Format(total), rep.Mode)
	if n := len(res.Forgotten); n > 0 {
		a.printf("; %d %s", n, forgetVerb)
	}
	if n := len(res.Unrepaired); n > 0 {
		a.printf("; %d cannot be repaired", n)
	}
	a.printf("\n")
}
