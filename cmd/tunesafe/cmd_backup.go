package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"

	"github.com/spf13/cobra"

	"github.com/tunesafe/tunesafe/internal/backup"
	"github.com/tunesafe/tunesafe/internal/bytesize"
	"github.com/tunesafe/tunesafe/internal/library"
	"github.com/tunesafe/tunesafe/internal/locks"
	"github.com/tunesafe/tunesafe/internal/retain"
	"github.com/tunesafe/tunesafe/internal/vault"
)

type backupOptions struct {
	tags            []string
	host            string
	maxTime         time.Duration
	maxUpload       string
	checkpointEvery time.Duration
	uploaders       int
	readers         int
	noProgress      bool
	exclude         []string
	lib             libraryOptions
	skipUnchanged   bool
}

func (a *app) backupCommand() *cobra.Command {
	var o backupOptions
	c := &cobra.Command{
		Use:   "backup [PATH...]",
		Short: "Back up folders (default: the configured paths) into the vault",
		Long: `Back up folders into the vault. Unchanged files are not read again; only blobs
the vault lacks are uploaded; tags and pictures go up before audio. An
interrupted backup continues where it stopped when run again.

A folder vault that does not exist yet is created (unencrypted, unless a
passphrase is given with $TUNESAFE_PASSPHRASE or --passphrase-file).

On a vault with an S3 Object Lock policy, a completed backup then extends
the retention of what the snapshots still need, about once a day (see
'tunesafe retain'); a failure there is a warning.

Exit code 3 means the backup completed but some files were skipped (listed),
or the retention could not be extended.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.runBackup(cmd.Context(), args, o)
		},
	}
	f := c.Flags()
	f.StringSliceVar(&o.tags, "tag", nil, "add tags to the snapshot, separated by commas (repeatable)")
	f.StringVar(&o.host, "host", "", "host name recorded in the snapshot (default: this computer's)")
	f.DurationVar(&o.maxTime, "max-time", 0, "stop cleanly after this long (e.g. 2h), saving a checkpoint; the piece being sent finishes first")
	f.StringVar(&o.maxUpload, "max-upload", "", "stop cleanly after uploading this much (e.g. 500MB), saving a checkpoint")
	f.DurationVar(&o.checkpointEvery, "checkpoint-every", 10*time.Minute, "commit a restorable checkpoint this often during a long backup")
	f.IntVar(&o.uploaders, "uploaders", 32, "most uploads at once (fewer go at once on a slow line)")
	f.IntVar(&o.readers, "readers", 2, "files read at once")
	f.BoolVar(&o.noProgress, "no-progress", false, "do not draw progress on the terminal")
	f.BoolVar(&o.skipUnchanged, "skip-if-unchanged", false, "write no snapshot when nothing changed since this host's newest one")
	f.StringArrayVar(&o.exclude, "exclude", nil, excludeHelp)
	f.StringVar(&o.lib.xml, "library", "", "iTunes/Music library XML: back up every track it references, wherever it lives, its playlists and database files (\"auto\" finds the default library)")
	f.StringArrayVar(&o.lib.remap, "library-remap", nil, "rewrite library paths FROM=TO (a library moved to another disk or computer)")
	return c
}

// checkCheckpointEvery refuses a --checkpoint-every a backup or the agent
// cannot honour: each checkpoint is a snapshot, and 0 would mean none.
func checkCheckpointEvery(d time.Duration) error {
	if d < time.Minute {
		return usagef("checkpoints cost a snapshot each; every 10m to 1h suits long backups", "--checkpoint-every %s: want at least 1m", d)
	}
	return nil
}

func (a *app) runBackup(ctx context.Context, paths []string, o backupOptions) error {
	// The deletes a backup makes (superseded checkpoints, its lock) are
	// recorded as made by this command.
	ctx = a.deleteReason(ctx, "backup")
	var maxUpload int64
	if o.maxUpload != "" {
		n, err := bytesize.Parse(o.maxUpload)
		if err != nil {
			return usagef("", "--max-upload: %v", err)
		}
		maxUpload = n
	}
	if o.uploaders < 1 || o.readers < 1 {
		return usagef("", "--uploaders and --readers must be at least 1")
	}
	if err := checkCheckpointEvery(o.checkpointEvery); err != nil {
		return err
	}
	cfg, err := a.loadConfig()
	if err != nil {
		return err
	}
	if len(paths) == 0 {
		if paths, err = cfg.sourcePaths(a.configFile()); err != nil {
			return err
		}
	}
	explicitAuto := o.lib.xml == "auto"
	if o.lib.xml == "" && len(paths) == 0 {
		if o.lib.xml, err = cfg.libraryPath(a.configFile()); err != nil {
			return err
		}
	}
	if explicitAuto || (o.lib.xml == "" && len(paths) == 0) {
		o.lib.xml = discoverLibrary()
		switch {
		case o.lib.xml == "" && explicitAuto:
			return usagef("give the library XML with --library PATH", "no music library found in the default locations")
		case o.lib.xml == "":
			return usagef("for example: tunesafe backup ~/Music, or tunesafe backup --library PATH-TO-XML", "no paths to back up and no music library found (give paths as arguments, or set \"paths\" or \"library\" in %s)", a.configFile())
		}
		fmt.Fprintf(a.stderr, "tunesafe: backing up the music library %s\n", o.lib.xml)
	}
	for _, p := range paths {
		if _, err := os.Lstat(p); err != nil {
			return usagef("check the path", "cannot back up %s: %v", p, errors.Unwrap(err))
		}
	}
	if err := backup.CheckNames(paths); err != nil {
		return usagef("a snapshot holds each path under its folder's name: give the parent folder, or back up one of them at a time into its own vault", "%v", err)
	}
	if err := a.checkNearbyVault(); err != nil {
		return err
	}
	excluded, err := a.exclusions(cfg, o.exclude)
	if err != nil {
		return err
	}
	// Before the vault is opened, so that nothing is written.
	for _, p := range paths {
		if err := excluded.CheckSource(p); err != nil {
			return err
		}
	}
	s, err := a.openOrCreate(ctx)
	if err != nil {
		return err
	}
	defer s.Close()
	if err := a.checkGivenPassphrase(ctx, s, a.now(), false); err != nil {
		return err
	}

	prog := &backup.Progress{}
	opts := backup.Options{
		Paths: paths, Host: o.host, Tags: o.tags,
		Uploaders: o.uploaders, Readers: o.readers,
		CheckpointEvery: o.checkpointEvery, MaxTime: o.maxTime, MaxUpload: maxUpload, MaxUploadText: o.maxUpload,
		Progress: prog, Logger: a.logger(), Program: "tunesafe " + version,
		Exclude: excluded, SkipIfUnchanged: o.skipUnchanged,
	}
	a.configureSplitting(&opts)
	var view *library.View
	if o.lib.xml != "" {
		if view, err = a.planLibrary(o.lib, &opts); err != nil {
			return err
		}
	}
	if len(opts.Paths) == 0 && len(opts.Files) == 0 {
		return usagef("", "nothing to back up")
	}
	var res *backup.Result
	if o.skipUnchanged {
		// A pass that will find nothing to store takes no lock either.
		if res, err = a.probeUnchanged(ctx, s, opts, view); err != nil {
			return err
		}
	}
	locked := res == nil
	if locked {
		// A running prune must not delete what this backup reuses: hold
		// the shared backup lock, waiting while a prune runs.
		lock, err := locks.Wait(ctx, s.vault.Store(), locks.Backup, 15*time.Second, func(ce *locks.ConflictError) {
			fmt.Fprintf(a.stderr, "tunesafe: waiting: %v\n", ce)
		})
		if err != nil {
			return err
		}
		a.noteCleared(lock)
		defer a.releaseLock(ctx, lock)
		if err := a.prepareWrites(ctx, s, &opts, view); err != nil {
			return err
		}
		a.noteResuming(ctx, s, opts)
		runCtx, interrupted, release := a.stopGently(ctx, &opts, prog)
		stop := a.showBackupProgress(prog, o.noProgress)
		res, err = backup.Run(runCtx, s.vault, s.cache, opts)
		stop()
		release()
		if err != nil {
			return err
		}
		if interrupted.Load() && res.Partial {
			if err := a.reportBackup(res, nil); err != nil && !errors.As(err, new(*warningsError)) && !errors.As(err, new(*limitStopError)) {
				return err
			}
			return &stoppedError{}
		}
	}
	// Under S3 Object Lock, keep what the snapshots need locked. Not after
	// a backup stopped by --max-time or --max-upload: it was told to end.
	var kept *retain.Result
	if !res.Partial {
		var rerr error
		kept, rerr = a.retainAfterBackup(ctx, s, o.noProgress, !locked)
		if isInterrupt(rerr) {
			return rerr
		}
		res.Warnings = append(res.Warnings, retainWarnings(s.loc, kept, rerr)...)
		// Then the replicas the config file lists.
		ws, cerr := a.copiesAfterBackup(ctx, s, o.noProgress)
		if cerr != nil {
			return cerr
		}
		res.Warnings = append(res.Warnings, ws...)
	}
	return a.reportBackup(res, kept)
}

// openOrCreate opens the vault, creating a folder vault that does not
// exist yet.
func (a *app) openOrCreate(ctx context.Context) (*session, error) {
	loc, err := a.vaultLocation()
	if err != nil {
		return nil, err
	}
	if !isS3(loc) && !mistypedS3(loc) {
		if _, err := os.Stat(filepath.Join(loc, vault.ConfigKey)); errors.Is(err, os.ErrNotExist) {
			if empty, _ := isEmptyOrUnfinished(loc); empty {
				if err := a.mayCreateVault(loc); err != nil {
					return nil, err
				}
				encrypt := a.passphraseGiven()
				sess, err := a.createVault(ctx, loc, encrypt, 0)
				if err != nil {
					return nil, err
				}
				kind := "an unencrypted"
				if encrypt {
					kind = "an encrypted"
				}
				fmt.Fprintf(a.stderr, "tunesafe: created %s vault at %s\n", kind, loc)
				return sess, nil
			}
		}
	}
	return a.openVault(ctx)
}

// mayCreateVault refuses to create a folder vault where one is expected
// to exist already: the config file's vault, or a vault this computer has
// used at that path. Either missing means an unmounted disk or a moved
// folder, and a fresh vault there would back up everything again into the
// wrong place. A folder whose parent does not exist is a typo as often.
func (a *app) mayCreateVault(loc string) error {
	abs, err := filepath.Abs(loc)
	if err != nil {
		return err
	}
	missing := func(why string) error {
		return withHint(fmt.Errorf("%s: %w (%s)", loc, vault.ErrNoVault, why),
			"is the disk mounted? To start a new vault there, run 'tunesafe init "+loc+"'")
	}
	if a.vaultFlag == "" && os.Getenv("TUNESAFE_VAULT") == "" {
		return missing("the config file's vault")
	}
	if a.usedLocation(filepath.Clean(abs)) {
		return missing("this computer has used a vault there")
	}
	if _, err := os.Stat(filepath.Dir(abs)); err != nil {
		return usagef("create the folder that holds it, or check the path", "cannot create a vault at %s: %v", loc, errors.Unwrap(err))
	}
	return nil
}

// isEmptyOrUnfinished reports whether dir is missing, empty, or holds
// only what a vault's creation writes before its tunesafe.json (and a
// disk's housekeeping): a creation killed part way, which a new one
// takes over.
func isEmptyOrUnfinished(dir string) (bool, error) {
	des, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return true, nil
	}
	for _, de := range des {
		if !unfinishedInit(de.Name()) && !housekeeping(de.Name()) {
			return false, nil
		}
	}
	return true, err
}

// reportBackup tells what a backup did, and what the retention pass that
// followed it did, if one ran (kept).
func (a *app) reportBackup(res *backup.Result, kept *retain.Result) error {
	if a.json {
		if err := a.printJSON(struct {
			*backup.Result
			Retention *retain.Result `json:"retention,omitempty"`
		}{res, kept}); err != nil {
			return err
		}
	} else {
		saved := !res.Partial || res.SnapshotID != ""
		switch {
		case res.Unchanged:
			a.printf("nothing changed; no new snapshot (snapshot %s is current)\n", short(res.SnapshotID))
		case !saved:
			// backup.Result.SnapshotID: a checkpoint would have held
			// nothing to restore. The cache records what was uploaded.
			a.printf("no checkpoint saved: the backup stopped before it had stored a whole file")
			if res.BytesUploaded > 0 {
				a.printf("; what it uploaded is not sent again")
			}
			a.printf("\n")
		case res.Partial:
			a.printf("checkpoint %s saved\n", short(res.SnapshotID))
		default:
			a.printf("snapshot %s saved\n", short(res.SnapshotID))
		}
		if saved {
			// A stopped pass counts what its checkpoint holds; the
			// files it did not get to are on the "stopped" line.
			what := "files"
			if res.Partial {
				what = "files in the checkpoint"
			}
			a.printf("%s: %d new, %d changed, %d unchanged", what, res.FilesNew, res.FilesChanged, res.FilesUnchanged)
			if res.FilesRemoved > 0 {
				a.printf(", %d removed", res.FilesRemoved)
			}
			a.printf("; %s", plural(res.Dirs, "folder", "folders"))
			if res.Excluded > 0 {
				a.printf("; %d excluded", res.Excluded)
			}
			a.printf("\n")
		}
		if res.FilesStoredAgain > 0 {
			a.printf("stored again: %s the vault had lost or damaged part of\n", plural(res.FilesStoredAgain, "unchanged file", "unchanged files"))
		}
		a.printf("read %s, uploaded %s in %s and %s, in %s\n",
			readText(res), bytesize.Format(res.BytesUploaded), plural(res.BlobsUploaded, "blob", "blobs"), plural(res.TreesUploaded, "tree", "trees"), res.Duration.Round(time.Millisecond))
		if res.Partial {
			// An upper bound (backup.Progress.Remaining): the pieces of a
			// file not yet stored count as unsent, so the figure a next
			// interrupted run gives may be larger.
			a.printf("stopped: %s; %s (at most %s) to go: run backup again to continue\n", res.StopReason, plural(res.FilesRemaining, "file", "files"), bytesize.Format(res.BytesRemaining))
		}
		if kept != nil {
			a.printRetain(kept)
		}
		for _, w := range res.Warnings {
			fmt.Fprintf(a.stderr, "tunesafe: warning: %s: %s\n", w.Path, w.Err)
		}
	}
	if res.Partial {
		// Not complete: its own exit code, over the warnings', so that
		// a script knows to run it again.
		if n := len(res.Warnings); n > 0 {
			fmt.Fprintf(a.stderr, "tunesafe: backup stopped with %s\n", plural(n, "warning", "warnings"))
		}
		return &limitStopError{reason: res.StopReason}
	}
	if n := len(res.Warnings); n > 0 {
		fmt.Fprintf(a.stderr, "tunesafe: backup completed with %s\n", plural(n, "warning", "warnings"))
		return &warningsError{n: n}
	}
	return nil
}

// readText is what a backup read, for its summary: the bytes of the files
// it read whole, or, when it stopped before it read any (in the metadata
// phase), what it read of them ahead of their audio, which is not counted
// in the bytes read (backup.Result.BytesReadMetadata), so that "read 0 B"
// does not say that nothing was read.
func readText(res *backup.Result) string {
	if res.BytesRead == 0 && res.BytesReadMetadata > 0 {
		return bytesize.Format(res.BytesReadMetadata) + " of metadata (tags, pictures, library files) ahead of the audio"
	}
	return bytesize.Format(res.BytesRead)
}

func short(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}

// stopGently makes the first interrupt stop the backup o runs cleanly,
// as a limit does: no new piece is sent, the uploads under way finish,
// and a checkpoint is saved if the pass stored a whole file. interrupted reports whether it came. Before
// the scan has ended nothing is stored that a checkpoint would add: the
// interrupt then cancels ctx, which the backup must run under.
func (a *app) stopGently(ctx context.Context, o *backup.Options, p *backup.Progress) (_ context.Context, interrupted *atomic.Bool, release func()) {
	ctx, cancel := context.WithCancel(ctx)
	interrupted = &atomic.Bool{}
	unregister := a.interrupts.handle(func() {
		if phase := p.PhaseName(); phase == "" || phase == "scan" {
			cancel()
			return
		}
		interrupted.Store(true)
		fmt.Fprintln(a.stderr, "tunesafe: stopping: "+stoppingText(p)+"; interrupt again to stop at once")
	})
	prev := o.Stop
	o.Stop = func() (string, bool) {
		if interrupted.Load() {
			return "interrupted", true
		}
		if prev != nil {
			return prev()
		}
		return "", false
	}
	return ctx, interrupted, func() {
		unregister()
		cancel()
	}
}

// stoppingText says what a stopped backup still does. A pass that has
// stored no whole file yet saves no checkpoint unless one completes
// among the uploads under way (backup.Result.SnapshotID); what they send
// is kept all the same.
func stoppingText(p *backup.Progress) string {
	if p.FilesDone.Load() > 0 {
		return "the uploads under way finish, then a checkpoint is saved"
	}
	return "the uploads under way finish and are kept for the next backup (no file is whole yet, so there may be no checkpoint)"
}

// noteResuming says so when a backup that stopped before it finished
// stored files of these paths: this one goes on from there.
func (a *app) noteResuming(ctx context.Context, s *session, o backup.Options) {
	n, size, err := s.cache.PendingFiles(ctx, o.SourcePaths())
	if err != nil || n == 0 {
		return
	}
	fmt.Fprintf(a.stderr, "tunesafe: resuming: a backup stopped before it finished; what it stored (%s, %s) is not sent again\n",
		plural(n, "file", "files"), bytesize.Format(size))
}
