package backup

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tunesafe/tunesafe/internal/state"
	"github.com/tunesafe/tunesafe/internal/vault"
)

// group tracks the uploads one file (or one commit) waits for.
type group struct {
	wg sync.WaitGroup
	// lost is set when an upload the group waited for ended without
	// storing its object while the pass went on: another file's upload of
	// the same blob, stopped by a limit (errLimit). The file is then not
	// stored.
	lost atomic.Bool
}

// uploader stores blobs and trees in parallel, each object at most once per
// pass, and records every stored object in the cache as soon as it is
// stored, in small group commits, so that progress survives a kill.
type uploader struct {
	r      *run
	ctx    context.Context
	cancel context.CancelCauseFunc
	jobs   chan job
	rec    chan record
	wg     sync.WaitGroup
	recWG  sync.WaitGroup

	// bytes bounds the bytes of blobs queued or being uploaded, so that
	// memory does not depend on how far the readers run ahead, and so that
	// a kill on a slow line loses little (see window).
	bytes *window
	bufs  bufPool

	mu       sync.Mutex
	known    map[vault.ID]struct{}
	inflight map[vault.ID]chan struct{}
}

// maxQueued is the most blob bytes queued or being uploaded at once, on
// the fastest line: room for 16 average blobs in flight while the readers
// cut more, and far less than a reader's chunker holds.
const maxQueued = 16 << 20

type job struct {
	id   vault.ID
	data []byte
	tree bool
	g    *group
	done chan struct{}
}

// record is one write to the cache: an object ID or a finished file.
type record struct {
	id      *vault.ID
	dir     string
	name    string
	file    *state.FileEntry
	dirTree *state.DirEntry
}

func newUploader(ctx context.Context, r *run) *uploader {
	ctx, cancel := context.WithCancelCause(ctx)
	u := &uploader{
		r: r, ctx: ctx, cancel: cancel,
		jobs:     make(chan job, r.o.Uploaders),
		rec:      make(chan record, 1024),
		known:    r.known,
		inflight: map[vault.ID]chan struct{}{},
		bytes:    newWindow(maxQueued),
	}
	u.bytes.inFlight = &r.p.BytesInFlight
	for range r.o.Uploaders {
		u.wg.Add(1)
		go u.worker()
	}
	u.recWG.Add(1)
	go u.recorder()
	return u
}

// put stores data under its ID unless the vault already has it. data may
// be reused by the caller after put returns. g waits for the upload. A
// blob (not a tree) is refused with errLimit once a limit stops the pass.
func (u *uploader) put(id vault.ID, data []byte, tree bool, g *group) error {
	return u.send(id, data, tree, !tree, g)
}

// send is put; limited says whether a limit refuses the object.
func (u *uploader) send(id vault.ID, data []byte, tree, limited bool, g *group) error {
	if err := u.ctx.Err(); err != nil {
		return context.Cause(u.ctx)
	}
	u.mu.Lock()
	if _, ok := u.known[id]; ok {
		u.mu.Unlock()
		return nil
	}
	if ch, ok := u.inflight[id]; ok {
		u.mu.Unlock()
		g.wg.Add(1)
		go func() {
			defer g.wg.Done()
			select {
			case <-ch:
				u.mu.Lock()
				_, stored := u.known[id]
				u.mu.Unlock()
				if !stored {
					g.lost.Store(true)
				}
			case <-u.ctx.Done():
			}
		}()
		return nil
	}
	if u.r.probe {
		u.mu.Unlock()
		return errWouldStore
	}
	done := make(chan struct{})
	u.inflight[id] = done
	u.mu.Unlock()

	g.wg.Add(1)
	weight := queuedWeight(data)
	// A blob waits for room in the window, and is queued, only while no
	// limit stops the pass; the trees of the checkpoint that follows a
	// limit must go.
	var stop func() error
	if limited {
		stop = u.r.limitErr
	}
	if err := u.bytes.acquire(u.ctx, weight, stop); err != nil {
		g.wg.Done()
		u.finish(id, done, false)
		if errors.Is(err, errLimit) {
			return err
		}
		return context.Cause(u.ctx)
	}
	if !u.r.reserve(int64(len(data)), !limited) {
		u.r.limitReached() // sets the StopReason
		u.bytes.cancel(weight)
		g.wg.Done()
		u.finish(id, done, false)
		return errLimit
	}
	select {
	case u.jobs <- job{id: id, data: u.bufs.copyOf(data), tree: tree, g: g, done: done}:
		return nil
	case <-u.ctx.Done():
		u.r.queued.Add(-int64(len(data)))
		u.bytes.cancel(weight)
		g.wg.Done()
		u.finish(id, done, false)
		return context.Cause(u.ctx)
	}
}

// queuedWeight is what data counts against maxQueued: a tree larger than
// the bound counts as the bound.
func queuedWeight(data []byte) int64 {
	return min(int64(len(data)), maxQueued)
}

func (u *uploader) finish(id vault.ID, done chan struct{}, ok bool) {
	u.mu.Lock()
	delete(u.inflight, id)
	if ok {
		u.known[id] = struct{}{}
	}
	u.mu.Unlock()
	close(done)
}

func (u *uploader) worker() {
	defer u.wg.Done()
	for j := range u.jobs {
		u.upload(j)
	}
}

func (u *uploader) upload(j job) {
	defer j.g.wg.Done()
	weight := queuedWeight(j.data)
	defer u.bufs.recycle(j.data)
	if u.ctx.Err() != nil {
		u.bytes.cancel(weight)
		u.finish(j.id, j.done, false)
		return
	}
	var n int
	var err error
	start := time.Now()
	if j.tree {
		n, err = u.r.v.PutTree(u.ctx, vault.EncodedTree{ID: j.id, Plain: j.data})
	} else {
		n, err = u.r.v.PutBlob(u.ctx, j.id, j.data)
	}
	if err != nil {
		u.bytes.cancel(weight)
		u.cancel(err)
		u.finish(j.id, j.done, false)
		return
	}
	u.bytes.release(weight, time.Since(start))
	if j.tree {
		u.r.treesUploaded.Add(1)
	} else {
		u.r.p.BlobsUploaded.Add(1)
	}
	u.r.p.BytesUploaded.Add(int64(n))
	id := j.id
	u.rec <- record{id: &id}
	u.finish(j.id, j.done, true)
}

// recordFile queues a finished file for the cache.
func (u *uploader) recordFile(dir, name string, fe state.FileEntry) {
	u.rec <- record{dir: dir, name: name, file: &fe}
}

// recordDir queues a directory's fingerprint and tree for the cache.
func (u *uploader) recordDir(path string, d state.DirEntry) {
	u.rec <- record{dir: path, dirTree: &d}
}

// recorder writes records to the cache in group commits: whatever has
// arrived while the previous commit ran goes into the next one.
func (u *uploader) recorder() {
	defer u.recWG.Done()
	b := u.r.c.Batch()
	add := func(rec record) {
		switch {
		case rec.id != nil:
			b.AddObject(rec.id[:])
		case rec.dirTree != nil:
			b.PutDir(rec.dir, *rec.dirTree)
		default:
			b.PutFile(rec.dir, rec.name, *rec.file)
		}
	}
	for rec := range u.rec {
		add(rec)
	drain:
		for b.Len() < 512 {
			select {
			case more, ok := <-u.rec:
				if !ok {
					break drain
				}
				add(more)
			default:
				break drain
			}
		}
		// The cache must not fail silently: a failed commit only costs a
		// re-upload next time, but the pass reports it.
		if err := b.Commit(context.WithoutCancel(u.ctx)); err != nil {
			u.cancel(err)
		}
	}
	if err := b.Commit(context.WithoutCancel(u.ctx)); err != nil {
		u.cancel(err)
	}
}

// close waits for all uploads and cache writes and returns the first error.
func (u *uploader) close() error {
	close(u.jobs)
	u.wg.Wait()
	close(u.rec)
	u.recWG.Wait()
	// nil unless an upload or the cache failed, or the parent was cancelled.
	err := context.Cause(u.ctx)
	u.cancel(nil)
	return err
}
