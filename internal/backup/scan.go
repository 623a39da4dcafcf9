package backup

import (
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync/atomic"

	"github.com/tunesafe/tunesafe/internal/state"
	"github.com/tunesafe/tunesafe/internal/vault"
)

// entry is one scanned path. Files and symlinks get their node when done
// (node != nil); directories get theirs when trees are built.
type entry struct {
	name     string
	path     string
	dir      string // parent directory: the cache key with name
	fi       fs.FileInfo
	st       state.Stat
	children []*entry
	node     atomic.Pointer[vault.Node]
	changed  bool
}

func (e *entry) isDir() bool { return e.fi.IsDir() }

// scan walks the source paths. A missing or unreadable source path is an
// error; problems below it are warnings.
func (r *run) scan(ctx context.Context) ([]*entry, error) {
	var roots []*entry
	names := map[string]string{}
	for _, p := range r.o.Paths {
		abs, err := filepath.Abs(p)
		if err != nil {
			return nil, err
		}
		fi, err := os.Lstat(abs)
		if err != nil {
			return nil, fmt.Errorf("cannot back up %s: %w", p, err)
		}
		name := filepath.Base(abs)
		if name == string(filepath.Separator) || name == "." {
			name = "root"
		}
		if other, dup := names[name]; dup {
			return nil, fmt.Errorf("%s and %s have the same name %q: back them up to separate vaults or pass their parent", other, abs, name)
		}
		names[name] = abs
		parent := filepath.Dir(abs)
		cached, err := r.c.Dir(ctx, parent)
		if err != nil {
			return nil, fmt.Errorf("read cache: %w", err)
		}
		e, err := r.scanEntry(ctx, parent, name, abs, fi, cached)
		if err != nil {
			return nil, err
		}
		if e == nil {
			return nil, fmt.Errorf("cannot back up %s: %s", p, r.res.Warnings[len(r.res.Warnings)-1].Err)
		}
		e.name = name
		roots = append(roots, e)
	}
	return roots, nil
}

// scanEntry returns nil for a skipped path (after warning).
func (r *run) scanEntry(ctx context.Context, dir, name, path string, fi fs.FileInfo, cached map[string]state.FileEntry) (*entry, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	e := &entry{name: name, path: path, dir: dir, fi: fi, st: statOf(fi)}
	switch {
	case fi.Mode().IsRegular():
		r.p.FilesTotal.Add(1)
		r.p.BytesTotal.Add(fi.Size())
		r.res.BytesTotal += fi.Size()
		if c, ok := cached[name]; ok && sameStat(c.Stat, e.st) {
			var n vault.Node
			if err := json.Unmarshal(c.Node, &n); err == nil && n.Type == vault.TypeFile && n.Size == fi.Size() && r.blobsStored(ctx, n.Blobs) {
				n.SetName(name)
				n.Mode = vault.UnixMode(fi.Mode())
				n.MTime = fi.ModTime()
				e.node.Store(&n)
				r.res.FilesUnchanged++
				r.p.FilesDone.Add(1)
				return e, nil
			}
		}
		if _, ok := cached[name]; ok {
			r.res.FilesChanged++
		} else {
			r.res.FilesNew++
		}
		e.changed = true
		r.p.FilesToRead.Add(1)
		r.p.BytesToRead.Add(fi.Size())
		return e, nil
	case fi.Mode()&fs.ModeSymlink != 0:
		target, err := os.Readlink(path)
		if err != nil {
			r.warn(path, err)
			return nil, nil
		}
		n := &vault.Node{Type: vault.TypeSymlink, Mode: vault.UnixMode(fi.Mode()), MTime: fi.ModTime()}
		n.SetName(name)
		n.SetTarget(target)
		e.node.Store(n)
		return e, nil
	case fi.IsDir():
		r.res.Dirs++
		des, err := os.ReadDir(path)
		if err != nil {
			r.warn(path, err)
			return nil, nil
		}
		sub, err := r.c.Dir(ctx, path)
		if err != nil {
			return nil, fmt.Errorf("read cache: %w", err)
		}
		for _, de := range des {
			cfi, err := de.Info()
			if err != nil {
				r.warn(filepath.Join(path, de.Name()), err)
				continue
			}
			c, err := r.scanEntry(ctx, path, de.Name(), filepath.Join(path, de.Name()), cfi, sub)
			if err != nil {
				return nil, err
			}
			if c != nil {
				e.children = append(e.children, c)
			}
		}
		return e, nil
	default:
		r.warn(path, fmt.Errorf("special file (%s) not backed up", fi.Mode().Type()))
		return nil, nil
	}
}

// blobsStored reports whether a cached node's blobs can be trusted.
func (r *run) blobsStored(ctx context.Context, ids []vault.ID) bool {
	if !r.verifyCached {
		return true
	}
	for _, id := range ids {
		if ok, err := r.c.HasObject(ctx, id[:]); err != nil || !ok {
			return false
		}
	}
	return true
}

// sameStat decides whether a file is unchanged since it was cached.
func sameStat(a, b state.Stat) bool {
	if a.Size != b.Size || a.MTime != b.MTime || a.CTime != b.CTime {
		return false
	}
	if a.Ino != 0 && b.Ino != 0 && (a.Ino != b.Ino || a.Dev != b.Dev) {
		return false
	}
	return true
}

// walkFiles calls fn for every changed file, in scan order.
func walkFiles(es []*entry, fn func(*entry)) {
	for _, e := range es {
		if e.isDir() {
			walkFiles(e.children, fn)
		} else if e.changed {
			fn(e)
		}
	}
}
