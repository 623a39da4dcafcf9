// Package backup is the engine that turns folders into a snapshot in a vault.
//
// A pass runs in four steps:
//
//  1. Scan: walk the source paths and stat everything. Files whose size,
//     modification and change times match the local cache reuse their cached
//     tree node without being read.
//  2. Metadata first: for each changed file, upload only the regions the
//     splitter marks as tags, pictures or library database. An interrupted
//     first backup has then saved the irreplaceable human work before bulk
//     audio.
//  3. Data: read each changed file once, split it into regions, chunk each
//     region by content, and upload the blobs the vault lacks, in parallel.
//     A file is recorded in the cache only after all its blobs are stored,
//     so a kill at any instant loses at most the blobs in flight.
//  4. Trees and snapshot, bottom-up; unchanged directories produce identical
//     trees and cost nothing.
//
// While a long pass runs, a checkpoint (a partial snapshot of what is
// already stored) is committed periodically and when a limit stops the pass,
// once it would hold a file: one with none would have nothing to restore.
package backup

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tunesafe/tunesafe/internal/chunker"
	"github.com/tunesafe/tunesafe/internal/exclude"
	"github.com/tunesafe/tunesafe/internal/split"
	"github.com/tunesafe/tunesafe/internal/state"
	"github.com/tunesafe/tunesafe/internal/vault"
)

// Options configure a backup pass.
type Options struct {
	Paths []string
	// Files are single files to include as well, for example tracks a
	// music library keeps outside its folder; see SnapshotPath.
	Files []string
	Host  string
	Tags  []string
	// Splitter describes files as regions; nil means plain chunking.
	Splitter split.Splitter
	// Exclude leaves paths out: the user's patterns, and the program's own
	// files (the vault folder, the local state), which a source path
	// must not be or lie inside. nil leaves nothing out.
	Exclude *exclude.Set
	// Rebuilders verify plans whose Layout is not "", by layout name.
	Rebuilders map[string]split.Rebuilder
	// Uploaders is the most uploads at once (default 32; the upload window
	// bounds their bytes, see window.go); Readers the number of files read
	// at once (default 2).
	Uploaders, Readers int
	// CheckpointEvery commits a partial snapshot this often (0: 10 min;
	// negative: never).
	CheckpointEvery time.Duration
	// MaxTime and MaxUpload stop the pass cleanly with a checkpoint once
	// reached (0: no limit). MaxUpload counts the blobs queued for upload,
	// so the pass sends at most one blob (about 1 MiB) more than it, and
	// the checkpoint's trees and snapshot.
	MaxTime   time.Duration
	MaxUpload int64
	// MaxUploadText is MaxUpload as the user wrote it ("2MB"), for
	// Result.StopReason; "" gives it in bytes.
	MaxUploadText string
	// Stop, if not nil, is asked between chunks whether to stop cleanly
	// now, as at a limit (the agent's window closed, the laptop went on
	// battery).
	Stop func() (reason string, stop bool)
	// Progress, if not nil, is updated as the pass runs.
	Progress *Progress
	// Extra, if not nil, is called before the snapshot is committed and may
	// add to it (for example the library view).
	Extra func(ctx context.Context, s *vault.Snapshot) error
	// OnCommit, if not nil, is called after each snapshot is stored.
	OnCommit func(ctx context.Context, id vault.ID, s *vault.Snapshot) error
	Logger   *slog.Logger
	// Program names the writer in the snapshot.
	Program string
	// SkipIfUnchanged writes no snapshot when a complete pass finds
	// nothing changed: its root tree, paths, tags and library view are
	// those of the newest snapshot of the same host, itself complete.
	// Result.Unchanged then says so, and Result.SnapshotID names that
	// snapshot. An unattended backup that rescans every hour would
	// otherwise add a snapshot an hour for an unchanged library.
	SkipIfUnchanged bool
}

// Warning is a problem with one path that did not stop the pass.
type Warning struct {
	Path string `json:"path"`
	Err  string `json:"error"`
}

// Result summarises a pass.
type Result struct {
	// SnapshotID names the snapshot the pass saved, or its checkpoint;
	// "" when it stopped (Partial) with no file to hold in one (a first
	// backup stopped before its first file): such a checkpoint would
	// have nothing to restore, and none is saved.
	SnapshotID string `json:"snapshot_id"`
	Partial    bool   `json:"partial"`
	// Unchanged: nothing changed since the snapshot SnapshotID, and no new
	// snapshot was written (Options.SkipIfUnchanged).
	Unchanged  bool   `json:"unchanged,omitempty"`
	StopReason string `json:"stop_reason,omitempty"`
	// FilesNew, FilesChanged and FilesUnchanged count the files of the
	// snapshot against this computer's last complete backup into the
	// vault, as its cache records it: a file stored by a pass that was
	// interrupted or stopped at a limit still counts as new or changed,
	// though it is not read again. A pass that stopped (Partial) counts
	// the files its checkpoint holds, and none when it saved no
	// checkpoint (SnapshotID ""); FilesRemaining counts those it left.
	FilesNew       int64 `json:"files_new"`
	FilesChanged   int64 `json:"files_changed"`
	FilesUnchanged int64 `json:"files_unchanged"`
	// FilesStoredAgain counts the files, among those above, that were as
	// this computer's cache recorded them but were read and stored again,
	// because the vault had lost or damaged part of what stored them.
	FilesStoredAgain int64 `json:"files_stored_again"`
	// FilesRemoved counts the files of this computer's last complete
	// backup, as its cache records it, that the paths no longer hold (or
	// that are now excluded).
	FilesRemoved int64 `json:"files_removed"`
	// Dirs counts the folders of the snapshot (of a stopped pass: of its
	// checkpoint).
	Dirs       int64 `json:"dirs"`
	Excluded   int64 `json:"excluded"` // files and folders left out by Options.Exclude
	BytesTotal int64 `json:"bytes_total"`
	BytesRead  int64 `json:"bytes_read"`
	// BytesReadMetadata is what the metadata phase read ahead of the
	// audio (Progress.BytesReadMetadata), read again within BytesRead
	// by the data phase for the files it got to.
	BytesReadMetadata int64         `json:"bytes_read_metadata"`
	BytesUploaded     int64         `json:"bytes_uploaded"`
	BlobsUploaded     int64         `json:"blobs_uploaded"`
	TreesUploaded     int64         `json:"trees_uploaded"`
	FilesRemaining    int64         `json:"files_remaining"`
	BytesRemaining    int64         `json:"bytes_remaining"`
	Duration          time.Duration `json:"duration_ns"`
	Warnings          []Warning     `json:"warnings"` // never nil, so an empty list in JSON
}

// ErrLimit is returned inside the engine when MaxTime or MaxUpload is hit.
var errLimit = errors.New("limit reached")

// Run performs one backup pass of o.Paths into v, using cache c.
func Run(ctx context.Context, v *vault.Vault, c *state.Cache, o Options) (*Result, error) {
	return runPass(ctx, v, c, o, false)
}

// errWouldStore stops a probe at the first object it would store.
var errWouldStore = errors.New("the pass has something to store")

// Probe runs the part of a pass that decides whether it has anything to
// store, and stops before the first write to the vault: it scans the paths
// against the cache and builds the snapshot's trees from what the cache
// records as stored. When nothing differs and the snapshot would be the
// newest of its host (as Options.SkipIfUnchanged judges), it returns the
// Result of a pass that stored nothing, with Unchanged set, and true.
// Otherwise it returns false: the caller runs the pass (Run) under the
// vault's lock, from its start, since a prune may change what the vault
// holds in between.
//
// Probe reads the vault (its prune records and snapshots) and writes only
// to the cache, so it needs no lock. The agent probes before every pass:
// an hourly rescan of an unchanged library then costs no lock, no log
// record and no object in the vault.
func Probe(ctx context.Context, v *vault.Vault, c *state.Cache, o Options) (*Result, bool, error) {
	o.SkipIfUnchanged = true
	o.CheckpointEvery = -1
	res, err := runPass(ctx, v, c, o, true)
	if errors.Is(err, errWouldStore) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	return res, res.Unchanged, nil
}

// runPass is Run, or with probe Probe's run, which stops with errWouldStore
// where Run would first write to the vault.
func runPass(ctx context.Context, v *vault.Vault, c *state.Cache, o Options, probe bool) (*Result, error) {
	if len(o.Paths) == 0 && len(o.Files) == 0 {
		return nil, errors.New("nothing to back up: give at least one path")
	}
	if o.Uploaders <= 0 {
		o.Uploaders = 32
	}
	if o.Readers <= 0 {
		o.Readers = 2
	}
	if o.CheckpointEvery == 0 {
		o.CheckpointEvery = 10 * time.Minute
	}
	if o.Progress == nil {
		o.Progress = &Progress{}
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	start := time.Now()
	r := &run{v: v, c: c, o: o, p: o.Progress, res: &Result{Warnings: []Warning{}}, start: start, chunkers: make(chan *chunker.Chunker, o.Readers), plans: newPlanCache(planBudget), probe: probe}
	res, err := r.pass(ctx)
	if !probe {
		// However the pass ended: a cancelled pass is the one whose
		// count nothing else records (no checkpoint, no status file).
		if rerr := r.recordPass(context.WithoutCancel(ctx), err == nil); err == nil && rerr != nil {
			err = rerr
		}
	}
	return res, err
}

// pass runs the pass r was made for (runPass).
func (r *run) pass(ctx context.Context) (*Result, error) {
	c := r.c
	err := r.ensureKnown(ctx)
	if err != nil {
		return nil, err
	}
	r.p.Phase.Store("scan")
	if r.dirCache, err = c.Dirs(ctx); err != nil {
		return nil, fmt.Errorf("read cache: %w", err)
	}
	roots, err := r.scan(ctx)
	if err != nil {
		return nil, err
	}
	r.roots = roots
	unstored := r.remaining
	r.p.unstored.Store(&unstored)

	if r.probe {
		changed := false
		walkFiles(r.roots, func(*entry) { changed = true })
		if changed {
			return nil, errWouldStore
		}
	}
	up := newUploader(ctx, r)
	r.up = up
	workErr := r.processAll(up.ctx)
	if errors.Is(workErr, errLimit) {
		r.res.Partial = true
		workErr = nil
		// The phase is "finishing" since the limit was reached
		// (limitReached). The checkpoint's trees wait for the uploads
		// under way in the window anyway.
		if err := up.bytes.idle(up.ctx); err != nil {
			workErr = err
		}
	}
	var id vault.ID
	saved := false
	// A stopped pass whose checkpoint would hold no file saves none:
	// there would be nothing to restore from it, and on a slow line the
	// trees of a large library's folders would take long to send. What
	// it uploaded is in the cache all the same, and is not sent again.
	if workErr == nil && (!r.res.Partial || r.holdsFiles()) {
		r.p.Phase.Store("trees")
		id, workErr = r.commit(ctx, r.res.Partial)
		saved = workErr == nil
	}
	if upErr := up.close(); workErr == nil {
		workErr = upErr
	}
	// A complete pass, once its records are committed (up.close), makes
	// them the reference the next pass counts new and changed files
	// against. A probe stores nothing, so settles nothing.
	if workErr == nil && !r.res.Partial && !r.probe {
		if err := c.SettlePending(ctx, r.o.SourcePaths()); err != nil {
			workErr = fmt.Errorf("write cache: %w", err)
		} else if err := c.ForgetRemoved(ctx, r.removedFiles, r.removedDirs); err != nil {
			workErr = err
		}
	}
	r.res.Duration = time.Since(r.start)
	r.res.TreesUploaded = r.treesUploaded.Load()
	if workErr != nil {
		return r.res, workErr
	}
	if saved {
		r.res.SnapshotID = id.String()
	}
	r.res.BytesRead = r.p.BytesRead.Load()
	r.res.BytesReadMetadata = r.p.BytesReadMetadata.Load()
	r.res.BytesUploaded = r.p.BytesUploaded.Load()
	r.res.BlobsUploaded = r.p.BlobsUploaded.Load()
	if r.res.Partial {
		r.countHeld(saved)
		r.res.FilesRemaining, r.res.BytesRemaining, _ = r.p.Remaining()
	}
	// A complete pass leaves nothing to go: the files it could not read
	// are its warnings, not work another pass would finish.
	return r.res, nil
}

// absPaths returns paths made absolute, as snapshots record them.
func absPaths(paths []string) []string {
	var out []string
	for _, p := range paths {
		if abs, err := filepath.Abs(p); err == nil {
			out = append(out, abs)
		}
	}
	return out
}

// run is the state of one pass.
type run struct {
	v   *vault.Vault
	c   *state.Cache
	o   Options
	p   *Progress
	res *Result
	// queued counts the bytes of the blobs handed to the uploader, sent
	// or not: MaxUpload is held against it, so that the pass stops
	// queueing at the limit rather than once the uploads in flight (up to
	// the window, 16 MiB) have gone past it.
	queued atomic.Int64
	start  time.Time
	roots  []*entry
	up     *uploader
	warnM  sync.Mutex
	// commitM serialises checkpoints and the final commit.
	commitM sync.Mutex
	// stopOnce sets Result.StopReason to the first limit reached.
	stopOnce sync.Once
	// checkpoint is the partial snapshot this pass wrote last, if any;
	// held counts what the snapshot it wrote last holds.
	checkpoint *vault.ID
	held       vault.Stats
	// filesStored counts the files this pass stored.
	filesStored   atomic.Int64
	treesUploaded atomic.Int64
	// verifyCached makes the scan check that every blob of a cached file
	// node is still stored (after a prune, or with a new cache).
	verifyCached bool
	// chunkers holds idle chunkers: each keeps a buffer of twice the
	// maximum chunk size once it has cut a large file, too large to
	// allocate per file or to let the collector drop (as a sync.Pool would).
	chunkers chan *chunker.Chunker
	// plans keeps the metadata phase's costly plans for the data phase.
	plans *planCache
	// finishing counts files read whose uploads are still running.
	finishing sync.WaitGroup
	dirCache  map[string]state.DirEntry
	// probe stops the pass with errWouldStore where it would first write
	// to the vault (Probe).
	probe bool
	// known holds the IDs of the objects the vault is known to hold when
	// the pass starts; the uploader adds to it under its lock.
	known map[vault.ID]struct{}
	// pendingNew and pendingChanged count the files of FilesNew and
	// FilesChanged whose cached nodes are reused: stored by a pass not
	// yet complete.
	pendingNew, pendingChanged int64
	// removedFiles and removedDirs are the cache entries of what the scan
	// found gone, forgotten once the pass completes (noteRemoved);
	// dirKids indexes dirCache by parent folder.
	removedFiles []state.FileKey
	removedDirs  []string
	dirKids      map[string][]string
}

// SourcePaths returns the pass's source paths and single files, made
// absolute: the part of the cache a complete pass settles, and where the
// files an unfinished pass stored lie (state.Cache.PendingFiles).
func (o Options) SourcePaths() []string {
	var out []string
	for _, p := range append(slices.Clip(o.Paths), o.Files...) {
		if abs, err := filepath.Abs(p); err == nil {
			out = append(out, abs)
		}
	}
	return out
}

// exclude leaves path out, as Options.Exclude says (why).
func (r *run) exclude(path, why string) {
	r.res.Excluded++
	r.o.Logger.Debug("excluded", "path", path, "why", why)
}

func (r *run) warn(path string, err error) {
	r.p.Warnings.Add(1)
	r.warnM.Lock()
	r.res.Warnings = append(r.res.Warnings, Warning{Path: path, Err: err.Error()})
	r.warnM.Unlock()
	// Info, not Warn: the warning is the caller's to report, from
	// Result.Warnings (the CLI prints each once; the agent logs them).
	r.o.Logger.Info("skipped", "path", path, "err", err)
}

// skipFile reports a file the scan counted new or changed that could not
// be read: it is not stored, so it is neither (nor, once the pass is
// complete, remaining: the warning names it, and the next pass tries it
// again).
func (r *run) skipFile(e *entry, err error) {
	r.warn(e.path, err)
	r.warnM.Lock()
	defer r.warnM.Unlock()
	r.uncountLocked(e)
}

// limitReached reports whether Options.Stop, MaxTime or MaxUpload stops
// the pass. The first reason found is the pass's StopReason.
func (r *run) limitReached() bool {
	reason := r.stopReason()
	if reason == "" {
		return false
	}
	r.stopOnce.Do(func() {
		r.res.StopReason = reason
		r.p.stopping.Store(true)
		// The uploads already sent on their way finish (on a slow line,
		// one blob): cancelling them would waste what they sent. The
		// phase says what the line is doing meanwhile.
		r.p.Phase.Store("finishing")
	})
	return true
}

// stopReason says why the pass must stop now, or "".
func (r *run) stopReason() string {
	if r.o.Stop != nil {
		if reason, stop := r.o.Stop(); stop {
			return reason
		}
	}
	if r.o.MaxTime > 0 && time.Since(r.start) >= r.o.MaxTime {
		return fmt.Sprintf("--max-time %s reached", r.o.MaxTime)
	}
	if r.o.MaxUpload > 0 && r.queued.Load() >= r.o.MaxUpload {
		return fmt.Sprintf("--max-upload %s reached", r.maxUploadText())
	}
	return ""
}

// limitErr is limitReached as an error: errLimit, or nil.
func (r *run) limitErr() error {
	if r.limitReached() {
		return errLimit
	}
	return nil
}

// maxUploadText is MaxUpload as the user wrote it, else in bytes.
func (r *run) maxUploadText() string {
	if r.o.MaxUploadText != "" {
		return r.o.MaxUploadText
	}
	return fmt.Sprintf("%d bytes", r.o.MaxUpload)
}

// reserve counts n bytes as queued for upload, unless MaxUpload is
// already reached and the object is not one that must go (a tree, a list
// completing a file): then it returns false and the object is not sent.
// Readers reserve one at a time, so the pass queues at most one blob
// beyond MaxUpload, whatever the number of readers.
func (r *run) reserve(n int64, must bool) bool {
	for {
		cur := r.queued.Load()
		if !must && r.o.MaxUpload > 0 && cur >= r.o.MaxUpload {
			return false
		}
		if r.queued.CompareAndSwap(cur, cur+n) {
			return true
		}
	}
}
