package main

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/tunesafe/tunesafe/internal/auditlog"
	"github.com/tunesafe/tunesafe/internal/bytesize"
	"github.com/tunesafe/tunesafe/internal/locks"
)

// checkWorkers is how many objects verify, audit, repair and the agent's
// routine check examine at once. A quick check is one HEAD per object (S3
// listings carry no checksums), so on a provider 30 ms away the round trips,
// not the work, decide its time: 64 at once checked the benchmark vault's
// 2,235 objects in 2.1 s, 16 in 5.6 s (docs/BENCHMARKS.md).
const checkWorkers = 64

type verifyOptions struct {
	deep       bool
	sample     string
	stats      bool
	workers    int
	noProgress bool
}

// flags adds the options verify and audit share.
func (o *verifyOptions) flags(c *cobra.Command) {
	c.Flags().BoolVar(&o.deep, "deep", false, "download and hash every object (finds corruption that keeps the size)")
	c.Flags().StringVar(&o.sample, "sample", "", "download and hash this share of the objects (e.g. 5%), rotating")
	c.Flags().IntVar(&o.workers, "workers", checkWorkers, "objects checked at once (each check is a round trip to the provider)")
	c.Flags().BoolVar(&o.noProgress, "no-progress", false, "do not draw progress on the terminal")
}

func (a *app) verifyCommand() *cobra.Command {
	var o verifyOptions
	c := &cobra.Command{
		Use:   "verify",
		Short: "Check that every object in the vault is intact",
		Long: `Check the vault against its tamper-evident log. The quick mode (default) lists
and stats every object and compares its size and the provider's SHA-256
checksum with what was stored, without downloading; --deep downloads and
hashes everything; --sample 5% downloads a rotating share, so that repeated runs
cover every object. Every mode also downloads and hashes the objects a check
found damaged before (on any computer: the vault's damage markers), so that
corruption only --deep sees is not forgotten; a marker whose objects are all
stored again since and hash right is deleted. Results are recorded in the
log; --stats shows the durability record since the vault was created.

Exit code 4 means something was lost, corrupted or tampered with: run
'tunesafe audit' to see what and whose fault it was.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.runAudit(cmd.Context(), o, false)
		},
	}
	o.flags(c)
	c.Flags().BoolVar(&o.stats, "stats", false, "show the durability record since the vault was created")
	return c
}

func (a *app) auditCommand() *cobra.Command {
	var o verifyOptions
	c := &cobra.Command{
		Use:   "audit",
		Short: "Classify every discrepancy between the vault and its log, with blame",
		Long: `Compare every object with the vault's tamper-evident log and classify each
discrepancy: lost by the provider (written, never deleted, now missing),
corrupted by the provider (content differs from what was written), deleted at
your request (when, by which command), written by someone else (present but
never written by Tunesafe), or log tampered with (inconsistent with a
checkpoint this computer saw).

Exit code 4 when anything was lost, corrupted or tampered with.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.runAudit(cmd.Context(), o, true)
		},
	}
	o.flags(c)
	return c
}

func parsePercent(s string) (float64, error) {
	s = strings.TrimSpace(s)
	f, err := strconv.ParseFloat(strings.TrimSuffix(s, "%"), 64)
	if err != nil {
		return 0, usagef("for example --sample 5%", "invalid sample %q", s)
	}
	if strings.HasSuffix(s, "%") {
		f /= 100
	}
	if f <= 0 || f > 1 {
		hint := ""
		if !strings.HasSuffix(s, "%") && f > 1 && f <= 100 {
			// "--sample 5" meant 5%, most likely: without %, a share
			// is a fraction.
			hint = fmt.Sprintf("a share without %% is a fraction of 1: write --sample %s%%", s)
		}
		return 0, usagef(hint, "--sample must be more than 0%% and at most 100%%")
	}
	return f, nil
}

func (a *app) runAudit(ctx context.Context, o verifyOptions, table bool) error {
	if o.workers < 1 {
		return usagef("", "--workers must be at least 1")
	}
	opts := auditlog.AuditOptions{Deep: o.deep, Checksums: true, Workers: o.workers}
	if o.sample != "" {
		if o.deep {
			return usagef("", "--deep and --sample exclude each other")
		}
		f, err := parsePercent(o.sample)
		if err != nil {
			return err
		}
		opts.Sample = f
	}
	s, err := a.openVaultForAudit(ctx)
	if err != nil {
		return err
	}
	defer s.Close()
	var release func() error // the lock's, once taken
	if s.replicaOf == "" && s.readOnly == nil {
		// A replica, and a vault on a disk this computer cannot write,
		// are only read: no lock is taken and nothing recorded (a copy
		// running meanwhile may show objects it has not yet logged as
		// foreign).
		name := "verify"
		if table {
			name = "audit"
		}
		ctx = a.deleteReason(ctx, "audit")
		lock, err := locks.Acquire(ctx, s.vault.Store(), locks.Audit)
		if err != nil {
			err = fmt.Errorf("%s: %w", name, err)
			// Only another command's lock means waiting; the rest (a
			// read-only disk, a network failure) is classified as it is.
			if ce := (*locks.ConflictError)(nil); errors.As(err, &ce) {
				return withHint(err, conflictHint(ce, article(name)+" "+name+" needs the vault to itself"))
			}
			return err
		}
		a.noteCleared(lock)
		released := false
		release = func() error {
			if released {
				return nil
			}
			released = true
			return lock.Release(ctx)
		}
		defer release()
		// The audit's record is published with the lock's release: one
		// entries object and one checkpoint less.
		opts.Unpublished = true
	}
	marks, err := readDamageMarks(ctx, s.vault)
	if err != nil {
		return err
	}
	opts.Hash = marks.hash
	start := time.Now()
	var stop func()
	opts.Progress, stop = a.showAuditProgress(o.noProgress)
	rep, err := auditlog.Audit(ctx, s.log, s.raw, opts)
	stop()
	if err != nil {
		return err
	}
	// Markers whose objects are all stored again and intact are deleted
	// under the lock; their DELETEs are published with its release.
	retired, err := a.retireDamage(ctx, s, marks, &rep)
	if err != nil {
		return err
	}
	if release != nil {
		if err := release(); err != nil {
			return err
		}
		if err := s.log.Flush(ctx); err != nil {
			return err
		}
		rep.Recorded = true
	}
	if err := a.forgetDamage(ctx, s, &rep); err != nil {
		return err
	}
	if _, err := a.recordIntegrity(ctx, s, &rep, len(retired)); err != nil {
		return err
	}
	if a.json {
		if err := a.writeAuditJSON(rep, retired); err != nil {
			return err
		}
	} else {
		if table {
			if err := rep.WriteText(a.stdout); err != nil {
				return err
			}
		} else {
			a.printf("checked %s (%s) in %s\n", plural(rep.Objects, "object", "objects"), checkedSummary(rep), time.Since(start).Round(time.Millisecond))
			c := rep.Counts
			// "intact" only when every byte was read back: an object
			// checked by its size or the provider's checksum (recorded
			// when it was stored) may still have rotted since.
			ok := "intact"
			if rep.SizeOnly+rep.Hashed-rep.Downloaded > 0 {
				ok = "present as logged"
			}
			a.printf("%s %d, lost %d, corrupted %d, deleted by you %d, foreign %d, tampered %d\n", ok, c.OK, c.Lost, c.Corrupted, c.DeletedByUser, c.Foreign, c.Tampered)
			if ok != "intact" && c.Lost+c.Corrupted+c.Tampered == 0 {
				a.printf("not every byte was read back: 'tunesafe verify --deep' does (it downloads the whole vault, as a restore would)\n")
			}
		}
		if len(retired) > 0 {
			a.printf("%s", retiredLine(retired))
		}
	}
	if o.stats && !a.json {
		sum, err := auditlog.Stats(ctx, s.log)
		if err != nil {
			return err
		}
		a.printStats(sum)
	}
	if rep.LogDamage != "" {
		err := &integrityError{msg: "the vault's log is damaged: " + rep.LogDamage}
		return withHint(err, "the objects were classified against the log as this computer last verified it (newer writes show as foreign, newer deletes as lost); keep a copy of the vault before writing to it; snapshots, ls, diff and restore still read it")
	}
	if n := rep.Failures(); n > 0 || !rep.Complete {
		err := &integrityError{msg: fmt.Sprintf("%s lost, corrupted or tampered with", plural(n, "object", "objects"))}
		return withHint(err, damageHint(rep, o, table))
	}
	return nil
}

// writeAuditJSON writes the report of a verify or audit as JSON: the
// report's own form (auditlog.Report.WriteJSON), and the keys of the damage
// markers the check retired, if any.
func (a *app) writeAuditJSON(rep auditlog.Report, retired []string) error {
	if rep.Findings == nil {
		rep.Findings = []auditlog.Finding{}
	}
	return a.printJSON(struct {
		auditlog.Report
		Retired []string `json:"damage_markers_retired,omitempty"`
	}{rep, retired})
}

// damageHint says what to do about what a verify or audit found: see it
// with audit, and put it back with the repair that can see it. A quick
// repair compares sizes and checksums only: corruption found by
// downloading, it does not see.
func damageHint(rep auditlog.Report, o verifyOptions, table bool) string {
	see := "run 'tunesafe audit' to see what was lost or damaged and by whom"
	if table {
		see = "the table above says what was lost or damaged and by whom"
	}
	c := rep.Counts
	switch {
	case !rep.Complete:
		return "" // the log: classify says what to do
	case c.Lost+c.Corrupted == 0 && c.Tampered > 0:
		return "a key file the log does not know is in keys/: whoever knows its passphrase can read the vault; 'tunesafe audit' names it, delete it unless you put it there"
	case c.Lost+c.Corrupted == 0:
		return ""
	case c.Corrupted > 0 && (o.deep || o.sample != ""):
		return see + "; 'tunesafe repair --deep' uploads again what files on this computer still hold (a quick repair does not download, so it cannot see corrupted contents)"
	}
	return see + "; 'tunesafe repair' uploads again what files on this computer still hold"
}

// showAuditProgress draws the progress of a verify or audit on a terminal
// (records replayed, objects checked, bytes downloaded), or emits JSON
// progress events on stderr with --json.
func (a *app) showAuditProgress(disabled bool) (func(auditlog.AuditProgress), func()) {
	sink := a.progressTo(disabled)
	if sink == nil {
		return nil, func() {}
	}
	var r rate
	show := func(p auditlog.AuditProgress) {
		if !sink.due(false) {
			return
		}
		perSec := r.add(p.Bytes)
		line := fmt.Sprintf("[verify] %d/%s", p.Objects, plural(p.TotalObjects, "object", "objects"))
		switch {
		case p.TotalObjects == 0:
			line = fmt.Sprintf("[verify] reading the log: %s", plural(p.Records, "record", "records"))
		case p.TotalBytes > 0:
			line += fmt.Sprintf("  %s/%s downloaded  %s/s  ETA %s", bytesize.Format(p.Bytes), bytesize.Format(p.TotalBytes),
				bytesize.Format(int64(perSec)), eta(p.TotalBytes-p.Bytes, perSec))
		}
		sink.show(map[string]any{"records": p.Records,
			"objects_total": p.TotalObjects, "objects_done": p.Objects,
			"bytes_total": p.TotalBytes, "bytes_done": p.Bytes, "rate": int64(perSec)}, line)
	}
	return show, sink.clear
}

// printStats shows the vault's durability record from its log.
func (a *app) printStats(s auditlog.Summary) {
	a.printf("durability record since %s (%s)\n", s.Since.Local().Format("2006-01-02"), plural(s.Checkpoint.Size, "log record", "log records"))
	a.printf("  writes %d, deletes %d, failed requests %d, snapshots %d\n", s.Puts, s.Deletes, s.Failed, s.Snapshots)
	a.printf("  verify runs %d: %s and %s checked, %s found\n", s.VerifyRuns, plural(s.Objects, "object", "objects"), bytesize.Format(s.Bytes), plural(s.Failures, "failure", "failures"))
	if !s.LastVerify.IsZero() {
		a.printf("  last verify %s", s.LastVerify.Local().Format("2006-01-02 15:04"))
		if !s.LastFailure.IsZero() {
			a.printf(", last failure found %s", s.LastFailure.Local().Format("2006-01-02 15:04"))
		}
		a.printf("\n")
	}
}
