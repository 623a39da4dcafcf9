// Package prune deletes what no snapshot needs any more, and forget removes
// snapshots by a retention policy.
//
// Prune is safe alongside backups: it holds the vault's exclusive lock
// (package locks) while it decides and deletes, so no backup can be
// referencing a blob it removes; a backup that starts meanwhile waits. Before
// the first delete it leaves a marker under prunes/, so that every
// computer's cache stops trusting its list of stored objects. Every delete
// goes through the store chain, where the tamper-evident log records it with
// the reason carried in the context.
package prune

import (
	"context"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/tunesafe/tunesafe/internal/vault"
)

// Result of a prune.
type Result struct {
	Snapshots    int   `json:"snapshots"`
	Referenced   int   `json:"referenced_objects"`
	Unreferenced int   `json:"unreferenced_objects"`
	Deleted      int   `json:"deleted"`
	BytesFreed   int64 `json:"bytes_freed"`
	DryRun       bool  `json:"dry_run"`
}

// Options for Run.
type Options struct {
	DryRun bool
	// Workers deletes in parallel (default 8).
	Workers int
	// Keep, if set, protects objects from deletion (e.g. under Object Lock
	// retention); it reports whether key must stay.
	Keep func(key string) bool
}

// listReaders is how many lists Referenced reads at once: a vault has
// about one per track, and each is a small request.
const listReaders = 8

// Referenced returns every tree and blob reachable from the snapshots, the
// blobs named by lists included. A tree or list that cannot be read is an
// error: deciding without it could delete data a snapshot needs.
func Referenced(ctx context.Context, v *vault.Vault, snaps []vault.SnapshotRef) (trees, blobs map[vault.ID]struct{}, err error) {
	trees, blobs = map[vault.ID]struct{}{}, map[vault.ID]struct{}{}
	type list struct {
		id   vault.ID
		file string
	}
	var lists []list
	seen := map[vault.ID]struct{}{}
	var walk func(id vault.ID) error
	walk = func(id vault.ID) error {
		if _, ok := trees[id]; ok {
			return nil
		}
		trees[id] = struct{}{}
		t, err := v.GetTree(ctx, id)
		if err != nil {
			return fmt.Errorf("tree %s: %w", id, err)
		}
		for i := range t.Nodes {
			n := &t.Nodes[i]
			for _, b := range n.Blobs {
				blobs[b] = struct{}{}
			}
			for _, l := range n.ListIDs() {
				if _, ok := seen[l]; !ok {
					seen[l] = struct{}{}
					lists = append(lists, list{l, n.FileName()})
				}
			}
			if n.Subtree != nil {
				if err := walk(*n.Subtree); err != nil {
					return err
				}
			}
		}
		return nil
	}
	for _, s := range snaps {
		if err := walk(s.Tree); err != nil {
			return nil, nil, fmt.Errorf("snapshot %s: %w", s.ID.String()[:12], err)
		}
		for _, b := range s.Library {
			blobs[b] = struct{}{}
		}
	}

	// The lists, several at a time.
	var mu sync.Mutex
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(listReaders)
	for _, l := range lists {
		g.Go(func() error {
			ids, err := v.ReadList(gctx, l.id)
			if err != nil {
				return fmt.Errorf("list %s of %q: %w", l.id, l.file, err)
			}
			mu.Lock()
			for _, b := range ids {
				blobs[b] = struct{}{}
			}
			mu.Unlock()
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, nil, err
	}
	return trees, blobs, nil
}

// Run deletes unreferenced blobs and trees. The caller holds the exclusive
// lock and puts the delete reason in ctx.
func Run(ctx context.Context, v *vault.Vault, o Options) (*Result, error) {
	if o.Workers <= 0 {
		o.Workers = 8
	}
	snaps, err := v.Snapshots(ctx)
	if err != nil {
		return nil, err
	}
	trees, blobs, err := Referenced(ctx, v, snaps)
	if err != nil {
		return nil, fmt.Errorf("cannot decide what is unreferenced: %w", err)
	}
	res := &Result{Snapshots: len(snaps), Referenced: len(trees) + len(blobs), DryRun: o.DryRun}
	type victim struct {
		key  string
		size int64
	}
	var victims []victim
	for _, kind := range []struct {
		prefix string
		refs   map[vault.ID]struct{}
		key    func(vault.ID) string
	}{{"blobs/", blobs, vault.BlobKey}, {"trees/", trees, vault.TreeKey}} {
		err := v.ListIDs(ctx, kind.prefix, func(id vault.ID, size int64) error {
			if _, ok := kind.refs[id]; !ok {
				k := kind.key(id)
				if o.Keep == nil || !o.Keep(k) {
					victims = append(victims, victim{k, size})
				}
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	res.Unreferenced = len(victims)
	if o.DryRun || len(victims) == 0 {
		for _, vi := range victims {
			res.BytesFreed += vi.size
		}
		return res, nil
	}
	host, _ := os.Hostname()
	var total int64
	for _, vi := range victims {
		total += vi.size
	}
	if _, err := v.MarkPrune(ctx, vault.PruneRecord{Time: time.Now(), Host: host, Deleted: len(victims), Bytes: total}); err != nil {
		return nil, fmt.Errorf("write prune marker: %w", err)
	}
	var (
		deleted atomic.Int64
		freed   atomic.Int64
		mu      sync.Mutex
		first   error
		wg      sync.WaitGroup
	)
	jobs := make(chan victim)
	for range o.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for vi := range jobs {
				if err := v.Store().Delete(ctx, vi.key); err != nil {
					mu.Lock()
					if first == nil {
						first = fmt.Errorf("delete %s: %w", vi.key, err)
					}
					mu.Unlock()
					continue
				}
				deleted.Add(1)
				freed.Add(vi.size)
			}
		}()
	}
	for _, vi := range victims {
		jobs <- vi
	}
	close(jobs)
	wg.Wait()
	res.Deleted, res.BytesFreed = int(deleted.Load()), freed.Load()
	return res, first
}
