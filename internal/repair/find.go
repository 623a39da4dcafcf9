package repair

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"slices"
	"strings"

	"github.com/tunesafe/tunesafe/internal/backup"
	"github.com/tunesafe/tunesafe/internal/vault"
)

// refs is what find learns of the references to objects besides the
// files: every tree a readable snapshot names (whether or not it could be
// read, and from whichever copy), and whether a list could not be read
// (its blobs were then not seen).
type refs struct {
	trees          map[vault.ID]bool
	listUnreadable bool
}

// find walks the trees of every readable snapshot and returns, sorted by
// path, the local files whose nodes name damaged blobs. Snapshots and
// trees that are missing or damaged are noted in res.Unreadable; any other
// error (the store unreachable) is returned: deciding without them would
// report blobs as unneeded that are not.
func find(ctx context.Context, v *vault.Vault, blobs map[vault.ID]*blobState, res *Result, r *refs) ([]*candidate, error) {
	byPath := map[string]*candidate{}
	type visit struct {
		tree vault.ID
		dir  string
	}
	seen := map[visit]bool{}
	var walk func(tree vault.ID, dir string, snap *vault.Snapshot) error
	walk = func(tree vault.ID, dir string, snap *vault.Snapshot) error {
		if seen[visit{tree, dir}] {
			return nil
		}
		seen[visit{tree, dir}] = true
		r.trees[tree] = true
		t, err := v.GetTree(ctx, tree)
		if unreadable(err) {
			res.Unreadable = append(res.Unreadable, vault.TreeKey(tree))
			return nil
		}
		if err != nil {
			return fmt.Errorf("tree %s: %w", tree, err)
		}
		for i := range t.Nodes {
			n := &t.Nodes[i]
			p := filepath.Join(dir, n.FileName())
			if dir == "" {
				p = backup.SourcePath(snap, n.FileName())
			}
			switch n.Type {
			case vault.TypeDir:
				if err := walk(*n.Subtree, p, snap); err != nil {
					return err
				}
			case vault.TypeFile:
				ids := n.Blobs
				if len(n.Lists) > 0 {
					// The blobs of a list that cannot be read are looked
					// for in no file: the list itself is then damaged,
					// and cutting the file again gives it back.
					ids = slices.Clone(n.Blobs)
					for _, l := range n.ListIDs() {
						sub, err := v.ReadList(ctx, l)
						if unreadable(err) {
							r.listUnreadable = true
							continue
						}
						if err != nil {
							return fmt.Errorf("list %s: %w", l, err)
						}
						ids = append(ids, sub...)
					}
				}
				for _, id := range ids {
					if blobs[id] == nil {
						continue
					}
					c := byPath[p]
					if c == nil {
						c = &candidate{path: p, ids: map[vault.ID]struct{}{}, sums: map[string]struct{}{}}
						byPath[p] = c
					}
					c.ids[id] = struct{}{}
					c.sums[n.SHA256] = struct{}{}
				}
			}
		}
		return nil
	}
	for info, err := range v.Store().List(ctx, "snapshots/") {
		if err != nil {
			return nil, err
		}
		id, err := vault.ParseID(strings.TrimPrefix(info.Key, "snapshots/"))
		if err != nil {
			continue
		}
		snap, err := v.GetSnapshot(ctx, id)
		if unreadable(err) {
			res.Unreadable = append(res.Unreadable, info.Key)
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("snapshot %s: %w", id, err)
		}
		for _, b := range snap.Library {
			if bs := blobs[b]; bs != nil {
				bs.library = true
			}
		}
		if err := walk(snap.Tree, "", snap); err != nil {
			return nil, fmt.Errorf("snapshot %s: %w", id, err)
		}
	}
	out := make([]*candidate, 0, len(byPath))
	for _, c := range byPath {
		out = append(out, c)
	}
	slices.SortFunc(out, func(a, b *candidate) int { return strings.Compare(a.path, b.path) })
	return out, nil
}

// unreadable reports whether err says an object is missing or damaged, as
// opposed to the store failing.
func unreadable(err error) bool {
	var ce *vault.CorruptError
	return errors.Is(err, fs.ErrNotExist) || errors.As(err, &ce)
}
