// Package restore writes the files of a snapshot back to disk, byte for
// byte: every file's SHA-256 is checked before it takes its final name, so a
// restored file is either exactly what was backed up or not there at all.
//
// Files are written to a temporary name in their folder, checked, synced
// and renamed, so an interrupted restore (killed, or cut by a power
// failure) never leaves a partial file under a final name. A file that
// already exists with the right content is left alone, so an interrupted
// restore can simply be run again. A different existing file is never
// replaced unless Overwrite is set.
//
// The temporary name is derived from the file's name and content, so that
// running an interrupted restore again resumes the files it was writing:
// of a file stored as the concatenation of its blobs, the longest prefix
// of whole blobs that hash to the file's blob IDs is kept, and only the
// rest is downloaded; the whole file's SHA-256 is checked as always.
// A file with a layout (Ogg) restarts from zero. See resume.go.
//
// Everything is written through an [os.Root] opened on the target folder,
// and every folder on the way is checked to be a real folder: a symlink
// found in the target (left by the user, or restored from an earlier
// snapshot) is never followed, so nothing is written or changed outside
// the target, nor anywhere inside it but at the snapshot's own paths.
//
// A restore holds an advisory lock on the target folder (flock, where the
// system has it) while it runs: a second restore into the same folder is
// refused with ErrBusy rather than taking the first one's temporary files
// for leftovers of an interrupted run.
//
// The vault is damaged when it has lost, or holds a changed copy of, an
// object the restore needs. A file whose blob is damaged fails alone; a
// folder whose tree is damaged (a *TreeError, see ReadTree) fails with
// everything below it, and is not created. The rest is restored, and the
// FailedError that ends the restore holds a *DamagedError for each, so
// that the command says running it again will not help. A restore with
// patterns reads only the trees of the folders they may match, so damage
// elsewhere does not touch it.
package restore

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tunesafe/tunesafe/internal/split"
	"github.com/tunesafe/tunesafe/internal/store"
	"github.com/tunesafe/tunesafe/internal/vault"
)

// Options configure a restore.
type Options struct {
	// To is the target directory; the snapshot's top-level entries (one per
	// backed-up path) are created inside it.
	To string
	// Patterns, if any, are shell patterns (path.Match) on the
	// slash-separated paths of the snapshot, as 'tunesafe ls' shows them. A
	// pattern selects a path when it matches the path or one of its parent
	// folders, so that a pattern naming a folder ("Music/Sibelius*")
	// selects everything below it; leading and trailing slashes and "./"
	// are ignored. A pattern that matches nothing is a NoMatchError,
	// returned before anything is written (unless it may match in a
	// folder whose tree cannot be read). Only the trees of folders a
	// pattern may match, or hold a match, are read.
	Patterns []string
	// Select reports whether a file, by its slash-separated path inside the
	// snapshot, is restored; nil restores everything (or what Patterns
	// select: a path is restored when both select it).
	Select func(rel string, n *vault.Node) bool
	// Overwrite replaces existing files whose content differs, and
	// symlinks or files where the snapshot has another kind of entry. A
	// folder in the way is never removed.
	Overwrite bool
	// Workers is the number of files restored at once (default 8).
	Workers    int
	Rebuilders map[string]split.Rebuilder
	Progress   *Progress
	Logger     *slog.Logger
	// FreeSpace, if set, tells the free bytes of the file system of a
	// folder (FreeSpace, or a test's): a restore whose files need more
	// than the target's is refused with a *NoSpaceError before anything
	// is written.
	FreeSpace func(dir string) (int64, error)
	// OnFile, if set, is called after each selected file is in place.
	OnFile func(rel, dst string, n *vault.Node)
}

// Progress counts a running restore.
type Progress struct {
	FilesTotal atomic.Int64
	BytesTotal atomic.Int64
	FilesDone  atomic.Int64
	BytesDone  atomic.Int64
}

// Result summarises a restore.
type Result struct {
	Files     int64 `json:"files"`
	Restored  int64 `json:"files_restored"`
	Unchanged int64 `json:"files_already_correct"`
	// Dirs counts the folders in place: created, or found already.
	Dirs     int64 `json:"dirs"`
	Symlinks int64 `json:"symlinks"`
	Bytes    int64 `json:"bytes"`
	// FilesSelected and BytesSelected are what the selection holds, the
	// files in place at the end or not.
	FilesSelected int64 `json:"files_selected"`
	BytesSelected int64 `json:"bytes_selected"`
	// Failed counts the entries not restored, listed in Failures.
	Failed int64 `json:"failed"`
	// BytesRestored counts the bytes of the files written: Bytes less
	// the files already correct.
	BytesRestored int64         `json:"bytes_restored"`
	Duration      time.Duration `json:"duration_ns"`
	Failures      []Failure     `json:"failures,omitempty"`
	// AttrsNotSet counts entries restored whole whose permissions or
	// modification time could not be set (FAT and exFAT keep no
	// permissions; another user's folder refuses both).
	AttrsNotSet int64 `json:"attributes_not_set,omitempty"`
	// BytesResumed counts the bytes of BytesRestored that were not
	// downloaded: found in the partial files an interrupted restore left.
	BytesResumed int64 `json:"bytes_resumed"`
}

// Failure is a file, folder or symlink that could not be restored.
type Failure struct {
	Path string `json:"path"`
	Err  string `json:"error"`
}

// ErrExists reports an existing different file (use Overwrite).
var ErrExists = errors.New("exists with different content (use --overwrite to replace it)")

// FailedError is returned when some entries could not be restored and
// the rest were. It unwraps to the errors of the failures, so that a
// damaged object of the vault is still a vault.CorruptError.
type FailedError struct {
	Failures []Failure
	errs     []error
}

func (e *FailedError) Error() string {
	if len(e.Failures) == 1 {
		return fmt.Sprintf("%s: %s", e.Failures[0].Path, e.Failures[0].Err)
	}
	return fmt.Sprintf("%d files could not be restored; first: %s: %s", len(e.Failures), e.Failures[0].Path, e.Failures[0].Err)
}

func (e *FailedError) Unwrap() []error { return e.errs }

// DamagedError reports an object of the vault that the restore needs and
// that is missing (lost by the provider, or deleted behind Tunesafe's
// back) or damaged (a *vault.CorruptError underneath). Unlike a network
// failure, restoring again does not help: the vault no longer holds what
// the snapshot names.
type DamagedError struct {
	Lost bool // missing, rather than damaged
	Err  error
}

func (e *DamagedError) Error() string {
	if e.Lost {
		return e.Err.Error() + " (missing from the vault)"
	}
	return e.Err.Error()
}

func (e *DamagedError) Unwrap() error { return e.Err }

// fromVault classifies an error of reading the vault: an object that is
// missing or damaged becomes a *DamagedError, the rest (a network
// failure, a cancelled restore) stays as it is.
func fromVault(err error) error {
	var ce *vault.CorruptError
	var de *DamagedError
	switch {
	case err == nil, errors.As(err, &de):
		return err
	case errors.Is(err, fs.ErrNotExist):
		return &DamagedError{Lost: true, Err: err}
	case errors.As(err, &ce), store.KindOf(err) == store.KindUnreadable:
		return &DamagedError{Err: err}
	}
	return err
}

// entry is one file, folder or symlink to restore.
type entry struct {
	rel  string // slash-separated path in the snapshot, for messages
	lp   string // local path below the target
	node vault.Node
	// ancestor marks a folder that was not backed up, only on the way to
	// files that were (ancestors.go); found is the mode mkdir found it
	// with, when it had to change it, and 0 otherwise.
	ancestor bool
	found    fs.FileMode
}

// Run restores snapshot s from v.
func Run(ctx context.Context, v *vault.Vault, s *vault.Snapshot, o Options) (*Result, error) {
	return run(ctx, v, s, o, maxShared)
}

// run is Run keeping at most sharedMax bytes of shared blobs (sharedBlobs).
func run(ctx context.Context, v *vault.Vault, s *vault.Snapshot, o Options, sharedMax int64) (*Result, error) {
	start := time.Now()
	if o.To == "" {
		return nil, errors.New("no target directory")
	}
	if o.Workers <= 0 {
		o.Workers = 8
	}
	if o.Progress == nil {
		o.Progress = &Progress{}
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	sel, err := newSelection(o)
	if err != nil {
		return nil, err
	}
	plan, err := walk(ctx, v, s.Tree, sel, rootNames(s.Paths))
	if err != nil {
		return nil, err
	}
	if err := sel.check(); err != nil {
		return nil, err
	}
	if plan.empty() && sel.any() && len(plan.unreadable) == 0 {
		return nil, errors.New("nothing in the snapshot matches the selection")
	}
	for _, f := range plan.files {
		o.Progress.FilesTotal.Add(1)
		o.Progress.BytesTotal.Add(f.node.Size)
	}

	res := &Result{FilesSelected: int64(len(plan.files))}
	for _, f := range plan.files {
		res.BytesSelected += f.node.Size
	}
	defer func() { res.Duration, res.Failed = time.Since(start), int64(len(res.Failures)) }()
	var mu sync.Mutex
	var errs []error
	failWith := func(rel, msg string, err error) {
		mu.Lock()
		res.Failures = append(res.Failures, Failure{Path: rel, Err: msg})
		errs = append(errs, err)
		mu.Unlock()
		o.Logger.Debug("restore failed", "path", rel, "err", err) // reported in Result.Failures
	}
	fail := func(rel string, err error) { failWith(rel, err.Error(), err) }
	for _, te := range plan.unreadable {
		failWith(te.Path, te.Reason(), te)
	}
	if plan.empty() && len(plan.unreadable) > 0 {
		return res, failed(res, errs) // nothing to write: the target is not touched
	}
	if o.FreeSpace != nil {
		if err := checkSpace(o.To, plan.spaceNeeded(o.To), o.FreeSpace); err != nil {
			return nil, err // before anything is written
		}
	}

	tg, err := openTarget(o.To, o.Overwrite)
	if err != nil {
		return nil, err
	}
	defer tg.close()
	defer func() { res.AttrsNotSet = tg.attrsNotSet.Load() }()
	defer func() { res.BytesResumed = tg.resumed.Load() }()

	// Folders first, parents before children, each made a real folder
	// the owner can write to; one that cannot be (something in the way)
	// fails with everything below it.
	slices.SortStableFunc(plan.dirs, func(a, b entry) int { return depth(a.lp) - depth(b.lp) })
	blocked := map[string]bool{}
	tg.partials = plan.partials // not leftovers (resume.go)
	tg.removeLeftovers(".")
	var dirs []entry
	for _, d := range plan.dirs {
		if under(blocked, d.lp) {
			continue
		}
		found, err := tg.mkdir(d.lp, d.ancestor)
		if err != nil {
			if te := tg.fatal(d.rel, err); te != nil {
				return res, te
			}
			fail(d.rel, err)
			blocked[d.lp] = true
			continue
		}
		tg.removeLeftovers(d.lp)
		d.found = found
		dirs = append(dirs, d)
		res.Dirs++
	}

	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var stop *TargetError // the error that stopped the restore
	var stopOnce sync.Once
	sh := newSharedBlobs(plan.files, sharedMax)
	jobs := make(chan entry)
	var wg sync.WaitGroup
	for range o.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				restored, err := restoreFile(ctx, v, sh, tg, o, j)
				if err != nil {
					if te := tg.fatal(j.rel, err); te != nil {
						stopOnce.Do(func() { stop = te; cancel(te) })
						continue
					}
					if ctx.Err() != nil {
						continue
					}
					fail(j.rel, err)
					continue
				}
				mu.Lock()
				res.Files++
				res.Bytes += j.node.Size
				if restored {
					res.Restored++
					res.BytesRestored += j.node.Size
				} else {
					res.Unchanged++
				}
				mu.Unlock()
				o.Progress.FilesDone.Add(1)
				if o.OnFile != nil {
					o.OnFile(j.rel, filepath.Join(o.To, j.lp), &j.node)
				}
			}
		}()
	}
send:
	for _, j := range plan.files {
		if under(blocked, j.lp) {
			continue
		}
		select {
		case jobs <- j:
		case <-ctx.Done():
			break send
		}
	}
	close(jobs)
	wg.Wait()
	if stop != nil {
		return res, stop
	}
	if err := ctx.Err(); err != nil {
		return res, err
	}
	for _, l := range plan.links {
		if under(blocked, l.lp) {
			continue
		}
		if err := tg.symlink(l.lp, &l.node); err != nil {
			if te := tg.fatal(l.rel, err); te != nil {
				return res, te
			}
			fail(l.rel, err)
			continue
		}
		res.Symlinks++
	}
	// Modes and times of folders last, children before parents, so that
	// nothing written inside a folder changes its mtime afterwards and a
	// read-only folder gets its children first. A folder on the way only
	// keeps the mode and time it was made or found with (ancestors.go).
	for _, d := range slices.Backward(dirs) {
		if d.ancestor {
			tg.finishAncestor(d.lp, d.found)
		} else {
			tg.finish(d.lp, &d.node)
		}
	}
	return res, failed(res, errs)
}

// failed returns the FailedError of res's failures, sorted by path, or
// nil when there are none.
func failed(res *Result, errs []error) error {
	if len(res.Failures) == 0 {
		return nil
	}
	slices.SortFunc(res.Failures, func(a, b Failure) int { return strings.Compare(a.Path, b.Path) })
	return &FailedError{Failures: res.Failures, errs: errs}
}

// plan is what a restore writes: selected files and symlinks, and the
// folders that hold them or are selected themselves; and the folders whose
// trees could not be read, which it cannot write.
type plan struct {
	files, links, dirs []entry
	unreadable         []*TreeError
	partials           map[string]bool // see notePartial
}

func (p *plan) empty() bool { return len(p.files)+len(p.links)+len(p.dirs) == 0 }

// walk lists the selected entries of the tree id and below. It reads the
// tree of a folder only when something in it may be selected, so that a
// pattern needs no more of the vault than the folders it may match. A
// folder whose tree the vault lost or holds damaged is noted in
// p.unreadable and left out, with everything below it; that of the top
// folder is the error, as nothing could be restored. A folder of the root
// tree not named in roots, and every folder below it, is an ancestor
// (ancestors.go).
func walk(ctx context.Context, v *vault.Vault, id vault.ID, sel *selection, roots map[string]bool) (*plan, error) {
	p := &plan{}
	var visit func(t *vault.Tree, rel, lp string, ancestor bool) (bool, error)
	visit = func(t *vault.Tree, rel, lp string, ancestor bool) (bool, error) {
		found := false
		for _, n := range t.Nodes {
			name := n.FileName()
			// The format allows no separator in a name; this system's
			// separators and volume names must not sneak in either.
			if !filepath.IsLocal(name) || strings.ContainsRune(name, filepath.Separator) || filepath.Base(name) != name {
				return false, fmt.Errorf("tree of %q: entry %q cannot be a name on this system", rel, name)
			}
			e := entry{rel: path.Join(rel, name), lp: filepath.Join(lp, name), node: n}
			switch n.Type {
			case vault.TypeDir:
				e.ancestor = ancestor || (rel == "" && !roots[name])
				if !sel.below(e.rel) {
					continue // nothing in it can be selected
				}
				st, err := p.subtree(ctx, v, *n.Subtree, e.rel, sel)
				if err != nil {
					return false, err
				}
				if st == nil {
					continue // unreadable: not created, as its content is unknown
				}
				sub, err := visit(st, e.rel, e.lp, e.ancestor)
				if err != nil {
					return false, err
				}
				if sub || sel.match(e.rel, &n) {
					p.dirs = append(p.dirs, e)
					found = true
				}
			case vault.TypeFile:
				p.notePartial(e)
				if sel.match(e.rel, &n) {
					p.files = append(p.files, e)
					found = true
				}
			case vault.TypeSymlink:
				if sel.match(e.rel, &n) {
					p.links = append(p.links, e)
					found = true
				}
			}
		}
		return found, nil
	}
	t, err := ReadTree(ctx, v, id, "")
	if err != nil {
		return nil, readErr("", err)
	}
	if _, err := visit(t, "", "", false); err != nil {
		return nil, err
	}
	return p, nil
}

// subtree reads the tree of the folder rel. One the vault lost or holds
// damaged is noted, and nil returned, so that the walk goes on without it.
func (p *plan) subtree(ctx context.Context, v *vault.Vault, id vault.ID, rel string, sel *selection) (*vault.Tree, error) {
	t, err := ReadTree(ctx, v, id, rel)
	var te *TreeError
	if errors.As(err, &te) {
		p.unreadable = append(p.unreadable, te)
		sel.unreadable(rel)
		return nil, nil
	}
	return t, readErr(rel, err)
}

// readErr says which folder's tree could not be read, when the error does
// not already.
func readErr(rel string, err error) error {
	var te *TreeError
	if err == nil || errors.As(err, &te) {
		return err
	}
	return fmt.Errorf("read tree of %q: %w", rel, err)
}

func depth(lp string) int { return strings.Count(lp, string(filepath.Separator)) }

// under reports whether a folder above lp is in blocked.
func under(blocked map[string]bool, lp string) bool {
	if len(blocked) == 0 {
		return false
	}
	for d := filepath.Dir(lp); d != "." && d != string(filepath.Separator); d = filepath.Dir(d) {
		if blocked[d] {
			return true
		}
	}
	return false
}
