package main

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/tunesafe/tunesafe/internal/backup"
	"github.com/tunesafe/tunesafe/internal/bytesize"
	"github.com/tunesafe/tunesafe/internal/locks"
	"github.com/tunesafe/tunesafe/internal/retain"
	"github.com/tunesafe/tunesafe/internal/store"
	"github.com/tunesafe/tunesafe/internal/store/s3store"
	"github.com/tunesafe/tunesafe/internal/vaultcopy"
)

type copyOptions struct {
	to         string
	toEndpoint string
	toProfile  string
	workers    int
	noProgress bool
}

func (a *app) copyCommand() *cobra.Command {
	var o copyOptions
	c := &cobra.Command{
		Use:   "copy [--to LOCATION]",
		Short: "Copy the vault, object for object, to a second location (another provider, bucket or disk)",
		Long: `Make, or bring up to date, a replica of the vault at a second location: another
S3 provider, another bucket, a USB disk. The replica is the same vault: the
stored objects are copied as they are (encrypted objects stay encrypted and are
never opened), it opens with the same passphrase, and every command works on it
with --vault LOCATION, restore included, without the original.

What is copied is what the vault's tamper-evident log says the vault holds.
Every object is checked against the log before it is written, so an object the
original's provider lost or damaged is reported and never copied (exit code 4:
repair the original, then copy again). The replica's log is copied last, and
only once the replica holds everything it describes; what was pruned from the
vault is deleted from the replica too. An object the original lost after an
earlier copy, which the replica still holds, is a warning (exit code 3) that
names the 'tunesafe repair --from' command taking it back from the replica.

Run it again at any time: it copies only what the replica lacks, and an
interrupted copy continues where it stopped. A replica that was written to
directly (a backup into it) is refused, as is a location holding anything else.

The replica's location takes the same forms as --vault. For S3, the endpoint
comes from --to-endpoint, and the credentials from --to-profile (a profile of
~/.aws/credentials and ~/.aws/config, with its region and endpoint_url), or,
without it, from the same environment as the vault's.

Without --to, copy brings up to date every replica listed in the config
file, which backups of the config's vault also do after they complete:

  "copies": [{"to": "/media/usb/tunesafe"},
             {"to": "s3://my-second-bucket/tunesafe", "profile": "b2"}]

(a listed folder that does not exist, a disk not mounted, is then skipped
with a warning).`,
		Example: `  tunesafe copy --to /media/usb/tunesafe
  tunesafe copy --to s3://my-second-bucket/tunesafe --to-profile b2`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.runCopy(cmd.Context(), o)
		},
	}
	f := c.Flags()
	f.StringVar(&o.to, "to", "", "where the replica goes: s3://bucket/prefix or a folder (default: every replica in the config file's \"copies\")")
	f.StringVar(&o.toEndpoint, "to-endpoint", "", "S3 endpoint URL of the replica (default: the profile's endpoint_url, or the vault's)")
	f.StringVar(&o.toProfile, "to-profile", "", "AWS profile with the replica's credentials, region and endpoint (default: the vault's environment)")
	f.IntVar(&o.workers, "workers", 8, "objects copied at once")
	f.BoolVar(&o.noProgress, "no-progress", false, "do not draw progress on the terminal")
	return c
}

func (a *app) runCopy(ctx context.Context, o copyOptions) error {
	if o.workers < 1 {
		return usagef("", "--workers must be at least 1")
	}
	targets := []copyTarget{{To: o.to, Profile: o.toProfile, Endpoint: o.toEndpoint}}
	if o.to == "" {
		if o.toProfile != "" || o.toEndpoint != "" {
			return usagef("", "--to-profile and --to-endpoint go with --to")
		}
		cfg, err := a.loadConfig()
		if err != nil {
			return err
		}
		targets = cfg.Copies
		if len(targets) == 0 {
			return usagef(`for example: tunesafe copy --to /media/usb/tunesafe; or list replicas in the config file: "copies": [{"to": "/media/usb/tunesafe"}]`, "copy needs --to LOCATION")
		}
	}
	for _, t := range targets {
		if err := t.check(); err != nil {
			return err
		}
	}
	s, err := a.openVault(ctx)
	if err != nil {
		return err
	}
	defer s.Close()
	var problems, warnings int
	var reports []copyReport
	var retainErr error
	// The config file's replicas are brought up to date where they are: a
	// folder that does not exist is a disk not mounted, skipped with a
	// warning; --to makes the folder it names.
	existing := o.to == ""
	for _, t := range targets {
		start := time.Now()
		res, err := a.copyTo(ctx, s, t, o.workers, o.noProgress, existing)
		if me := (*replicaMissingError)(nil); errors.As(err, &me) {
			fmt.Fprintf(a.stderr, "tunesafe: warning: %v\n", err)
			reports = append(reports, copyReport{To: t.To, Skipped: err.Error()})
			warnings++
			continue
		}
		if err != nil {
			return err
		}
		r := copyReport{To: t.To, Duration: time.Since(start), copyResult: res}
		if !a.json {
			a.printCopy(r)
		}
		if len(res.InReplicaOnly) > 0 {
			fmt.Fprintf(a.stderr, "tunesafe: warning: %s\n", a.inReplicaOnly(s, t, res.InReplicaOnly))
			warnings++
		}
		if res.retainErr != nil {
			r.RetainError = res.retainErr.Error()
			fmt.Fprintf(a.stderr, "tunesafe: warning: %s: %v\n", t.To, res.retainErr)
			retainErr = cmp.Or(retainErr, res.retainErr)
		}
		reports = append(reports, r)
		problems += len(res.Problems)
	}
	if a.json {
		var err error
		if o.to != "" {
			err = a.printJSON(reports[0])
		} else {
			err = a.printJSON(reports)
		}
		if err != nil {
			return err
		}
	}
	if problems > 0 {
		return withHint(&integrityError{msg: fmt.Sprintf("%s not copied: lost or damaged in the vault; the replica's log was left behind", plural(problems, "object", "objects"))},
			"run 'tunesafe audit' and 'tunesafe repair' on the vault, then copy again")
	}
	if retainErr != nil {
		return retainErr
	}
	if warnings > 0 {
		fmt.Fprintf(a.stderr, "tunesafe: copy completed with %s\n", plural(warnings, "warning", "warnings"))
		return &warningsError{n: warnings}
	}
	return nil
}

// inReplicaOnly says that the vault lacks, or holds damaged, objects its
// log says it holds, that the replica at t holds them, and the repair
// that takes them back from it: with --from, which repair needs for a
// replica the config file does not list, or lists for another vault.
func (a *app) inReplicaOnly(s *session, t copyTarget, lost []vaultcopy.Problem) string {
	missing := 0
	for _, p := range lost {
		if p.Kind == "missing" {
			missing++
		}
	}
	state, why := "missing", "lost by its storage, or deleted behind Tunesafe's back"
	switch {
	case missing == 0:
		state, why = "damaged", "damaged by its storage, or changed behind Tunesafe's back"
	case missing < len(lost):
		state, why = "missing or damaged", "lost or damaged by its storage, or changed behind Tunesafe's back"
	}
	is, example, them := "is", ": "+lost[0].Key, "it"
	if len(lost) > 1 {
		is, example, them = "are", ", for example "+lost[0].Key, "them"
	}
	cmd := []string{"tunesafe", "repair"}
	if a.vaultFlag != "" {
		cmd = append(cmd, "--vault", s.loc)
	}
	if a.endpoint != "" {
		cmd = append(cmd, "--endpoint", a.endpoint)
	}
	cmd = append(cmd, "--from", t.To)
	if t.Profile != "" {
		cmd = append(cmd, "--from-profile", t.Profile)
	}
	if t.Endpoint != "" {
		cmd = append(cmd, "--from-endpoint", t.Endpoint)
	}
	return fmt.Sprintf("%s the vault's log says it holds %s %s in the vault (%s)%s; the replica at %s still holds %s: run '%s' to put %s back",
		plural(len(lost), "object", "objects"), is, state, why, example, t.To, them, shellJoin(cmd), them)
}

// copyTarget is a replica's location, with what reaching it takes. The
// config file's "copies" lists those that backups of its vault bring up
// to date.
type copyTarget struct {
	To       string `json:"to"`
	Profile  string `json:"profile,omitempty"`
	Endpoint string `json:"endpoint,omitempty"`

	// err is why the config file's To cannot be used (a relative
	// folder); see fileConfig.resolveLocations.
	err error
}

func (t copyTarget) check() error {
	if t.err != nil {
		return t.err
	}
	if t.To == "" {
		return usagef(`write each replica as {"to": "s3://bucket/prefix"} or {"to": "/media/usb/tunesafe"}`, "a copy in the config file has no \"to\"")
	}
	if !isS3(t.To) && (t.Endpoint != "" || t.Profile != "") {
		return usagef("--to-endpoint and --to-profile are for S3 locations (s3://bucket/prefix)", "%s is not an S3 location", t.To)
	}
	return nil
}

// copyTo brings the replica at t up to date with the open vault s, and
// records the outcome in the cache for 'tunesafe status'. existing refuses
// to create a missing folder (a copy after a backup, to a disk that may not
// be mounted).
func (a *app) copyTo(ctx context.Context, s *session, t copyTarget, workers int, noProgress, existing bool) (copyResult, error) {
	res, err := a.copyOnce(ctx, s, t, workers, noProgress, existing)
	if isInterrupt(err) {
		return res, err
	}
	rec := copyRecord{To: t.To, Time: a.now().UTC(), Records: res.Records, Complete: err == nil && res.Complete, Problems: len(res.Problems),
		Recoverable: len(res.InReplicaOnly)}
	switch {
	case err != nil:
		_, msg, _ := classify(err)
		rec.Error = msg
	case res.retainErr != nil:
		_, msg, _ := classify(res.retainErr)
		rec.Error = msg
	case len(res.Pending) > 0:
		rec.Error = "the vault was in use: copy again when the other command has finished"
	}
	if b, merr := json.Marshal(rec); merr == nil {
		if serr := s.cache.SetMeta(ctx, copyMetaPrefix+t.To, string(b)); serr != nil && err == nil {
			err = serr
		}
	}
	return res, err
}

// lockedCopy copies to the replica under the shared copy lock: a prune
// must not delete what the copy is about to read, so it waits while a
// prune runs. The lock's release is recorded as this command's.
func (a *app) lockedCopy(ctx context.Context, s *session, opts vaultcopy.Options, noProgress bool) (vaultcopy.Result, error) {
	ctx = a.deleteReason(ctx, "copy")
	lock, err := locks.Wait(ctx, s.vault.Store(), locks.Copy, 15*time.Second, func(ce *locks.ConflictError) {
		fmt.Fprintf(a.stderr, "tunesafe: waiting: %v\n", ce)
	})
	if err != nil {
		return vaultcopy.Result{}, err
	}
	a.noteCleared(lock)
	defer a.releaseLock(ctx, lock)
	show, stop := a.showCopyProgress(noProgress)
	defer stop()
	opts.Progress = show
	return vaultcopy.Copy(ctx, opts)
}

// copyResult is what one copy to a replica did.
type copyResult struct {
	vaultcopy.Result
	// Retain is the pass that extended the Object Lock retention of the
	// replica's objects, when one was due (retainReplica).
	Retain *retain.Result `json:"retain,omitempty"`
	// retainErr is why that pass failed, or found needed objects missing;
	// the copy itself is complete.
	retainErr error
}

func (a *app) copyOnce(ctx context.Context, s *session, t copyTarget, workers int, noProgress, existing bool) (copyResult, error) {
	if s.replicaOf != "" {
		return copyResult{}, usagef("copy from the original, "+s.replicaOf, "%s is a replica: a copy is made from the original", s.loc)
	}
	if err := checkNotNested(ctx, t.To, nil); err != nil {
		return copyResult{}, err // before the folder is made
	}
	backend, err := a.openReplicaBackend(ctx, t, existing)
	if err != nil {
		return copyResult{}, err
	}
	if canonicalLocation(backend) == canonicalLocation(s.raw) {
		return copyResult{}, usagef("name another bucket, prefix or folder", "%s is the vault itself", t.To)
	}
	if err := checkFresh(ctx, t.To, backend); err != nil {
		return copyResult{}, err
	}
	id := s.vault.Config().ID
	dest := a.decorate(backend)
	if l := s.vault.Config().ObjectLock; l != nil {
		if _, ok := backend.(*s3store.Store); !ok {
			fmt.Fprintf(a.stderr, "tunesafe: warning: the vault locks its objects with S3 Object Lock; %s cannot, so the replica's objects are not locked\n", t.To)
		}
		locked, err := lockBackend(backend, l)
		if err != nil {
			return copyResult{}, err
		}
		dest = a.decorate(locked)
	}

	// What this run wrote (a backup's snapshot) is copied only once the
	// log has published it; the copy's own lock, taken next, is not.
	if err := s.log.Flush(ctx); err != nil {
		return copyResult{}, fmt.Errorf("publish the vault's log: %w", err)
	}
	opts := vaultcopy.Options{Source: s.raw, SourceName: absLocation(s.loc), Dest: dest, Log: s.log, Workers: workers}
	// A replica that holds everything already needs no copy, and no lock
	// either, whose records the next copy would have to copy.
	copied, current, err := vaultcopy.Current(ctx, opts)
	if err != nil {
		return copyResult{}, copyError(err, t.To)
	}
	if !current {
		copied, err = a.lockedCopy(ctx, s, opts, noProgress)
	}
	res := copyResult{Result: copied}
	if err != nil {
		return res, copyError(err, t.To)
	}
	if !copied.Complete {
		return res, nil
	}
	// This computer now knows the replica's log: later commands on the
	// replica check that it only grows from here.
	l, own, err := a.openLog(ctx, s.vault, dest, stateKey(id, backend), true)
	if err != nil {
		return res, fmt.Errorf("check the replica's log: %w", err)
	}
	err = l.Close(ctx)
	own.release()
	if err != nil {
		return res, err
	}
	res.Retain, err = a.retainReplica(ctx, s, dest, backend, noProgress)
	switch {
	case isInterrupt(err):
		return res, err
	case err != nil:
		res.retainErr = withHint(fmt.Errorf("the copy is complete, but extending the Object Lock retention of the replica's objects failed: %w", err), retainHint(err))
	case res.Retain != nil && res.Retain.Missing > 0:
		res.retainErr = fmt.Errorf("the replica is incomplete: %s", missingMessage(res.Retain))
	}
	return res, nil
}

// copyMetaPrefix keys, in the vault's cache, the last copy to each
// replica (a copyRecord).
const copyMetaPrefix = "copy:"

// copyRecord is the outcome of the last copy to one replica.
type copyRecord struct {
	To       string    `json:"to"`
	Time     time.Time `json:"time"`
	Records  int64     `json:"log_records"`
	Complete bool      `json:"complete"`
	Problems int       `json:"problems,omitempty"`
	// Recoverable counts the objects the replica holds that the vault
	// has lost or holds damaged (vaultcopy.Result.InReplicaOnly).
	Recoverable int    `json:"recoverable,omitempty"`
	Error       string `json:"error,omitempty"`
	// Invalid: the config file's copy cannot be used as written (a
	// relative folder, S3 options on a folder); no copy is tried.
	Invalid string `json:"invalid,omitempty"`
}

// copyRecords returns the last copy to each replica of the config's
// copies, in their order; a replica never copied to has a record with
// only To.
func (a *app) copyRecords(ctx context.Context, s *session, targets []copyTarget) ([]copyRecord, error) {
	var out []copyRecord
	for _, t := range targets {
		r := copyRecord{To: t.To}
		if err := t.check(); err != nil {
			_, r.Invalid, _ = classify(err)
			out = append(out, r)
			continue
		}
		v, err := s.cache.Meta(ctx, copyMetaPrefix+t.To)
		if err != nil {
			return nil, err
		}
		if v != "" {
			json.Unmarshal([]byte(v), &r)
		}
		out = append(out, r)
	}
	return out, nil
}

// copiesAfterBackup brings the replicas listed in the config file up to
// date after a completed backup of the config's vault. What goes wrong is
// a warning of the backup: its snapshot is saved, and the next backup
// tries again. A folder that does not exist (a disk not mounted) is not
// created.
func (a *app) copiesAfterBackup(ctx context.Context, s *session, noProgress bool) ([]backup.Warning, error) {
	cfg, err := a.loadConfig()
	if err != nil || !cfg.isVault(s.loc) || s.replicaOf != "" {
		return nil, nil
	}
	var ws []backup.Warning
	for _, t := range cfg.Copies {
		if t.check() != nil {
			ws = append(ws, backup.Warning{Path: t.To, Err: "the config file's copy is not valid: run 'tunesafe copy' to see why"})
			continue
		}
		res, err := a.copyTo(ctx, s, t, 8, noProgress, true)
		switch {
		case isInterrupt(err):
			return ws, err
		case errors.As(err, new(*replicaMissingError)):
			// Its message says what to do; the next backup looks again.
			ws = append(ws, backup.Warning{Path: t.To, Err: "copy: " + err.Error()})
		case err != nil:
			_, msg, _ := classify(err)
			ws = append(ws, backup.Warning{Path: t.To, Err: "copy: " + msg + " (the next backup tries again; or run 'tunesafe copy')"})
		case res.retainErr != nil:
			_, msg, _ := classify(res.retainErr)
			ws = append(ws, backup.Warning{Path: t.To, Err: "copy: " + msg + " (the next backup tries again; or run 'tunesafe copy')"})
		case len(res.Problems) > 0:
			ws = append(ws, backup.Warning{Path: t.To, Err: fmt.Sprintf("copy: %s not copied, lost or damaged in the vault: run 'tunesafe audit' and 'tunesafe repair'", plural(len(res.Problems), "object", "objects"))})
		}
		if err == nil && len(res.InReplicaOnly) > 0 {
			ws = append(ws, backup.Warning{Path: t.To, Err: "copy: " + a.inReplicaOnly(s, t, res.InReplicaOnly)})
		}
	}
	return ws, nil
}

// replicaMissingError: the folder of a replica listed in the config file
// does not exist. It is not created: an unmounted disk's mount point is a
// folder of the system disk, which would get the replica instead.
type replicaMissingError struct{ to string }

func (e *replicaMissingError) Error() string {
	return fmt.Sprintf("%s does not exist (a disk not mounted?); the config file's replicas are not created: create it, or run 'tunesafe copy --to %s' once", e.to, e.to)
}

// openReplicaBackend opens the store at the replica's location. A missing
// folder is created unless existing.
func (a *app) openReplicaBackend(ctx context.Context, t copyTarget, existing bool) (store.Store, error) {
	if !isS3(t.To) {
		if _, err := os.Stat(t.To); existing && errors.Is(err, fs.ErrNotExist) {
			return nil, &replicaMissingError{t.To}
		}
		return a.openBackend(ctx, t.To, !existing)
	}
	u, err := url.Parse(t.To)
	if err != nil || u.Host == "" {
		return nil, usagef("write it as s3://bucket or s3://bucket/prefix", "invalid location %q", t.To)
	}
	var cfg s3store.Config
	if t.Profile != "" {
		cfg, err = s3store.ConfigFromProfile(u, t.Endpoint, t.Profile)
	} else {
		cfg, err = s3store.ConfigFromEnv(u, cmp.Or(t.Endpoint, a.endpoint))
	}
	if err != nil {
		return nil, err
	}
	return a.connectS3(ctx, u, cfg)
}

// copyError gives a refused destination its hint.
func copyError(err error, to string) error {
	switch {
	case errors.Is(err, vaultcopy.ErrOtherVault), errors.Is(err, vaultcopy.ErrNotEmpty):
		return usagef("a replica needs a location of its own: an empty bucket, prefix or folder, or an earlier replica of this vault", "%v", err)
	case errors.Is(err, vaultcopy.ErrDiverged):
		return withHint(err, "the replica at "+to+" has a history of its own (was it backed up to directly?); copy to a new location, or use it as a vault of its own")
	}
	return err
}

type copyReport struct {
	To string `json:"to"`
	// Duration is in nanoseconds, as backup's and restore's.
	Duration time.Duration `json:"duration_ns"`
	copyResult
	// RetainError is why the replica's retention pass failed.
	RetainError string `json:"retain_error,omitempty"`
	// Skipped is why a replica of the config file was not copied to (its
	// folder does not exist).
	Skipped string `json:"skipped,omitempty"`
}

func (a *app) printCopy(r copyReport) {
	res := r.Result
	a.printf("copied %s (%s) to %s in %s; %s already there\n",
		plural(res.Copied, "object", "objects"), bytesize.Format(res.CopiedBytes), r.To, r.Duration.Round(time.Millisecond), plural(res.Present, "was", "were"))
	if res.Deleted > 0 || len(res.NotDeleted) > 0 {
		a.printf("deleted %s the vault deleted since (pruned data, released locks, replaced key files)", plural(res.Deleted, "object", "objects"))
		if n := len(res.NotDeleted); n > 0 {
			a.printf("; %d could not be deleted (Object Lock?), for example %s", n, res.NotDeleted[0])
		}
		a.printf("\n")
	}
	if res.Foreign > 0 {
		a.printf("left alone: %s in the replica that the vault's log does not know\n", plural(res.Foreign, "object", "objects"))
	}
	switch {
	case res.Current:
		a.printf("the replica was complete: it holds everything the vault holds; its log has the vault's first %s (later ones record only locks, and are copied with the next change)\n", plural(res.Records, "record", "records"))
	case res.Complete:
		a.printf("the replica is complete: its log has the vault's %s\n", plural(res.Records, "record", "records"))
	case len(res.Pending) > 0:
		a.printf("the vault was in use (%s): the replica's log stays at record %d; copy again when the other command has finished\n",
			strings.TrimPrefix(res.Pending[0].Key, "locks/"), res.Records)
	}
	for i, p := range res.Problems {
		if i == 10 {
			a.printf("... and %d more\n", len(res.Problems)-i)
			break
		}
		a.printf("not copied: %s (%s in the vault)\n", p.Key, map[string]string{"missing": "missing", "differs": "damaged"}[p.Kind])
	}
	for i, p := range res.InReplicaOnly {
		if i == 10 {
			a.printf("... and %d more\n", len(res.InReplicaOnly)-i)
			break
		}
		a.printf("only in the replica: %s (%s in the vault)\n", p.Key, map[string]string{"missing": "missing", "differs": "damaged"}[p.Kind])
	}
	if r.Retain != nil {
		a.printRetain(r.Retain)
	}
}

// showCopyProgress returns the progress callback for vaultcopy and the
// function that ends the display.
func (a *app) showCopyProgress(disabled bool) (func(vaultcopy.Progress), func()) {
	sink := a.progressTo(disabled)
	if sink == nil {
		return nil, func() {}
	}
	var r rate
	show := func(p vaultcopy.Progress) {
		perSec := r.add(p.Bytes)
		if !sink.due(p.Objects >= p.TotalObjects) {
			return
		}
		sink.show(map[string]any{"objects_total": p.TotalObjects, "objects_done": p.Objects,
			"bytes_total": p.TotalBytes, "bytes_done": p.Bytes, "rate": int64(perSec)},
			fmt.Sprintf("[copy] %d/%s  %s/%s  %s/s  ETA %s", p.Objects, plural(p.TotalObjects, "object", "objects"),
				bytesize.Format(p.Bytes), bytesize.Format(p.TotalBytes), bytesize.Format(int64(perSec)), eta(p.TotalBytes-p.Bytes, perSec)))
	}
	return show, sink.clear
}
