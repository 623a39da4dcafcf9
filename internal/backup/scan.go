package backup

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"github.com/tunesafe/tunesafe/internal/state"
	"github.com/tunesafe/tunesafe/internal/vault"
)

// entry is one scanned path. Files and symlinks get their node when done
// (node != nil); directories get theirs when trees are built.
type entry struct {
	name     string
	path     string
	dir      string // parent directory: the cache key with name
	mode     fs.FileMode
	st       state.Stat
	children []*entry
	node     atomic.Pointer[vault.Node]
	changed  bool
	// pending is how a changed file counts, and is recorded in the cache
	// once stored: new or changed since the last complete pass.
	pending state.Pending
	// storedAgain: the file is as the cache records it, but read and
	// stored again (Result.FilesStoredAgain). uncounted: the pass took
	// back how it counted the file, which it did not store
	// (run.uncountLocked).
	storedAgain, uncounted bool
	// allMetadata says the metadata phase stored all of this file (a
	// library database). Set by that phase's reader of the file, read
	// after the phase.
	allMetadata bool
	// Directories: fp fingerprints the stats of everything below; clean
	// says nothing below was skipped; cached is the stored tree of an
	// unchanged directory, whose children are then not scanned into memory.
	fp     []byte
	clean  bool
	cached *state.DirEntry
}

func (e *entry) isDir() bool { return e.mode.IsDir() }

func (e *entry) mtime() time.Time { return time.Unix(0, e.st.MTime) }

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
		if err := r.o.Exclude.CheckSource(p); err != nil {
			return nil, err
		}
		name := vault.RootName(abs)
		if other, dup := names[name]; dup {
			return nil, sameNameError(other, abs, name)
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
	return r.scanFiles(ctx, roots, names)
}

// scanFiles adds o.Files that lie outside o.Paths: each file is placed
// under its absolute path, its folders mirrored from the filesystem root
// but holding only the files named (a library's tracks on another disk).
// names maps the root entries of the source paths to those paths: a file
// whose first element is one of them is refused (NameClashError), unless
// that folder is the source path itself (outsideClash).
func (r *run) scanFiles(ctx context.Context, roots []*entry, names map[string]string) ([]*entry, error) {
	byName := map[string]*entry{} // the root entries of outside files
	cachedDirs := map[string]map[string]state.FileEntry{}
	for _, f := range r.o.Files {
		abs, err := filepath.Abs(f)
		if err != nil {
			return nil, err
		}
		if _, covered := underPaths(r.o.Paths, abs); covered {
			continue
		}
		parts := pathParts(abs)
		if len(parts) < 2 {
			continue
		}
		if src, clash := outsideClash(names, abs); clash {
			return nil, &NameClashError{File: abs, Source: src, Name: parts[0]}
		} else if src != "" {
			continue // inside src after all, which its walk stored
		}
		root := byName[parts[0]]
		if root == nil {
			dir := rootPrefix(abs) + parts[0]
			fi, err := passFolder(dir)
			if err != nil {
				r.warn(abs, err)
				continue
			}
			root = &entry{name: parts[0], path: dir, dir: filepath.Dir(dir), mode: fi.Mode(), st: statOf(fi)}
			byName[parts[0]] = root
			roots = append(roots, root)
			r.res.Dirs++
		}
		e := root
		ok := true
		for _, part := range parts[1 : len(parts)-1] {
			child := findChild(e, part)
			if child == nil {
				p := filepath.Join(e.path, part)
				fi, err := passFolder(p)
				if err != nil {
					r.warn(abs, err)
					ok = false
					break
				}
				child = &entry{name: part, path: p, dir: e.path, mode: fi.Mode(), st: statOf(fi)}
				e.children = append(e.children, child)
				r.res.Dirs++
			}
			e = child
		}
		name := parts[len(parts)-1]
		if !ok || findChild(e, name) != nil {
			continue
		}
		fi, err := os.Lstat(abs)
		if err != nil {
			r.warn(abs, err)
			continue
		}
		if why, ok := r.o.Exclude.Match(abs, fi); ok {
			r.exclude(abs, why)
			continue
		}
		cached, found := cachedDirs[e.path]
		if !found {
			if cached, err = r.c.Dir(ctx, e.path); err != nil {
				return nil, fmt.Errorf("read cache: %w", err)
			}
			cachedDirs[e.path] = cached
		}
		c, err := r.scanEntry(ctx, e.path, name, abs, fi, cached)
		if err != nil {
			return nil, err
		}
		if c != nil {
			e.children = append(e.children, c)
		}
	}
	return roots, nil
}

func findChild(e *entry, name string) *entry {
	for _, c := range e.children {
		if c.name == name {
			return c
		}
	}
	return nil
}

// underPaths returns the snapshot path of abs when it lies inside one of
// the source paths.
func underPaths(paths []string, abs string) (string, bool) {
	for _, p := range paths {
		pa, err := filepath.Abs(p)
		if err != nil {
			continue
		}
		if abs == pa {
			return vault.RootName(pa), true
		}
		if rel, err := filepath.Rel(pa, abs); err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
			return vault.RootName(pa) + "/" + filepath.ToSlash(rel), true
		}
	}
	return "", false
}

// pathParts splits an absolute path into its components, the volume
// ("C:") first on Windows.
func pathParts(abs string) []string {
	vol := filepath.VolumeName(abs)
	rest := strings.Trim(filepath.ToSlash(abs[len(vol):]), "/")
	var parts []string
	if vol != "" {
		parts = append(parts, vol)
	}
	if rest != "" {
		parts = append(parts, strings.Split(rest, "/")...)
	}
	return parts
}

func rootPrefix(abs string) string {
	if vol := filepath.VolumeName(abs); vol != "" {
		return ""
	}
	return string(filepath.Separator)
}

// SnapshotPath returns where a file backed up with these options appears
// in the snapshot (slash-separated, as ls and restore show it).
func SnapshotPath(o Options, file string) (string, error) {
	abs, err := filepath.Abs(file)
	if err != nil {
		return "", err
	}
	if rel, ok := underPaths(o.Paths, abs); ok {
		return rel, nil
	}
	return strings.Join(pathParts(abs), "/"), nil
}

// scanEntry returns nil for a skipped path (after warning).
func (r *run) scanEntry(ctx context.Context, dir, name, path string, fi fs.FileInfo, cached map[string]state.FileEntry) (*entry, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	e := &entry{name: name, path: path, dir: dir, mode: fi.Mode(), st: statOf(fi)}
	switch {
	case fi.Mode().IsRegular():
		r.p.FilesTotal.Add(1)
		r.p.BytesTotal.Add(fi.Size())
		r.res.BytesTotal += fi.Size()
		c, ok := cached[name]
		same := ok && sameStat(c.Stat, e.st)
		if same {
			var n vault.Node
			if err := json.Unmarshal(c.Node, &n); err == nil && n.Type == vault.TypeFile && n.Size == fi.Size() && !c.Lost && r.blobsStored(ctx, n.Blobs) {
				n.SetName(name)
				n.Mode = vault.UnixMode(fi.Mode())
				n.MTime = fi.ModTime()
				e.node.Store(&n)
				r.countCached(c.Pending)
				r.p.FilesDone.Add(1)
				return e, nil
			}
		}
		switch {
		case same:
			// As it was, but the vault lacks part of what it stored (lost,
			// damaged or pruned): read and stored again, it still counts
			// as the backups counted it.
			e.pending = c.Pending
			e.storedAgain = true
			r.countCached(c.Pending)
			r.res.FilesStoredAgain++
		case ok && c.Pending != state.PendingNew:
			e.pending = state.PendingChanged
			r.res.FilesChanged++
		default:
			// A file that a pass not yet complete stored as new, and that
			// changed again since, is still new since the last complete
			// pass.
			e.pending = state.PendingNew
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
		return r.scanDir(ctx, e)
	default:
		r.warn(path, fmt.Errorf("special file (%s) not backed up", fi.Mode().Type()))
		return nil, nil
	}
}

// countCached counts a file whose cached node is reused: unchanged, unless
// a pass not yet complete stored it, which counted it new or changed since
// the last complete pass, as it still is.
func (r *run) countCached(p state.Pending) {
	switch p {
	case state.PendingNew:
		r.res.FilesNew++
		r.pendingNew++
	case state.PendingChanged:
		r.res.FilesChanged++
		r.pendingChanged++
	default:
		r.res.FilesUnchanged++
	}
}

// blobsStored reports whether a cached node's blobs can be trusted. The
// blobs a list names need no check: prune keeps a list exactly when it
// keeps them.
func (r *run) blobsStored(ctx context.Context, ids []vault.ID) bool {
	if !r.verifyCached {
		return true
	}
	for _, id := range ids {
		if _, ok := r.known[id]; !ok {
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

// scanDir scans a directory. Subdirectories are scanned first, because their
// fingerprints are part of this one's: when the fingerprint matches the
// cache, the directory's stored tree is reused as is, without looking at its
// files' cached nodes (the fast path of a no-change backup). A directory
// that a pass not yet complete recorded takes the slow path: its files may
// be new or changed since the last complete pass, which the files' cached
// entries tell (state.FileEntry.Pending).
func (r *run) scanDir(ctx context.Context, e *entry) (*entry, error) {
	r.res.Dirs++
	des, err := os.ReadDir(e.path)
	if err != nil {
		r.warn(e.path, err)
		return nil, nil
	}
	type kid struct {
		name string
		fi   fs.FileInfo
		sub  *entry
	}
	kids := make([]kid, 0, len(des))
	e.clean = true
	var unread map[string]bool // names whose stat failed: not removed
	for _, de := range des {
		cfi, err := de.Info()
		if err != nil {
			r.warn(filepath.Join(e.path, de.Name()), err)
			e.clean = false
			if unread == nil {
				unread = map[string]bool{}
			}
			unread[de.Name()] = true
			continue
		}
		k := kid{name: de.Name(), fi: cfi}
		// Left out before the fingerprint, which then covers exactly what
		// is backed up: changing the patterns changes it.
		if why, ok := r.o.Exclude.Match(filepath.Join(e.path, k.name), cfi); ok {
			r.exclude(filepath.Join(e.path, k.name), why)
			continue
		}
		if cfi.IsDir() {
			c, err := r.scanEntry(ctx, e.path, k.name, filepath.Join(e.path, k.name), cfi, nil)
			if err != nil {
				return nil, err
			}
			if c == nil {
				e.clean = false
				continue
			}
			e.clean = e.clean && c.clean
			k.sub = c
		}
		kids = append(kids, k)
	}
	h := sha256.New()
	var buf [8 * 6]byte
	for _, k := range kids {
		st := statOf(k.fi)
		h.Write([]byte(k.name))
		binary.LittleEndian.PutUint64(buf[0:], uint64(k.fi.Mode()))
		binary.LittleEndian.PutUint64(buf[8:], uint64(st.Size))
		binary.LittleEndian.PutUint64(buf[16:], uint64(st.MTime))
		binary.LittleEndian.PutUint64(buf[24:], uint64(st.CTime))
		binary.LittleEndian.PutUint64(buf[32:], st.Ino)
		binary.LittleEndian.PutUint64(buf[40:], st.Dev)
		h.Write(buf[:])
		if k.sub != nil {
			h.Write(k.sub.fp)
		}
	}
	e.fp = h.Sum(nil)
	if d, ok := r.dirCache[e.path]; ok && !d.Pending && e.clean && bytes.Equal(d.FP, e.fp) && r.treeStored(ctx, d.Tree) {
		e.cached = &d
		r.res.FilesUnchanged += d.Files
		r.res.BytesTotal += d.Bytes
		r.p.FilesTotal.Add(d.Files)
		r.p.BytesTotal.Add(d.Bytes)
		r.p.FilesDone.Add(d.Files)
		return e, nil
	}
	cached, err := r.c.Dir(ctx, e.path)
	if err != nil {
		return nil, fmt.Errorf("read cache: %w", err)
	}
	for _, k := range kids {
		if k.sub != nil {
			e.children = append(e.children, k.sub)
			continue
		}
		c, err := r.scanEntry(ctx, e.path, k.name, filepath.Join(e.path, k.name), k.fi, cached)
		if err != nil {
			return nil, err
		}
		if c == nil {
			e.clean = false
			continue
		}
		e.children = append(e.children, c)
	}
	kinds := make(map[string]fs.FileMode, len(kids))
	for _, k := range kids {
		kinds[k.name] = k.fi.Mode().Type()
	}
	if err := r.noteRemoved(ctx, e.path, kinds, unread, cached); err != nil {
		return nil, err
	}
	return e, nil
}

// noteRemoved counts the files of the last complete backup that are no
// longer in directory dir (kinds holds the types of what the pass backs up
// there), and keeps their cache entries to forget once the pass completes
// (state.Cache.ForgetRemoved). A file gone is one the cache holds and the
// directory does not, or no longer as a regular file; a folder gone, one
// the cache holds a tree of, with every file cached below it. Excluded
// names count as removed: the new snapshot lacks them.
func (r *run) noteRemoved(ctx context.Context, dir string, kinds map[string]fs.FileMode, unread map[string]bool, cached map[string]state.FileEntry) error {
	for name, c := range cached {
		if t, ok := kinds[name]; (ok && t == 0) || unread[name] {
			continue
		}
		if c.Pending != state.PendingNew {
			r.res.FilesRemoved++
		}
		r.removedFiles = append(r.removedFiles, state.FileKey{Dir: dir, Name: name})
	}
	for _, sub := range r.cachedSubdirs(dir) {
		name := filepath.Base(sub)
		if t, ok := kinds[name]; (ok && t == fs.ModeDir) || unread[name] {
			continue
		}
		n, err := r.c.CountBelow(ctx, sub)
		if err != nil {
			return err
		}
		r.res.FilesRemoved += n
		r.removedDirs = append(r.removedDirs, sub)
	}
	return nil
}

// cachedSubdirs returns the folders directly in dir that the cache holds
// trees of.
func (r *run) cachedSubdirs(dir string) []string {
	if r.dirKids == nil {
		r.dirKids = map[string][]string{}
		for p := range r.dirCache {
			parent := filepath.Dir(p)
			if parent != p {
				r.dirKids[parent] = append(r.dirKids[parent], p)
			}
		}
	}
	return r.dirKids[dir]
}

// treeStored reports whether the vault is known to hold a tree.
func (r *run) treeStored(ctx context.Context, id []byte) bool {
	var tid vault.ID
	if len(id) != len(tid) {
		return false
	}
	copy(tid[:], id)
	_, ok := r.known[tid]
	return ok
}
