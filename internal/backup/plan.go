package backup

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"hash"
	"io"
	"sync"

	"github.com/tunesafe/tunesafe/internal/split"
	"github.com/tunesafe/tunesafe/internal/state"
)

// A file's plan decides how it is cut into blobs (package split). Most
// splitters read a few headers; a stored-stream layout (Ogg) reads the
// whole file. This file keeps that whole-file read from being repeated:
// the file's SHA-256 is taken while the splitter reads, the rebuild check
// runs on the bytes being chunked instead of on a read of its own, and
// the plans the metadata phase made are kept for the data phase. An Ogg
// file is then read twice per backup (split, then chunked) instead of
// five times.

// planFile is the plan a backup stores a file by: the splitter's, when it
// has a valid one whose layout (if any) can be rebuilt, else plain
// chunking of the whole file. name is the file's path.
func planFile(s split.Splitter, rebuilders map[string]split.Rebuilder, name string, f io.ReaderAt, size int64) split.Plan {
	if s != nil && size > 0 {
		p, err := s.Split(name, f, size)
		if err == nil && p.Check() == nil {
			if p.Layout == "" && p.Size != size {
				return split.Whole(size, split.Data)
			}
			if p.Layout == "" || rebuilders[p.Layout] != nil {
				return p
			}
		}
	}
	return split.Whole(size, split.Data)
}

// planSource is the file as a splitter sees it. While planning, it hashes
// the bytes the splitter reads in file order, so that a splitter that
// reads the whole file from start to end (oggsplit) also yields the file's
// SHA-256. A plan's stream keeps reading through it afterwards; the data
// phase points it at the file it opened (setFile), so that a plan made by
// the metadata phase outlives the file handle it was made with. Splitters
// read from one goroutine: while planning, a planSource is not safe for
// concurrent use (afterwards it only reads, and is).
type planSource struct {
	f    io.ReaderAt
	h    hash.Hash // nil once planning is over
	next int64     // the bytes before next are hashed
}

func newPlanSource(f io.ReaderAt) *planSource {
	return &planSource{f: f, h: sha256.New()}
}

// ReadAt reads from the file and hashes what extends the hashed prefix.
// Reads elsewhere (a look at the file's end, a re-read) are not hashed.
func (s *planSource) ReadAt(p []byte, off int64) (int, error) {
	n, err := s.f.ReadAt(p, off)
	if s.h != nil && off <= s.next && off+int64(n) > s.next {
		s.h.Write(p[s.next-off : n])
		s.next = off + int64(n)
	}
	return n, err
}

// done ends planning and returns the SHA-256 of the first size bytes of the
// file, or nil when the splitter did not read all of them in order.
func (s *planSource) done(size int64) []byte {
	h := s.h
	s.h = nil
	if h == nil || s.next != size {
		return nil
	}
	return h.Sum(nil)
}

// setFile makes the source read f from now on.
func (s *planSource) setFile(f io.ReaderAt) { s.f = f }

// hashedPlan is a plan with what was learnt while making it.
type hashedPlan struct {
	plan split.Plan
	src  *planSource
	// sum is the file's SHA-256, or nil when the splitter did not read
	// the whole file.
	sum []byte
	// stat is the file's state when planned; a plan is used for a file
	// in that state only.
	stat state.Stat
}

// makePlan plans the file f of size bytes, whose state is st.
func makePlan(s split.Splitter, rebuilders map[string]split.Rebuilder, name string, f io.ReaderAt, size int64, st state.Stat) hashedPlan {
	src := newPlanSource(f)
	p := planFile(s, rebuilders, name, src, size)
	return hashedPlan{plan: p, src: src, sum: src.done(size), stat: st}
}

// memSizer is implemented by stored streams that can say how much memory
// they hold (oggsplit's).
type memSizer interface{ MemSize() int64 }

// planCache keeps the stored-stream plans that the metadata phase made,
// with their file's SHA-256, for the data phase, up to a memory budget.
// The data phase takes files in the metadata phase's order, so the plans
// kept are the first ones it needs; the files past the budget are split
// again. Plans without a layout are cheap to make and are not kept.
type planCache struct {
	mu     sync.Mutex
	budget int64
	plans  map[*entry]hashedPlan
}

// planBudget is the memory the kept plans may hold: about 1% of the
// files' size for Ogg, so plans for the first 3 GB or so of Ogg files.
const planBudget = 32 << 20

func newPlanCache(budget int64) *planCache {
	return &planCache{budget: budget, plans: map[*entry]hashedPlan{}}
}

// put keeps hp for e if it is worth keeping and fits the budget.
func (c *planCache) put(e *entry, hp hashedPlan) {
	if hp.plan.Layout == "" || hp.sum == nil {
		return
	}
	ms, ok := hp.plan.Stream.(memSizer)
	if !ok {
		return
	}
	cost := ms.MemSize() + int64(len(hp.plan.Regions))*24
	c.mu.Lock()
	defer c.mu.Unlock()
	if cost > c.budget {
		return
	}
	c.budget -= cost
	c.plans[e] = hp
}

// take returns and forgets the plan kept for e, if any.
func (c *planCache) take(e *entry) (hashedPlan, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	hp, ok := c.plans[e]
	delete(c.plans, e)
	return hp, ok
}

// hashFile returns the SHA-256 of the size bytes of f, counting them in
// p; a file that has fewer is errChanged.
func hashFile(f io.ReaderAt, size int64, p *Progress) ([]byte, error) {
	h := sha256.New()
	counted := &countingReader{r: io.NewSectionReader(f, 0, size), p: p}
	if _, err := io.Copy(h, counted); err != nil {
		return nil, err
	}
	if counted.n != size {
		return nil, errChanged
	}
	return h.Sum(nil), nil
}

// cutFile passes the regions of the file f of size bytes to chunk, in
// order, by the plan hp: the stored stream's regions when hp has a layout
// whose stream rebuilds the file (checked as it goes by), else the file's
// own regions, or the whole file when the stream does not rebuild it
// (after calling fallback, which drops what chunk was given). It returns
// the file's SHA-256 and the layout used ("" for the file itself), and
// counts the file's bytes in p. A file whose length changes while it is
// read is errChanged; other errors reading it are local; chunk's own
// errors are returned as they are.
//
// The backup and FileChunks (repairs) both cut files here, so that a
// repair re-creates the very blobs a backup stored.
func cutFile(hp hashedPlan, f io.ReaderAt, size int64, rebuilders map[string]split.Rebuilder, p *Progress,
	chunk func(split.Region, io.Reader) error, fallback func()) (sum []byte, layout string, err error) {
	plan := hp.plan
	if plan.Layout != "" {
		sum = hp.sum
		if sum == nil {
			if sum, err = hashFile(f, size, p); err != nil {
				if !errors.Is(err, errChanged) {
					err = local(err)
				}
				return nil, "", err
			}
		} else {
			p.BytesRead.Add(size)
		}
		ok, err := chunkStream(plan, rebuilders[plan.Layout], sum, chunk)
		if err != nil {
			return nil, "", err
		}
		if ok {
			return sum, plan.Layout, nil
		}
		fallback()
		plan = split.Whole(size, split.Data)
	}
	fileHash := sha256.New()
	counted := &countingReader{r: io.NewSectionReader(f, 0, size), p: p}
	src := io.TeeReader(counted, fileHash)
	for _, reg := range plan.Regions {
		if err := chunk(reg, io.LimitReader(src, reg.Length)); err != nil {
			return nil, "", err
		}
	}
	if counted.n != size {
		return nil, "", errChanged
	}
	// A file that grew while read: the extra bytes are not in the plan.
	var one [1]byte
	if n, _ := f.ReadAt(one[:], size); n > 0 {
		return nil, "", errChanged
	}
	return fileHash.Sum(nil), "", nil
}

// errRebuildStopped ends the rebuild's input when chunking fails.
var errRebuildStopped = errors.New("rebuild check stopped")

// chunkStream passes the regions of p's stored stream, in order, to chunk,
// and rebuilds the file with rb from the same bytes as they go by. It
// reports whether the rebuild succeeded, consumed the whole stream and has
// the SHA-256 want; when it does not, the file must be stored by plain
// chunking instead (the blobs already cut are then unused).
func chunkStream(p split.Plan, rb split.Rebuilder, want []byte, chunk func(split.Region, io.Reader) error) (bool, error) {
	pr, pw := io.Pipe()
	h := sha256.New()
	rebuilt := make(chan error, 1)
	go func() {
		err := rb.Rebuild(pr, h)
		// A rebuild that stops early leaves bytes unread: refuse them,
		// so that the chunking goes on without it.
		pr.CloseWithError(errRebuildStopped)
		rebuilt <- err
	}()
	tee := &rebuildFeed{w: pw}
	for _, reg := range p.Regions {
		src := io.TeeReader(io.NewSectionReader(p.Stream, reg.Offset, reg.Length), tee)
		if err := chunk(reg, src); err != nil {
			pw.CloseWithError(errRebuildStopped)
			<-rebuilt
			return false, err
		}
	}
	pw.Close()
	err := <-rebuilt
	return err == nil && tee.err == nil && bytes.Equal(h.Sum(nil), want), nil
}

// rebuildFeed writes to the rebuild's pipe, and after the first failure
// (the rebuild stopped) swallows the rest, so that the chunking it is
// teed from never fails because of it.
type rebuildFeed struct {
	w   io.Writer
	err error
}

func (f *rebuildFeed) Write(p []byte) (int, error) {
	if f.err == nil {
		_, f.err = f.w.Write(p)
	}
	return len(p), nil
}
