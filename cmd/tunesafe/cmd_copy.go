package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/tunesafe/tunesafe/internal/auditlog"
	"github.com/tunesafe/tunesafe/internal/bytesize"
	"github.com/tunesafe/tunesafe/internal/locks"
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
		Use:   "copy --to LOCATION",
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
vault is deleted from the replica too.

Run it again at any time: it copies only what the replica lacks, and an
interrupted copy continues where it stopped. A replica that was written to
directly (a backup into it) is refused, as is a location holding anything else.

The replica's location takes the same forms as --vault. For S3, the endpoint
comes from --to-endpoint, and the credentials from --to-profile (a profile of
~/.aws/credentials and ~/.aws/config, with its region and endpoint_url), or,
without it, from the same environment as the vault's.`,
		Example: `  tunesafe copy --to /media/usb/tunesafe
  tunesafe copy --to s3://my-second-bucket/tunesafe --to-profile b2`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.runCopy(cmd.Context(), o)
		},
	}
	f := c.Flags()
	f.StringVar(&o.to, "to", "", "where the replica goes: s3://bucket/prefix or a folder (required)")
	f.StringVar(&o.toEndpoint, "to-endpoint", "", "S3 endpoint URL of the replica (default: the profile's endpoint_url, or the vault's)")
	f.StringVar(&o.toProfile, "to-profile", "", "AWS profile with the replica's credentials, region and endpoint (default: the vault's environment)")
	f.IntVar(&o.workers, "workers", 8, "objects copied at once")
	f.BoolVar(&o.noProgress, "no-progress", false, "do not draw progress on the terminal")
	return c
}

func (a *app) runCopy(ctx context.Context, o copyOptions) error {
	if o.to == "" {
		return usagef("for example: tunesafe copy --to /media/usb/tunesafe", "copy needs --to LOCATION")
	}
	if o.workers < 1 {
		return usagef("", "--workers must be at least 1")
	}
	if !isS3(o.to) && (o.toEndpoint != "" || o.toProfile != "") {
		return usagef("--to-endpoint and --to-profile are for S3 locations (s3://bucket/prefix)", "%s is not an S3 location", o.to)
	}
	s, err := a.openVault(ctx)
	if err != nil {
		return err
	}
	defer s.Close()
	backend, err := a.openReplicaBackend(ctx, o)
	if err != nil {
		return err
	}
	if canonicalLocation(backend) == canonicalLocation(s.raw) {
		return usagef("name another bucket, prefix or folder", "%s is the vault itself", o.to)
	}
	id := s.vault.Config().ID
	dest := a.decorate(backend)
	if l := s.vault.Config().ObjectLock; l != nil {
		if _, ok := backend.(*s3store.Store); !ok {
			fmt.Fprintf(a.stderr, "tunesafe: warning: the vault locks its objects with S3 Object Lock; %s cannot, so the replica's objects are not locked\n", o.to)
		}
		locked, err := lockBackend(backend, l)
		if err != nil {
			return err
		}
		dest = a.decorate(locked)
	}

	// A prune must not delete what the copy is about to read: hold a
	// shared lock, as a backup does, waiting while a prune runs. Its
	// release is recorded as this command's.
	ctx = a.deleteReason(ctx, "copy")
	lock, err := locks.Wait(ctx, s.vault.Store(), locks.Copy, 15*time.Second, func(ce *locks.ConflictError) {
		fmt.Fprintf(a.stderr, "tunesafe: waiting: %v\n", ce)
	})
	if err != nil {
		return err
	}
	defer lock.Release(ctx)

	start := time.Now()
	show, stop := a.showCopyProgress(o.noProgress)
	res, err := vaultcopy.Copy(ctx, vaultcopy.Options{Source: s.raw, Dest: dest, Log: s.log, SourceName: s.loc, Workers: o.workers, Progress: show})
	stop()
	if err != nil {
		return copyError(err, o.to)
	}
	if res.Complete {
		// This computer now knows the replica's log: later commands on
		// the replica check that it only grows from here.
		if err := a.checkReplicaLog(ctx, s, stateKey(id, backend), dest); err != nil {
			return err
		}
	}
	if err := a.reportCopy(res, o.to, time.Since(start)); err != nil {
		return err
	}
	if len(res.Problems) > 0 {
		return withHint(&integrityError{msg: fmt.Sprintf("%d objects of the vault are lost or damaged and were not copied; the replica's log was left at record %d", len(res.Problems), res.Records)},
			"run 'tunesafe audit' and 'tunesafe repair' on the vault, then copy again")
	}
	return nil
}

// openReplicaBackend opens the store at the replica's location, creating
// a missing folder.
func (a *app) openReplicaBackend(ctx context.Context, o copyOptions) (store.Store, error) {
	if !isS3(o.to) {
		return a.openBackend(ctx, o.to, true)
	}
	u, err := url.Parse(o.to)
	if err != nil || u.Host == "" {
		return nil, usagef("write it as s3://bucket or s3://bucket/prefix", "invalid location %q", o.to)
	}
	var cfg s3store.Config
	if o.toProfile != "" {
		cfg, err = s3store.ConfigFromProfile(u, o.toEndpoint, o.toProfile)
	} else {
		cfg, err = s3store.ConfigFromEnv(u, firstNonEmpty(o.toEndpoint, a.endpoint))
	}
	if err != nil {
		return nil, err
	}
	a.configureTransport(&cfg)
	st, err := s3store.New(ctx, cfg)
	if err != nil {
		return nil, err
	}
	if err := st.CheckBucket(ctx); err != nil {
		return nil, fmt.Errorf("%s: %w", u.Redacted(), err)
	}
	return st, nil
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
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

// checkReplicaLog opens the replica's log as any later command on the
// replica will, verifying every record once, and records its checkpoint
// as this computer's for that location.
func (a *app) checkReplicaLog(ctx context.Context, s *session, key string, dest store.Store) error {
	verifier, err := auditlog.NewVerifier(s.vault.Config().LogPublicKey)
	if err != nil {
		return err
	}
	opts := auditlog.Options{Store: dest, Verifier: verifier, StateDir: a.logStateDir(key)}
	if s.vault.Encrypted() {
		v := s.vault
		opts.Codec = vaultCodec{&v}
	}
	l, err := auditlog.Open(ctx, opts)
	if err != nil {
		return fmt.Errorf("check the replica's log: %w", err)
	}
	return l.Close(ctx)
}

type copyReport struct {
	To       string  `json:"to"`
	Duration float64 `json:"duration_s"`
	vaultcopy.Result
}

func (a *app) reportCopy(res vaultcopy.Result, to string, took time.Duration) error {
	if a.json {
		return a.printJSON(copyReport{To: to, Duration: took.Seconds(), Result: res})
	}
	a.printf("copied %d objects (%s) to %s in %s; %d were already there\n",
		res.Copied, bytesize.Format(res.CopiedBytes), to, took.Round(time.Millisecond), res.Present)
	if res.Deleted > 0 || len(res.NotDeleted) > 0 {
		a.printf("deleted %d objects pruned from the vault", res.Deleted)
		if n := len(res.NotDeleted); n > 0 {
			a.printf("; %d could not be deleted (Object Lock?), for example %s", n, res.NotDeleted[0])
		}
		a.printf("\n")
	}
	if res.Foreign > 0 {
		a.printf("left alone: %d objects in the replica that the vault's log does not know\n", res.Foreign)
	}
	switch {
	case res.Complete:
		a.printf("the replica is complete: its log has the vault's %d records\n", res.Records)
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
	return nil
}

// showCopyProgress returns the progress callback for vaultcopy and the
// function that ends the display.
func (a *app) showCopyProgress(disabled bool) (func(vaultcopy.Progress), func()) {
	if disabled || (!a.json && !a.stderrIsTerminal()) {
		return nil, func() {}
	}
	var (
		last time.Time
		r    rate
	)
	show := func(p vaultcopy.Progress) {
		now := time.Now()
		perSec := r.add(p.Bytes)
		if now.Sub(last) < time.Second && p.Objects < p.TotalObjects {
			return
		}
		last = now
		if a.json {
			b, _ := json.Marshal(map[string]any{"type": "progress", "objects_total": p.TotalObjects, "objects_done": p.Objects,
				"bytes_total": p.TotalBytes, "bytes_done": p.Bytes, "rate": int64(perSec)})
			fmt.Fprintf(a.stderr, "%s\n", b)
			return
		}
		fmt.Fprintf(a.stderr, "\r\033[K[copy] %d/%d objects  %s/%s  %s/s  ETA %s", p.Objects, p.TotalObjects,
			bytesize.Format(p.Bytes), bytesize.Format(p.TotalBytes), bytesize.Format(int64(perSec)), eta(p.TotalBytes-p.Bytes, perSec))
	}
	stop := func() {
		if !a.json && !last.IsZero() {
			fmt.Fprintf(a.stderr, "\r\033[K")
		}
	}
	return show, stop
}
