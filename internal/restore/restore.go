// Package restore writes the files of a snapshot back to disk, byte for
// byte: every file's SHA-256 is checked before it takes its final name, so a
// restored file is either exactly what was backed up or not there at all.
//
// Files are written to a temporary name in the target directory, checked and
// renamed; they are not synced one by one, because a restore interrupted by
// a power cut is simply run again and re-checks every file. A file that already exists with the right content is left alone,
// so an interrupted restore can simply be run again. A different existing
// file is never replaced unless Overwrite is set.
package restore

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tunesafe/tunesafe/internal/split"
	"github.com/tunesafe/tunesafe/internal/vault"
)

// Options configure a restore.
type Options struct {
	// To is the target directory; the snapshot's top-level entries (one per
	// backed-up path) are created inside it.
	To string
	// Select reports whether a file, by its slash-separated path inside the
	// snapshot, is restored; nil restores everything.
	Select    func(rel string, n *vault.Node) bool
	Overwrite bool
	// Workers is the number of files restored at once (default 8).
	Workers    int
	Rebuilders map[string]split.Rebuilder
	Progress   *Progress
	Logger     *slog.Logger
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
	Files     int64         `json:"files"`
	Restored  int64         `json:"files_restored"`
	Unchanged int64         `json:"files_already_correct"`
	Dirs      int64         `json:"dirs"`
	Symlinks  int64         `json:"symlinks"`
	Bytes     int64         `json:"bytes"`
	Duration  time.Duration `json:"duration_ns"`
	Failures  []Failure     `json:"failures,omitempty"`
}

// Failure is a file that could not be restored.
type Failure struct {
	Path string `json:"path"`
	Err  string `json:"error"`
}

// ErrExists reports an existing different file (use Overwrite).
var ErrExists = errors.New("exists with different content (use --overwrite to replace it)")

// FailedError is returned when some files could not be restored.
type FailedError struct{ Failures []Failure }

func (e *FailedError) Error() string {
	if len(e.Failures) == 1 {
		return fmt.Sprintf("%s: %s", e.Failures[0].Path, e.Failures[0].Err)
	}
	return fmt.Sprintf("%d files could not be restored; first: %s: %s", len(e.Failures), e.Failures[0].Path, e.Failures[0].Err)
}

type fileJob struct {
	rel, dst string
	node     vault.Node
}

type dirJob struct {
	dst  string
	node vault.Node
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
	res := &Result{}
	var files []fileJob
	var dirs []dirJob
	var links []fileJob
	var walk func(id vault.ID, rel, dst string) (bool, error)
	walk = func(id vault.ID, rel, dst string) (bool, error) {
		t, err := v.GetTree(ctx, id)
		if err != nil {
			return false, fmt.Errorf("read tree of %q: %w", rel, err)
		}
		any := false
		for _, n := range t.Nodes {
			name := n.FileName()
			r := path.Join(rel, name)
			d := filepath.Join(dst, name)
			switch n.Type {
			case vault.TypeDir:
				sub, err := walk(*n.Subtree, r, d)
				if err != nil {
					return false, err
				}
				if sub || selected(o, r, &n) {
					dirs = append(dirs, dirJob{dst: d, node: n})
					any = true
				}
			case vault.TypeFile:
				if selected(o, r, &n) {
					files = append(files, fileJob{rel: r, dst: d, node: n})
					o.Progress.FilesTotal.Add(1)
					o.Progress.BytesTotal.Add(n.Size)
					any = true
				}
			case vault.TypeSymlink:
				if selected(o, r, &n) {
					links = append(links, fileJob{rel: r, dst: d, node: n})
					any = true
				}
			}
		}
		return any, nil
	}
	if _, err := walk(s.Tree, "", o.To); err != nil {
		return nil, err
	}
	if len(files)+len(links)+len(dirs) == 0 && o.Select != nil {
		return nil, errors.New("nothing in the snapshot matches the selection")
	}
	if err := os.MkdirAll(o.To, 0o755); err != nil {
		return nil, err
	}
	removeLeftovers(o.To)
	for _, d := range dirs {
		if err := os.MkdirAll(d.dst, 0o700); err != nil {
			return nil, err
		}
		removeLeftovers(d.dst)
	}
	var mu sync.Mutex
	fail := func(rel string, err error) {
		mu.Lock()
		res.Failures = append(res.Failures, Failure{Path: rel, Err: err.Error()})
		mu.Unlock()
		o.Logger.Error("restore failed", "path", rel, "err", err)
	}
	sh := newSharedBlobs(files, sharedMax)
	jobs := make(chan fileJob)
	var wg sync.WaitGroup
	for range o.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				restored, err := restoreFile(ctx, v, sh, o, j)
				if err != nil {
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
				} else {
					res.Unchanged++
				}
				mu.Unlock()
				o.Progress.FilesDone.Add(1)
				if o.OnFile != nil {
					o.OnFile(j.rel, j.dst, &j.node)
				}
			}
		}()
	}
	for _, j := range files {
		select {
		case jobs <- j:
		case <-ctx.Done():
		}
	}
	close(jobs)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return res, err
	}
	for _, l := range links {
		if err := restoreLink(l, o.Overwrite); err != nil {
			fail(l.rel, err)
			continue
		}
		res.Symlinks++
	}
	// Directories last, deepest first, so their mtimes stick.
	sort.Slice(dirs, func(i, j int) bool {
		return strings.Count(dirs[i].dst, string(filepath.Separator)) > strings.Count(dirs[j].dst, string(filepath.Separator))
	})
	for _, d := range dirs {
		if err := os.Chmod(d.dst, d.node.FileMode()); err != nil {
			fail(d.dst, err)
		}
		if err := os.Chtimes(d.dst, d.node.MTime, d.node.MTime); err != nil {
			fail(d.dst, err)
		}
		res.Dirs++
	}
	res.Duration = time.Since(start)
	if len(res.Failures) > 0 {
		sort.Slice(res.Failures, func(i, j int) bool { return res.Failures[i].Path < res.Failures[j].Path })
		return res, &FailedError{Failures: res.Failures}
	}
	return res, nil
}

func selected(o Options, rel string, n *vault.Node) bool {
	return o.Select == nil || o.Select(rel, n)
}

// Patterns returns a selector matching paths against shell patterns: a
// pattern selects a path when it matches the path or any of its parent
// directories ("Music/Sibelius*" selects everything below matching folders).
func Patterns(patterns []string) (func(string, *vault.Node) bool, error) {
	for _, p := range patterns {
		if _, err := path.Match(p, ""); err != nil {
			return nil, fmt.Errorf("bad pattern %q: %w", p, err)
		}
	}
	return func(rel string, _ *vault.Node) bool {
		for _, p := range patterns {
			p = strings.Trim(p, "/")
			for r := rel; r != "." && r != ""; r = path.Dir(r) {
				if ok, _ := path.Match(p, r); ok {
					return true
				}
			}
		}
		return false
	}, nil
}

func restoreLink(l fileJob, overwrite bool) error {
	target := l.node.LinkTarget()
	if cur, err := os.Readlink(l.dst); err == nil {
		if cur == target {
			return nil
		}
		if !overwrite {
			return ErrExists
		}
		if err := os.Remove(l.dst); err != nil {
			return err
		}
	} else if _, err := os.Lstat(l.dst); err == nil {
		if !overwrite {
			return ErrExists
		}
		if err := os.Remove(l.dst); err != nil {
			return err
		}
	}
	return os.Symlink(target, l.dst)
}

// removeLeftovers deletes temporary files an interrupted restore left in
// dir (they never have a final name, so nothing else refers to them).
func removeLeftovers(dir string) {
	matches, _ := filepath.Glob(filepath.Join(dir, ".tunesafe-*.tmp"))
	for _, m := range matches {
		os.Remove(m)
	}
}
