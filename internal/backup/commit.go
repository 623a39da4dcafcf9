package backup

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"os/user"
	"slices"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/tunesafe/tunesafe/internal/state"
	"github.com/tunesafe/tunesafe/internal/store"
	"github.com/tunesafe/tunesafe/internal/vault"
)

// ensureKnown fills the cache's set of stored objects from the vault once,
// when the cache is new (deleted, or a new computer).
//
// A prune (on any computer) leaves a marker under prunes/; when the newest
// marker is not the one this cache last saw, objects the cache believes
// stored may be gone, so the known set is rebuilt from a fresh listing.
func (r *run) ensureKnown(ctx context.Context) error {
	if err := r.listKnown(ctx); err != nil {
		return err
	}
	return r.loadKnown(ctx)
}

// loadKnown reads the set of stored objects into memory: one query instead
// of one per chunk.
func (r *run) loadKnown(ctx context.Context) error {
	r.known = map[vault.ID]struct{}{}
	err := r.c.Objects(ctx, func(b []byte) {
		var id vault.ID
		if len(b) == len(id) {
			copy(id[:], b)
			r.known[id] = struct{}{}
		}
	})
	if err != nil {
		return fmt.Errorf("read cache: %w", err)
	}
	return nil
}

// ForgetDamaged makes the cache c forget the objects ids, which an audit
// found lost or corrupted, together with the cached files and folders that
// name them (state.Cache.ForgetDamaged). The next pass then reads those
// files and folders again and stores what they still hold: the same content
// gives the same IDs, so a lost tree of an unchanged folder, or a lost blob,
// list or piece of audio of an unchanged file, is stored again under its
// key.
//
// A piece of a track's audio is named by a list blob, not by the file's
// entry. When some damaged ID is named by no cached entry or folder, the
// lists the cached entries name are read from lists (the vault), once each,
// to find the files whose audio holds it; a list that cannot be read counts
// as holding it, so that its files are read again rather than trusted.
func ForgetDamaged(ctx context.Context, c *state.Cache, lists ListReader, ids []vault.ID) error {
	if len(ids) == 0 {
		return nil
	}
	damaged := make(map[vault.ID]bool, len(ids))
	raw := make([][]byte, 0, len(ids))
	for _, id := range ids {
		damaged[id] = true
		raw = append(raw, append([]byte(nil), id[:]...))
	}
	holding, err := listsHolding(ctx, c, lists, damaged)
	if err != nil {
		return err
	}
	return c.ForgetDamaged(ctx, raw, func(node []byte) bool {
		var n struct {
			Blobs []vault.ID `json:"blobs"`
		}
		// A node that does not decode is read again by the scan anyway.
		if json.Unmarshal(node, &n) != nil {
			return false
		}
		for _, id := range n.Blobs {
			if damaged[id] || holding[id] {
				return true
			}
		}
		return false
	})
}

// ListReader reads a list blob: the IDs it names.
type ListReader interface {
	ReadList(ctx context.Context, id vault.ID) ([]vault.ID, error)
}

// listsHolding returns the lists, among those the cached file entries
// name, that name one of the damaged IDs no entry or folder names itself.
// It reads no list when every damaged ID is accounted for.
func listsHolding(ctx context.Context, c *state.Cache, lists ListReader, damaged map[vault.ID]bool) (map[vault.ID]bool, error) {
	unnamed := maps.Clone(damaged)
	named := map[vault.ID]bool{}
	err := c.FileNodes(ctx, func(node []byte) {
		var n vault.Node
		if json.Unmarshal(node, &n) != nil {
			return
		}
		for _, id := range n.Blobs {
			delete(unnamed, id)
		}
		for _, id := range n.ListIDs() {
			named[id] = true
		}
	})
	if err != nil {
		return nil, fmt.Errorf("read cache: %w", err)
	}
	if len(unnamed) == 0 || len(named) == 0 {
		return nil, nil
	}
	dirs, err := c.Dirs(ctx)
	if err != nil {
		return nil, fmt.Errorf("read cache: %w", err)
	}
	for _, d := range dirs {
		if len(d.Tree) == len(vault.ID{}) {
			delete(unnamed, vault.ID(d.Tree))
		}
	}
	if len(unnamed) == 0 {
		return nil, nil
	}
	var mu sync.Mutex
	holding := map[vault.ID]bool{}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(8)
	for id := range named {
		g.Go(func() error {
			members, err := lists.ReadList(gctx, id)
			if gctx.Err() != nil {
				return gctx.Err()
			}
			hit := err != nil // unreadable: its files are read again
			for _, m := range members {
				hit = hit || unnamed[m]
			}
			if hit {
				mu.Lock()
				holding[id] = true
				mu.Unlock()
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return holding, nil
}

// OwnMarker tells c that the marker key (Vault.MarkDamage), which this
// computer just wrote about objects its cache already forgot
// (ForgetDamaged), is no news to it. Other computers' caches learn of a
// marker by listing the vault again at their next backup; this one had
// nothing to learn from it, provided it had seen every marker before it:
// others are the markers under prunes/ newer than the one c saw last, and
// it is told only when they are key alone. Without this, the next backup
// here would list the whole vault again and forget the objects anew,
// even those a repair has since stored again, and upload them again.
func OwnMarker(ctx context.Context, c *state.Cache, v *vault.Vault, key string) error {
	done, err := c.Meta(ctx, "objects-listed")
	if err != nil || done != "1" {
		return err
	}
	seen, err := c.Meta(ctx, "prune-seen")
	if err != nil {
		return err
	}
	newer, err := v.PrunesAfter(ctx, seen)
	if err != nil {
		return err
	}
	if len(newer) != 1 || newer[0] != key {
		return nil // another's marker to learn from: the next backup lists
	}
	return c.SetMeta(ctx, "prune-seen", key)
}

func (r *run) listKnown(ctx context.Context) error {
	done, err := r.c.Meta(ctx, "objects-listed")
	if err != nil {
		return fmt.Errorf("read cache: %w", err)
	}
	lastPrune, err := r.v.LastPrune(ctx)
	if err != nil {
		return fmt.Errorf("list prunes: %w", err)
	}
	seen, err := r.c.Meta(ctx, "prune-seen")
	if err != nil {
		return fmt.Errorf("read cache: %w", err)
	}
	if done == "1" && seen == lastPrune {
		return nil
	}
	// A check on some computer found these lost or corrupted: forget
	// them once the listing is in, which may still show them.
	if done != "1" {
		seen = ""
	}
	marks, err := r.v.DamageMarks(ctx, seen)
	if err != nil {
		return fmt.Errorf("read damage markers: %w", err)
	}
	// An object is damaged as of the newest marker naming it.
	marked := make(map[vault.ID]time.Time, len(marks))
	for _, m := range marks {
		if t, ok := marked[m.ID]; !ok || m.Marked.After(t) {
			marked[m.ID] = m.Marked
		}
	}
	if err := r.c.ResetObjects(ctx); err != nil {
		return err
	}
	// Cached file nodes may name blobs the prune removed: check them.
	r.verifyCached = true
	b := r.c.Batch()
	for _, prefix := range []string{"blobs/", "trees/"} {
		err := r.v.ListObjects(ctx, prefix, func(id vault.ID, info store.Info) error {
			// Written after the newest marker that names it, by the
			// storage's own clock: stored again since (a repair), not
			// to be forgotten. A new cache reads every marker ever
			// written, and would otherwise upload again all that the
			// repairs put back.
			if t, ok := marked[id]; ok && !t.IsZero() && info.ModTime.After(t) {
				delete(marked, id)
			}
			b.AddObject(append([]byte(nil), id[:]...))
			if b.Len() >= 10000 {
				return b.Commit(ctx)
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("list vault objects: %w", err)
		}
	}
	if err := b.Commit(ctx); err != nil {
		return err
	}
	damaged := slices.Collect(maps.Keys(marked))
	if err := ForgetDamaged(ctx, r.c, r.v, damaged); err != nil {
		return err
	}
	if err := r.c.SetMeta(ctx, "prune-seen", lastPrune); err != nil {
		return err
	}
	return r.c.SetMeta(ctx, "objects-listed", "1")
}

// startCheckpoints commits a partial snapshot every CheckpointEvery until
// the returned function is called.
func (r *run) startCheckpoints(ctx context.Context) func() {
	if r.o.CheckpointEvery < 0 {
		return func() {}
	}
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(r.o.CheckpointEvery)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-ctx.Done():
				return
			case <-t.C:
				if !r.holdsFiles() {
					continue // nothing to restore from it yet
				}
				if _, err := r.commit(ctx, true); err != nil {
					r.o.Logger.Warn("checkpoint failed", "err", err)
				} else {
					r.o.Logger.Info("checkpoint committed")
				}
			}
		}
	}()
	return func() { close(stop); <-done }
}

// commit builds the trees of everything stored so far and writes a
// snapshot. A partial commit leaves out files not yet stored. The previous
// checkpoint of this pass is removed once the new snapshot is stored.
func (r *run) commit(ctx context.Context, partial bool) (vault.ID, error) {
	r.commitM.Lock()
	defer r.commitM.Unlock()
	g := &group{}
	root := &vault.Tree{}
	var stats vault.Stats
	for _, e := range r.roots {
		n, _, err := r.nodeOf(e, partial, g, &stats)
		if err != nil {
			g.wg.Wait()
			return vault.ID{}, err
		}
		if n != nil {
			root.Nodes = append(root.Nodes, *n)
		}
	}
	rootID, err := r.putTree(root, g)
	g.wg.Wait()
	if err != nil {
		return vault.ID{}, err
	}
	if err := r.up.ctx.Err(); err != nil {
		return vault.ID{}, context.Cause(r.up.ctx)
	}
	s := &vault.Snapshot{
		Time: r.start.UTC(), Host: r.o.Host, Paths: absPaths(r.o.Paths), Tree: rootID, Tags: r.o.Tags,
		Partial: partial, Stats: stats, Program: r.o.Program,
	}
	if u, err := user.Current(); err == nil {
		s.Username = u.Username
	}
	if s.Host == "" {
		s.Host, _ = os.Hostname()
	}
	if r.o.Extra != nil {
		if err := r.o.Extra(ctx, s); err != nil {
			return vault.ID{}, err
		}
	}
	if !partial && r.o.SkipIfUnchanged && r.checkpoint == nil {
		if prev, ok := r.unchangedSince(ctx, s); ok {
			r.res.Unchanged = true
			// The files an interrupted pass stored, and this one reused,
			// are then as the complete snapshot prev holds them.
			r.res.FilesNew -= r.pendingNew
			r.res.FilesChanged -= r.pendingChanged
			r.res.FilesUnchanged += r.pendingNew + r.pendingChanged
			// prev holds what this pass holds: the files found gone
			// were already gone from it.
			r.res.FilesRemoved = 0
			return prev, nil
		}
	}
	if r.probe {
		return vault.ID{}, errWouldStore
	}
	id, err := r.v.PutSnapshot(ctx, s)
	if err != nil {
		return vault.ID{}, err
	}
	if r.o.OnCommit != nil {
		if err := r.o.OnCommit(ctx, id, s); err != nil {
			return vault.ID{}, err
		}
	}
	if partial {
		// Recorded before the previous one goes, so that a kill between
		// the two leaves both on the record.
		m := r.checkpoints(ctx)
		m[id.String()] = s.Paths
		r.setCheckpoints(ctx, m)
	}
	if r.checkpoint != nil && *r.checkpoint != id {
		if err := r.v.DeleteSnapshot(ctx, *r.checkpoint); err != nil {
			r.o.Logger.Warn("remove superseded checkpoint", "err", err)
		} else {
			m := r.checkpoints(ctx)
			delete(m, r.checkpoint.String())
			r.setCheckpoints(ctx, m)
		}
	}
	r.held = stats
	if partial {
		r.checkpoint = &id
	} else {
		r.checkpoint = nil
		r.removeOldCheckpoints(ctx, s, id)
	}
	return id, nil
}

// unchangedSince returns the newest snapshot of s's host when s would
// repeat it: the same root tree, paths, tags and library view, and that
// snapshot complete. A vault whose snapshots cannot all be read, or be
// listed, gets the new snapshot: a damaged one may be the newest.
func (r *run) unchangedSince(ctx context.Context, s *vault.Snapshot) (vault.ID, bool) {
	refs, damaged, err := r.v.ReadableSnapshots(ctx)
	if err != nil || len(damaged) > 0 {
		r.o.Logger.Debug("snapshots not all readable; writing a snapshot", "err", err, "damaged", len(damaged))
		return vault.ID{}, false
	}
	for i := len(refs) - 1; i >= 0; i-- { // oldest first
		p := refs[i]
		if p.Host != s.Host {
			continue
		}
		same := !p.Partial && p.Tree == s.Tree && samePaths(p.Paths, s.Paths) &&
			slices.Equal(p.Tags, s.Tags) && slices.Equal(p.Library, s.Library)
		return p.ID, same
	}
	return vault.ID{}, false
}

// checkpointsMeta is the cache's record of the checkpoints this computer
// wrote and has not removed: snapshot ID to the source paths.
const checkpointsMeta = "checkpoints"

// checkpoints returns the record of this computer's checkpoints.
func (r *run) checkpoints(ctx context.Context) map[string][]string {
	m := map[string][]string{}
	if s, err := r.c.Meta(ctx, checkpointsMeta); err == nil && s != "" {
		json.Unmarshal([]byte(s), &m)
	}
	return m
}

func (r *run) setCheckpoints(ctx context.Context, m map[string][]string) {
	b, _ := json.Marshal(m)
	if err := r.c.SetMeta(ctx, checkpointsMeta, string(b)); err != nil {
		r.o.Logger.Warn("record checkpoints", "err", err)
	}
}

// removeOldCheckpoints deletes the checkpoints that earlier, interrupted
// passes over the same paths on this computer left behind, as the cache
// recorded them: the complete snapshot just written holds everything they
// held. Reading every snapshot of the vault to find them would cost a
// request per snapshot on every run. Failing to delete one is not an error
// of the backup.
func (r *run) removeOldCheckpoints(ctx context.Context, s *vault.Snapshot, keep vault.ID) {
	m := r.checkpoints(ctx)
	changed := false
	for id, paths := range m {
		if id == keep.String() || !samePaths(paths, s.Paths) {
			continue
		}
		old, err := vault.ParseID(id)
		if err == nil {
			if err := r.v.DeleteSnapshot(ctx, old); err != nil {
				r.o.Logger.Warn("remove old checkpoint", "id", id, "err", err)
				continue
			}
		}
		delete(m, id)
		changed = true
	}
	if changed {
		r.setCheckpoints(ctx, m)
	}
}

func samePaths(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// nodeOf returns the node of e for a commit, storing directory trees; nil
// when a partial commit has nothing of e yet. complete says that e and
// everything below it are in the node: such a directory's tree is recorded
// in the cache with its fingerprint, for the next pass's fast path.
func (r *run) nodeOf(e *entry, partial bool, g *group, stats *vault.Stats) (n *vault.Node, complete bool, err error) {
	if !e.isDir() {
		n := e.node.Load()
		if n == nil {
			return nil, false, nil
		}
		if n.Type == vault.TypeFile {
			stats.Files++
			stats.Bytes += n.Size
		}
		return n, true, nil
	}
	dirNode := func(id vault.ID) *vault.Node {
		n := &vault.Node{Type: vault.TypeDir, Mode: vault.UnixMode(e.mode), MTime: e.mtime(), Subtree: &id}
		n.SetName(e.name)
		return n
	}
	if d := e.cached; d != nil {
		var id vault.ID
		copy(id[:], d.Tree)
		stats.Files += d.AllFiles
		stats.Bytes += d.AllBytes
		stats.Dirs += 1 + d.AllDirs
		return dirNode(id), true, nil
	}
	before := *stats
	t := &vault.Tree{}
	complete = e.clean
	var files, bytes int64
	for _, c := range e.children {
		cn, cc, err := r.nodeOf(c, partial, g, stats)
		if err != nil {
			return nil, false, err
		}
		complete = complete && cc
		if cn != nil {
			t.Nodes = append(t.Nodes, *cn)
			if cn.Type == vault.TypeFile {
				files++
				bytes += cn.Size
			}
		}
	}
	if partial && len(t.Nodes) == 0 && len(e.children) > 0 {
		return nil, false, nil
	}
	id, err := r.putTree(t, g)
	if err != nil {
		return nil, false, err
	}
	if complete && e.fp != nil {
		// Pending until the pass completes (runPass settles it), even from
		// the final commit: a kill before then leaves it pending, which
		// costs the next pass only the slow path through this directory.
		r.up.recordDir(e.path, state.DirEntry{
			FP: e.fp, Tree: append([]byte(nil), id[:]...), Files: files, Bytes: bytes,
			AllFiles: stats.Files - before.Files, AllBytes: stats.Bytes - before.Bytes, AllDirs: stats.Dirs - before.Dirs,
			Pending: true,
		})
	}
	stats.Dirs++
	return dirNode(id), complete, nil
}

func (r *run) putTree(t *vault.Tree, g *group) (vault.ID, error) {
	enc, err := r.v.EncodeTree(t)
	if err != nil {
		return vault.ID{}, err
	}
	return enc.ID, r.up.put(enc.ID, enc.Plain, true, g)
}

// remaining counts the files and bytes not stored by this pass, for
// Progress.Remaining while it runs.
func (r *run) remaining() (files, bytes int64) {
	var walk func([]*entry)
	walk = func(es []*entry) {
		for _, e := range es {
			if e.isDir() {
				walk(e.children)
			} else if e.node.Load() == nil && e.mode.IsRegular() {
				files++
				bytes += e.st.Size
			}
		}
	}
	walk(r.roots)
	return files, bytes
}
