package main

import (
	"context"
	"errors"
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/tunesafe/tunesafe/internal/bytesize"
	"github.com/tunesafe/tunesafe/internal/restore"
	"github.com/tunesafe/tunesafe/internal/snapdiff"
	"github.com/tunesafe/tunesafe/internal/vault"
)

func (a *app) diffCommand() *cobra.Command {
	var host string
	c := &cobra.Command{
		Use:   "diff [SNAPSHOT | FROM TO]",
		Short: "Show what changed between two snapshots, telling tag edits from new audio",
		Long: `Show the files added, removed and modified between two snapshots. A
modified track is marked "tags" when only its tags, pictures or padding
changed and its audio is the same; "content" when its audio changed, or
when that cannot be told (a file that is not a track Tunesafe understands,
or a short track that both snapshots hold as earlier versions of
Tunesafe stored it, its audio as one piece); "attributes" when
only its permissions or modification time changed. Folders are listed when
added, removed, or given other permissions.

With one SNAPSHOT (an ID prefix or "latest", the default), what that backup
changed: it is compared with the snapshot it was based on, or else the newest
older one of the same computer. With FROM and TO, any two snapshots.

Computers backing up into one vault each record their host name in their
snapshots (backup --host, default this computer's name). "latest" is this
computer's newest snapshot; --host NAME makes it the newest of computer NAME
instead. A computer with no snapshot of its own gets the newest of any
computer, and is told whose. A snapshot ID names that snapshot, whatever its
host; with --host too, it must be of that host.`,
		Args: cobra.MaximumNArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.runDiff(cmd.Context(), args, host)
		},
	}
	c.Flags().StringVar(&host, "host", "", "latest is the newest snapshot of this host, not this computer's (a snapshot ID must be of it)")
	return c
}

type diffChangeJSON struct {
	Path       string `json:"path"`
	Change     string `json:"change"`         // added, removed, modified
	What       string `json:"what,omitempty"` // for modified: content, tags, target, attributes
	Type       string `json:"type"`           // file, dir, symlink (after the change, or before a removal)
	SizeBefore *int64 `json:"size_before,omitempty"`
	SizeAfter  *int64 `json:"size_after,omitempty"`
}

type diffCounts struct {
	Added    int64 `json:"added"`
	Removed  int64 `json:"removed"`
	Modified int64 `json:"modified"`
	// Of the modified files: tags only, content, and attributes only.
	Tags       int64 `json:"tags"`
	Content    int64 `json:"content"`
	Attributes int64 `json:"attributes"`
	// File bytes in the added and in the removed files.
	BytesAdded   int64 `json:"bytes_added"`
	BytesRemoved int64 `json:"bytes_removed"`
}

type diffJSON struct {
	From    snapshotJSON     `json:"from"`
	To      snapshotJSON     `json:"to"`
	Changes []diffChangeJSON `json:"changes"`
	Counts  diffCounts       `json:"counts"`
}

func (a *app) runDiff(ctx context.Context, args []string, host string) error {
	s, err := a.openVault(ctx)
	if err != nil {
		return err
	}
	defer s.Close()
	latest := latestOf(host)
	from, to, damaged, err := diffPair(ctx, s.vault, args, latest)
	a.warnDamaged(damaged)
	// FROM is checked as TO is below, unless both are the same "latest":
	// a fallback to another computer's snapshot is then noted once.
	if err == nil && len(args) == 2 && !(isLatest(args[0]) && isLatest(args[1]) && from.ID == to.ID) {
		if _, err := a.checkHost(args[0], latest, from); err != nil {
			return err
		}
	}
	if err == nil || errors.Is(err, errNoEarlier) {
		which := "latest"
		if len(args) > 0 {
			which = args[len(args)-1]
		}
		lostOf, cerr := a.checkHost(which, latest, to)
		if cerr != nil {
			return cerr
		}
		if isLatest(which) {
			// Also when it has no predecessor: a lost newer snapshot
			// may be why.
			a.warnLostNewer(ctx, s, to, lostOf)
		}
	}
	if err != nil {
		return replicaWithout(ctx, s, hostHint(err))
	}
	out := diffJSON{From: newSnapshotJSON(from), To: newSnapshotJSON(to), Changes: []diffChangeJSON{}}
	c := &out.Counts
	trees := &diffTrees{v: s.vault, paths: map[vault.ID]string{}}
	err = snapdiff.Diff(ctx, trees, from.Tree, to.Tree, func(ch snapdiff.Change) error {
		n := ch.After
		if n == nil {
			n = ch.Before
		}
		e := diffChangeJSON{Path: ch.Path, Change: string(ch.Kind), What: string(ch.What), Type: n.Type}
		if ch.Before != nil && ch.Before.Type == vault.TypeFile {
			e.SizeBefore = &ch.Before.Size
		}
		if ch.After != nil && ch.After.Type == vault.TypeFile {
			e.SizeAfter = &ch.After.Size
		}
		switch ch.Kind {
		case snapdiff.Added:
			c.Added++
			c.BytesAdded += ch.After.Size
		case snapdiff.Removed:
			c.Removed++
			c.BytesRemoved += ch.Before.Size
		case snapdiff.Modified:
			c.Modified++
			switch ch.What {
			case snapdiff.Tags:
				c.Tags++
			case snapdiff.Content:
				c.Content++
			case snapdiff.Attributes:
				c.Attributes++
			}
		}
		if a.json {
			out.Changes = append(out.Changes, e)
			return nil
		}
		// Printed as found: a diff of a large library starts at once.
		return a.printDiffLine(e)
	})
	if err != nil {
		return treeHint(err, "diff")
	}
	if a.json {
		return a.printJSON(out)
	}
	a.printf("%s\n", diffSummary(from, to, *c, otherComputer(from) || otherComputer(to)))
	return nil
}

// diffTrees reads the trees of a diff through restore.ReadTree, so that a
// tree the vault lost or holds damaged is a *restore.TreeError (exit code
// 4) naming its folder: it notes the path of each folder in the trees it
// has read.
type diffTrees struct {
	v     *vault.Vault
	paths map[vault.ID]string // "" for the top folders
}

// Hasher names content as the vault does.
func (d *diffTrees) Hasher() vault.Hasher { return d.v.Hasher() }

func (d *diffTrees) GetTree(ctx context.Context, id vault.ID) (*vault.Tree, error) {
	dir := d.paths[id]
	t, err := restore.ReadTree(ctx, d.v, id, dir)
	if err != nil {
		return nil, err
	}
	for _, n := range t.Nodes {
		if n.Type != vault.TypeDir {
			continue
		}
		if _, ok := d.paths[*n.Subtree]; !ok {
			d.paths[*n.Subtree] = path.Join(dir, n.FileName())
		}
	}
	return t, nil
}

// printDiffLine prints one change: "+ path", "- path", "M path (tags)";
// folders end in "/".
func (a *app) printDiffLine(e diffChangeJSON) error {
	mark := map[string]string{"added": "+", "removed": "-", "modified": "M"}[e.Change]
	p := e.Path
	if e.Type == vault.TypeDir {
		p += "/"
	}
	what := ""
	if e.What != "" {
		what = " (" + e.What + ")"
	}
	_, err := fmt.Fprintf(a.stdout, "%s %s%s\n", mark, p, what)
	return err
}

// diffSummary is the last line of a diff; with hosts, it names the
// snapshots' hosts (those of another computer than this one).
func diffSummary(from, to vault.SnapshotRef, c diffCounts, hosts bool) string {
	var b strings.Builder
	name := func(s vault.SnapshotRef) string {
		n := short(s.ID.String()) + " (" + s.Time.Local().Format(snapshotTime)
		if hosts {
			n += ", " + s.Host
		}
		return n + ")"
	}
	fmt.Fprintf(&b, "from %s to %s: ", name(from), name(to))
	if c.Added+c.Removed+c.Modified == 0 {
		b.WriteString("no changes")
		return b.String()
	}
	fmt.Fprintf(&b, "%d added (%s), %d removed (%s), %d modified", c.Added, bytesize.Format(c.BytesAdded),
		c.Removed, bytesize.Format(c.BytesRemoved), c.Modified)
	var parts []string
	if c.Tags > 0 {
		parts = append(parts, fmt.Sprintf("%d tags only", c.Tags))
	}
	if c.Content > 0 {
		parts = append(parts, fmt.Sprintf("%d content", c.Content))
	}
	if c.Attributes > 0 {
		parts = append(parts, fmt.Sprintf("%d attributes only", c.Attributes))
	}
	if other := c.Modified - c.Tags - c.Content - c.Attributes; other > 0 {
		parts = append(parts, fmt.Sprintf("%d symlink targets", other))
	}
	if len(parts) > 0 {
		b.WriteString(" (" + strings.Join(parts, ", ") + ")")
	}
	return b.String()
}

// errNoEarlier is the error of a one-snapshot diff of a host's first
// snapshot.
var errNoEarlier = errors.New("nothing to compare it with")

// diffPair resolves the command's arguments to the two snapshots to
// compare, "latest" as latest says, and returns the damaged snapshots left
// out on the way.
func diffPair(ctx context.Context, v *vault.Vault, args []string, latest vault.Latest) (from, to vault.SnapshotRef, damaged []vault.DamagedSnapshot, err error) {
	find := func(which string) (vault.SnapshotRef, error) {
		ref, more, err := v.FindReadableSnapshot(ctx, which, latest)
		damaged = addDamaged(damaged, more)
		return ref, err
	}
	if len(args) == 2 {
		if from, err = find(args[0]); err != nil {
			return
		}
		to, err = find(args[1])
		return
	}
	which := "latest"
	if len(args) == 1 {
		which = args[0]
	}
	if to, err = find(which); err != nil {
		return
	}
	all, more, err := v.ReadableSnapshots(ctx)
	damaged = addDamaged(damaged, more)
	if err != nil {
		return
	}
	if p, ok := predecessor(all, to); ok {
		return p, to, damaged, nil
	}
	err = withHint(fmt.Errorf("snapshot %s is the first of %s: %w", short(to.ID.String()), to.Host, errNoEarlier),
		"compare two snapshots with 'tunesafe diff FROM TO' ('tunesafe snapshots' lists them)")
	return
}

// addDamaged adds to damaged those of more it does not hold yet: each
// listing finds the same damaged snapshots, and each is told of once.
func addDamaged(damaged, more []vault.DamagedSnapshot) []vault.DamagedSnapshot {
	for _, d := range more {
		if !slices.ContainsFunc(damaged, func(o vault.DamagedSnapshot) bool { return o.ID == d.ID }) {
			damaged = append(damaged, d)
		}
	}
	return damaged
}

// predecessor is the snapshot s was based on (its parent, when the vault
// still has it), or else the newest earlier snapshot of the same host, a
// complete one rather than a checkpoint.
func predecessor(all []vault.SnapshotRef, s vault.SnapshotRef) (vault.SnapshotRef, bool) {
	if s.Parent != nil {
		for _, o := range all {
			if o.ID == *s.Parent {
				return o, true
			}
		}
	}
	var best *vault.SnapshotRef
	for i := range all {
		o := &all[i]
		if o.ID == s.ID || o.Host != s.Host || !o.Time.Before(s.Time) {
			continue
		}
		if best == nil || (best.Partial && !o.Partial) || (best.Partial == o.Partial && o.Time.After(best.Time)) {
			best = o
		}
	}
	if best == nil {
		return vault.SnapshotRef{}, false
	}
	return *best, true
}
