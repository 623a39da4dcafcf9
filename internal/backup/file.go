package backup

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tunesafe/tunesafe/internal/chunker"
	"github.com/tunesafe/tunesafe/internal/split"
	"github.com/tunesafe/tunesafe/internal/state"
	"github.com/tunesafe/tunesafe/internal/vault"
)

// localError marks a problem with a local file: warn and go on.
type localError struct{ err error }

func (e *localError) Error() string { return e.err.Error() }
func (e *localError) Unwrap() error { return e.err }

func local(err error) error {
	if err == nil {
		return nil
	}
	return &localError{err}
}

// errChanged: the file changed while it was read.
var errChanged = errors.New("file changed while it was being read")

// processAll runs the metadata and data phases over the changed files.
func (r *run) processAll(ctx context.Context) error {
	var files []*entry
	walkFiles(r.roots, func(e *entry) { files = append(files, e) })

	stopCheckpoints := r.startCheckpoints(ctx)
	defer stopCheckpoints()

	r.p.Phase.Store("metadata")
	if err := r.pool(ctx, files, r.uploadMetadata); err != nil {
		return err
	}
	// The files the metadata phase stored whole (a library's database,
	// playlists) are finished first: their blobs are all stored, and the
	// next checkpoint then holds them, not just their bytes.
	slices.SortStableFunc(files, func(a, b *entry) int {
		return cmpBool(b.allMetadata, a.allMetadata)
	})
	r.p.Phase.Store("data")
	err := r.pool(ctx, files, r.processFile)
	// Files whose blobs are still being uploaded are recorded once they
	// are stored, even when the pool stopped early.
	r.finishing.Wait()
	return err
}

// pool runs fn over files with o.Readers goroutines. Local errors become
// warnings; any other error, or a limit, stops the pool.
func (r *run) pool(ctx context.Context, files []*entry, fn func(context.Context, *entry) error) error {
	var (
		mu    sync.Mutex
		first error
		next  int
		wg    sync.WaitGroup
	)
	take := func() *entry {
		mu.Lock()
		defer mu.Unlock()
		if first != nil || next >= len(files) {
			return nil
		}
		if r.limitReached() {
			first = errLimit
			return nil
		}
		e := files[next]
		next++
		return e
	}
	for range r.o.Readers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for e := take(); e != nil; e = take() {
				err := fn(ctx, e)
				var le *localError
				if errors.As(err, &le) {
					r.skipFile(e, le.err)
					continue
				}
				if err != nil {
					mu.Lock()
					if first == nil {
						first = err
					}
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	if first == nil {
		first = ctx.Err()
	}
	return first
}

// uploadMetadata stores the metadata regions of a changed file ahead of its
// audio. Failures here are not reported: the data phase redoes everything.
func (r *run) uploadMetadata(ctx context.Context, e *entry) error {
	if r.o.Splitter == nil {
		return nil
	}
	f, err := os.Open(e.path)
	if err != nil {
		return nil
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil || !fi.Mode().IsRegular() {
		return nil
	}
	counted := countingReaderAt{r: f, n: &r.p.BytesReadMetadata}
	hp := makePlan(r.o.Splitter, r.o.Rebuilders, e.path, counted, fi.Size(), statOf(fi))
	r.plans.put(e, hp)
	p := hp.plan
	src := p.Stream
	if src == nil {
		src = counted
	}
	g := &group{}
	ch := r.chunker()
	defer r.putChunker(ch)
	all := p.Stream == nil
	for _, reg := range p.Regions {
		if !reg.Kind.Metadata() {
			all = false
			continue
		}
		if _, err := r.chunkRegion(ch, reg, io.NewSectionReader(src, reg.Offset, reg.Length), g); err != nil {
			if ctx.Err() != nil || r.up.ctx.Err() != nil {
				return err
			}
			return nil
		}
	}
	e.allMetadata = all
	return nil
}

// cmpBool orders false before true.
func cmpBool(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	}
	return -1
}

// chunker returns an idle chunker of the pass, or a new one.
func (r *run) chunker() *chunker.Chunker {
	select {
	case ch := <-r.chunkers:
		return ch
	default:
		return chunker.New(nil, r.v.Config().Chunker)
	}
}

// putChunker keeps ch for the next file, if fewer than Readers are idle.
func (r *run) putChunker(ch *chunker.Chunker) {
	select {
	case r.chunkers <- ch:
	default:
	}
}

// chunkRegion cuts one region into blobs and queues them.
func (r *run) chunkRegion(ch *chunker.Chunker, reg split.Region, src io.Reader, g *group) ([]vault.ID, error) {
	var ids []vault.ID
	var stop error // an upload failure or a limit: not the file's fault
	h := r.v.Hasher()
	err := cutRegion(ch, reg.Kind, reg.Length, src, func(data []byte) error {
		id := h.Sum(data)
		// put refuses a blob once a limit is reached; asking after it
		// would drop a file whose last blob it has just queued.
		if err := r.up.put(id, data, false, g); err != nil {
			stop = err
			return err
		}
		ids = append(ids, id)
		return nil
	})
	switch {
	case stop != nil:
		return nil, stop
	case err != nil:
		return nil, local(err)
	}
	return ids, nil
}

// processFile stores one changed file, retrying when it changes while read.
func (r *run) processFile(ctx context.Context, e *entry) error {
	f, err := os.Open(e.path)
	if err != nil {
		return local(err)
	}
	defer f.Close()
	for attempt := 0; attempt < 3; attempt++ {
		fi, err := f.Stat()
		if err != nil {
			return local(err)
		}
		if !fi.Mode().IsRegular() {
			return local(fmt.Errorf("no longer a regular file"))
		}
		before := statOf(fi)
		node, g, err := r.storeFile(e, f, fi.Size(), before)
		if errors.Is(err, errChanged) {
			time.Sleep(time.Duration(attempt+1) * 100 * time.Millisecond)
			continue
		}
		if err != nil {
			return err
		}
		fi2, err := f.Stat()
		if err != nil {
			return local(err)
		}
		after := statOf(fi2)
		if after.Size != before.Size || after.MTime != before.MTime || after.CTime != before.CTime {
			time.Sleep(time.Duration(attempt+1) * 100 * time.Millisecond)
			continue
		}
		node.SetName(e.name)
		node.Mode = vault.UnixMode(fi.Mode())
		node.MTime = fi.ModTime()
		nodeJSON, err := json.Marshal(node)
		if err != nil {
			return err
		}
		// The file is done once its last blobs are stored; meanwhile this
		// reader goes on with the next file.
		r.finishing.Add(1)
		go func() {
			defer r.finishing.Done()
			g.wg.Wait()
			if r.up.ctx.Err() != nil || g.lost.Load() {
				return
			}
			e.node.Store(node)
			r.p.FilesDone.Add(1)
			r.up.recordFile(e.dir, e.name, state.FileEntry{Stat: before, Node: nodeJSON, Pending: e.pending})
		}()
		return nil
	}
	return local(fmt.Errorf("%w, three times; skipped this time", errChanged))
}

// storeFile reads f, whose state is st, and queues the upload of what the
// vault lacks. It returns the file's node and the group of its uploads:
// the node is valid once the group is done and the uploader has not failed.
func (r *run) storeFile(e *entry, f *os.File, size int64, st state.Stat) (*vault.Node, *group, error) {
	hp, ok := r.plans.take(e)
	if ok && hp.stat == st {
		hp.src.setFile(f)
	} else {
		hp = makePlan(r.o.Splitter, r.o.Rebuilders, e.path, f, size, st)
	}
	g := &group{}
	ch := r.chunker()
	defer r.putChunker(ch)
	var fb fileBlobs
	h := r.v.Hasher()
	region := func(reg split.Region, src io.Reader) error {
		ids, err := r.chunkRegion(ch, reg, src, g)
		if err != nil {
			return err
		}
		// A list of blobs completes a file all of whose blobs are
		// queued: it goes past a limit, as the trees do.
		return fb.add(h, reg.Kind, ids, func(id vault.ID, data []byte) error {
			return r.up.send(id, data, false, false, g)
		})
	}
	sum, layout, err := cutFile(hp, f, size, r.o.Rebuilders, r.p, region, func() {
		r.o.Logger.Debug("split rebuild differs; plain chunking", "path", e.path, "layout", hp.plan.Layout)
		fb = fileBlobs{}
	})
	if le := (*localError)(nil); errors.As(err, &le) {
		// A file cut short while it was read fails here (the stored
		// stream reads the file), and is read again.
		if fi, serr := f.Stat(); serr == nil && statOf(fi) != st {
			return nil, nil, errChanged
		}
	}
	if err != nil {
		return nil, nil, err
	}
	if err := r.up.ctx.Err(); err != nil {
		return nil, nil, context.Cause(r.up.ctx)
	}
	return &vault.Node{
		Type: vault.TypeFile, Size: size,
		SHA256: hex.EncodeToString(sum),
		Layout: layout, Blobs: fb.blobs, Lists: fb.lists,
	}, g, nil
}

// countingReader counts bytes read from local files.
type countingReader struct {
	r io.Reader
	n int64
	p *Progress
}

func (c *countingReader) Read(b []byte) (int, error) {
	n, err := c.r.Read(b)
	c.n += int64(n)
	c.p.BytesRead.Add(int64(n))
	return n, err
}

// countingReaderAt counts the bytes read through it in n.
type countingReaderAt struct {
	r io.ReaderAt
	n *atomic.Int64
}

func (c countingReaderAt) ReadAt(b []byte, off int64) (int, error) {
	n, err := c.r.ReadAt(b, off)
	c.n.Add(int64(n))
	return n, err
}
