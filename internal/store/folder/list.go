package folder

import (
	"context"
	"fmt"
	"iter"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/tunesafe/tunesafe/internal/store"
)

// List yields the objects whose key starts with prefix, in lexical key
// order.
//
// A directory walk does not give that order by itself: in a directory
// holding the subdirectory "a" and the file "a-b", filepath.WalkDir visits
// "a/…" first, yet the key "a-b" sorts before "a/…" because '-' < '/'. So
// each directory's entries are sorted by the key they stand for, a
// directory's name followed by '/', and the walk descends in that order.
// Every key below directory "a" starts with "a/", so this yields exactly
// the lexical order of the keys.
func (s *Store) List(ctx context.Context, prefix string) iter.Seq2[store.Info, error] {
	return func(yield func(store.Info, error) bool) {
		if err := ctx.Err(); err != nil {
			yield(store.Info{}, fmt.Errorf("list %q: %w", prefix, err))
			return
		}
		if !validPrefix(prefix) {
			yield(store.Info{}, store.Permanent(store.KindInvalid, fmt.Errorf("list: invalid prefix %q", prefix)))
			return
		}
		// Start in the deepest directory the prefix names in full.
		dirKey := ""
		if i := strings.LastIndexByte(prefix, '/'); i >= 0 {
			dirKey = prefix[:i+1]
		}
		w := walker{store: s, ctx: ctx, prefix: prefix, yield: yield}
		w.walk(filepath.Join(s.root, filepath.FromSlash(dirKey)), dirKey)
	}
}

type walker struct {
	store  *Store
	ctx    context.Context
	prefix string
	yield  func(store.Info, error) bool
}

type entry struct {
	name    string
	sortKey string // name, plus '/' for a directory
	dir     bool
}

// walk yields the objects in dir, whose keys start with keyPrefix (empty or
// ending in '/'), and reports whether the caller wants more.
func (w *walker) walk(dir, keyPrefix string) bool {
	if err := w.ctx.Err(); err != nil {
		return w.yield(store.Info{}, fmt.Errorf("list %q: %w", w.prefix, err))
	}
	des, err := os.ReadDir(dir)
	if err != nil {
		if isMissing(err) {
			if w.store.isGone() {
				return w.yield(store.Info{}, w.store.gone())
			}
			// Nothing stored under this prefix, or the directory
			// was removed while we walked: nothing to yield.
			return true
		}
		return w.yield(store.Info{}, classify(fmt.Errorf("list %q: %w", w.prefix, err)))
	}
	entries := make([]entry, 0, len(des))
	for _, de := range des {
		name := de.Name()
		if !validSegment(name) {
			continue // temporary files, and anything that is not a key
		}
		if keyPrefix == "" && de.IsDir() && SystemFolder(name) {
			continue
		}
		switch {
		case de.IsDir():
			entries = append(entries, entry{name: name, sortKey: name + "/", dir: true})
		case de.Type().IsRegular():
			entries = append(entries, entry{name: name, sortKey: name})
		}
	}
	slices.SortFunc(entries, func(a, b entry) int { return strings.Compare(a.sortKey, b.sortKey) })

	for _, e := range entries {
		key := keyPrefix + e.sortKey
		if e.dir {
			// Descend only where keys can start with the prefix.
			if !strings.HasPrefix(key, w.prefix) && !strings.HasPrefix(w.prefix, key) {
				continue
			}
			if !w.walk(filepath.Join(dir, e.name), key) {
				return false
			}
			continue
		}
		if !strings.HasPrefix(key, w.prefix) {
			continue
		}
		fi, err := os.Lstat(filepath.Join(dir, e.name))
		if err != nil {
			if isMissing(err) {
				continue // deleted while we walked
			}
			return w.yield(store.Info{}, classify(fmt.Errorf("list %q: %w", w.prefix, err)))
		}
		if !fi.Mode().IsRegular() {
			continue
		}
		if err := w.ctx.Err(); err != nil {
			return w.yield(store.Info{}, fmt.Errorf("list %q: %w", w.prefix, err))
		}
		if !w.yield(store.Info{Key: key, Size: fi.Size(), ModTime: fi.ModTime()}, nil) {
			return false
		}
	}
	return true
}

// validSegment reports whether name can be one segment of a key.
func validSegment(name string) bool {
	return store.ValidKey(name) && !strings.Contains(name, "/")
}

// validPrefix reports whether prefix can start a key: empty, or made of key
// characters with every complete segment valid, so that the walk never
// leaves the store's directory.
func validPrefix(prefix string) bool {
	if prefix == "" {
		return true
	}
	i := strings.LastIndexByte(prefix, '/')
	if i >= 0 && !store.ValidKey(prefix[:i]) {
		return false
	}
	last := prefix[i+1:]
	return last == "" || store.ValidKey(last) || last == "." || last == ".."
}
