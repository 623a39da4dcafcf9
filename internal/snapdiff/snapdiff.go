// Package snapdiff tells what changed between two snapshots: files added,
// removed and modified, and, for a modified track, whether only its tags
// changed or its audio too.
//
// The comparison walks both trees at once, in the order of their entries
// (the format sorts every tree by name), and never descends into a folder
// whose tree ID is the same on both sides: trees are content-addressed, so
// an unchanged album costs one comparison of two IDs, and a diff of two
// backups of a large library reads only the trees along the changed paths.
//
// Tags or audio. The music-aware splitter stores a track's audio behind
// list blobs (vault.Node.Lists), one per run of audio chunks, even a run
// of one chunk, and its tags, pictures and padding as blobs of their own.
// A tag edit rewrites those and leaves the audio's chunks, hence the
// lists, as they were. So two versions of a file whose list blobs are the
// same, in the same order, differ in their metadata only: the change is
// reported as Tags. A file the splitter did not understand has no lists,
// or lists of its whole content, and is reported as Content.
//
// Vaults also hold entries written by earlier versions of Tunesafe, which
// named an audio run of one chunk directly, without a list. Such an entry
// and a later one with a list of one line naming that same chunk hold the
// same audio: the list's ID is the vault's content ID of that line, which
// the diff computes (Trees.Hasher) rather than read the list. Two such
// entries without lists cannot be told apart from new audio: Content.
package snapdiff

import (
	"context"
	"path"
	"slices"

	"github.com/tunesafe/tunesafe/internal/vault"
)

// Kind is what happened to a path.
type Kind string

const (
	Added    Kind = "added"
	Removed  Kind = "removed"
	Modified Kind = "modified"
)

// What says how a modified entry changed, from the most to the least
// telling. An entry whose type changed (a file that became a folder) is
// reported as removed and added, not modified.
type What string

const (
	// Content: a file's bytes changed, audio included (or the file has no
	// audio the splitter recognised).
	Content What = "content"
	// Tags: a track's tags, pictures or padding changed; its audio did not.
	Tags What = "tags"
	// Target: a symlink points elsewhere.
	Target What = "target"
	// Attributes: the same bytes, with another mode or modification time.
	Attributes What = "attributes"
)

// Change is one entry of a diff. Before is nil for Added, After for
// Removed.
type Change struct {
	Path   string // slash-separated, from the snapshot's root
	Kind   Kind
	What   What // for Modified
	Before *vault.Node
	After  *vault.Node
}

// Trees is what a diff reads: the vault's trees, and the function that
// names its content (vault.Vault has both).
type Trees interface {
	GetTree(ctx context.Context, id vault.ID) (*vault.Tree, error)
	Hasher() vault.Hasher
}

// Diff calls fn for every change from the tree before to the tree after,
// in path order. A folder added or removed is reported, then everything in
// it. It stops at the first error, from fn or from reading a tree.
func Diff(ctx context.Context, trees Trees, before, after vault.ID, fn func(Change) error) error {
	d := differ{ctx: ctx, trees: trees, hasher: trees.Hasher(), fn: fn}
	return d.trees2(before, after, "")
}

type differ struct {
	ctx    context.Context
	trees  Trees
	hasher vault.Hasher
	fn     func(Change) error
}

func (d *differ) trees2(before, after vault.ID, dir string) error {
	if before == after {
		return nil
	}
	if err := d.ctx.Err(); err != nil {
		return err
	}
	tb, err := d.trees.GetTree(d.ctx, before)
	if err != nil {
		return err
	}
	ta, err := d.trees.GetTree(d.ctx, after)
	if err != nil {
		return err
	}
	i, j := 0, 0
	for i < len(tb.Nodes) || j < len(ta.Nodes) {
		switch {
		case j == len(ta.Nodes) || (i < len(tb.Nodes) && tb.Nodes[i].FileName() < ta.Nodes[j].FileName()):
			if err := d.all(&tb.Nodes[i], dir, Removed); err != nil {
				return err
			}
			i++
		case i == len(tb.Nodes) || ta.Nodes[j].FileName() < tb.Nodes[i].FileName():
			if err := d.all(&ta.Nodes[j], dir, Added); err != nil {
				return err
			}
			j++
		default:
			if err := d.pair(&tb.Nodes[i], &ta.Nodes[j], dir); err != nil {
				return err
			}
			i++
			j++
		}
	}
	return nil
}

// all reports n and, for a folder, everything below it, as kind.
func (d *differ) all(n *vault.Node, dir string, kind Kind) error {
	p := path.Join(dir, n.FileName())
	c := Change{Path: p, Kind: kind}
	if kind == Added {
		c.After = n
	} else {
		c.Before = n
	}
	if err := d.fn(c); err != nil {
		return err
	}
	if n.Type != vault.TypeDir {
		return nil
	}
	t, err := d.trees.GetTree(d.ctx, *n.Subtree)
	if err != nil {
		return err
	}
	for k := range t.Nodes {
		if err := d.all(&t.Nodes[k], p, kind); err != nil {
			return err
		}
	}
	return nil
}

// pair compares two entries of the same name.
func (d *differ) pair(b, a *vault.Node, dir string) error {
	p := path.Join(dir, a.FileName())
	if b.Type != a.Type {
		// Reported as the old entry gone and the new one there, so that
		// a folder's contents are listed on the side they are on.
		if err := d.all(b, dir, Removed); err != nil {
			return err
		}
		return d.all(a, dir, Added)
	}
	what := d.compare(b, a)
	if what != "" {
		if err := d.fn(Change{Path: p, Kind: Modified, What: what, Before: b, After: a}); err != nil {
			return err
		}
	}
	if a.Type == vault.TypeDir {
		return d.trees2(*b.Subtree, *a.Subtree, p)
	}
	return nil
}

// compare returns how two entries of the same name and type differ, or ""
// when they do not. A folder differs by its mode only: its contents are
// compared entry by entry, and its modification time changes with them.
func (d *differ) compare(b, a *vault.Node) What {
	switch a.Type {
	case vault.TypeDir:
		if b.Mode != a.Mode {
			return Attributes
		}
		return ""
	case vault.TypeFile:
		if b.SHA256 != a.SHA256 || b.Size != a.Size {
			if d.sameAudio(b, a) {
				return Tags
			}
			return Content
		}
	case vault.TypeSymlink:
		if b.LinkTarget() != a.LinkTarget() {
			return Target
		}
	}
	if b.Mode != a.Mode || !b.MTime.Equal(a.MTime) {
		return Attributes
	}
	return ""
}

// sameAudio reports whether two versions of a file hold the same audio:
// both name their audio through lists, the same ones in the same order.
func (d *differ) sameAudio(b, a *vault.Node) bool {
	lb, la := b.ListIDs(), a.ListIDs() // DecodeTree checked the positions
	if slices.Equal(lb, la) {
		return len(lb) > 0
	}
	// An entry that names audio chunks directly has fewer lists than an
	// entry of the same audio that names them through lists of one line:
	// with as many lists on both sides, other lists are other audio. This
	// keeps the hashing below to the entries where it can tell.
	if len(lb) == len(la) {
		return false
	}
	return slices.Equal(d.audio(b, la), d.audio(a, lb))
}

// audio returns the lists of n in order, with each blob n names directly
// taken as the list of one line naming it, when other names that list.
func (d *differ) audio(n *vault.Node, other []vault.ID) []vault.ID {
	out := make([]vault.ID, 0, len(other))
	lists := n.Lists
	for i, id := range n.Blobs {
		if len(lists) > 0 && lists[0] == i {
			out = append(out, id)
			lists = lists[1:]
			continue
		}
		if l := d.hasher.Sum(vault.EncodeList([]vault.ID{id})); slices.Contains(other, l) {
			out = append(out, l)
		}
	}
	return out
}
