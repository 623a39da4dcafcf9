package oggsplit

import (
	"errors"
	"fmt"
	"io"
	"sort"
)

// stream is an ogg1 stored stream that holds only its small sections (the
// prologue and the page table) and reads everything else (the prefix, the
// page bodies and the trailer) from the original file when asked. It is a
// list of segments sorted by stream offset, each either an in-memory
// piece or a byte range of the file; ReadAt finds the first segment by
// binary search and walks on from there.
//
// A stream costs 16 bytes per page of the file. It is safe for concurrent
// use, as io.ReaderAt requires, when the file is.
type stream struct {
	f    io.ReaderAt
	size int64
	segs []segment
	mem  [][]byte // in-memory pieces, by index
}

var _ io.ReaderAt = (*stream)(nil)

// segment is the part of the stream from at to the next segment's at (or
// the end of the stream): bytes of the file from offset src when src >= 0,
// else the bytes of mem[^src].
type segment struct{ at, src int64 }

// maxGap is the largest distance between two file segments that ReadAt
// reads over in a single read of the file: a page header with its lacing
// values, the bytes between two page bodies. The reads then cost one
// system call per buffer instead of one per page.
const maxGap = pageHeaderSize + maxLacing

// MemSize returns about how many bytes of memory the stream holds: what a
// caller that keeps plans counts against its budget.
func (s *stream) MemSize() int64 {
	n := int64(cap(s.segs))*16 + int64(cap(s.mem))*24
	for _, b := range s.mem {
		n += int64(cap(b))
	}
	return n
}

// appendMem appends b to the stream.
func (s *stream) appendMem(b []byte) {
	if len(b) == 0 {
		return
	}
	s.segs = append(s.segs, segment{s.size, ^int64(len(s.mem))})
	s.mem = append(s.mem, b)
	s.size += int64(len(b))
}

// appendFile appends the n bytes of the file at offset off to the stream,
// extending the last segment when they follow it in the file.
func (s *stream) appendFile(off, n int64) {
	if n <= 0 {
		return
	}
	if l := len(s.segs); l > 0 && s.segs[l-1].src >= 0 && s.segs[l-1].src+(s.size-s.segs[l-1].at) == off {
		s.size += n
		return
	}
	s.segs = append(s.segs, segment{s.size, off})
	s.size += n
}

// end returns the stream offset where segment i ends.
func (s *stream) end(i int) int64 {
	if i+1 < len(s.segs) {
		return s.segs[i+1].at
	}
	return s.size
}

// fileEnd returns the file offset where file segment i ends.
func (s *stream) fileEnd(i int) int64 { return s.segs[i].src + s.end(i) - s.segs[i].at }

var errOffset = errors.New("ogg1 stream: negative offset")

// ReadAt reads len(p) bytes of the stream at offset off. A failed or
// short read of the file (one changed since Split read it) is an error,
// io.ErrUnexpectedEOF for a file that got shorter.
func (s *stream) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, errOffset
	}
	if off >= s.size {
		return 0, io.EOF
	}
	want := len(p)
	if int64(len(p)) > s.size-off {
		p = p[:s.size-off]
	}
	i := sort.Search(len(s.segs), func(i int) bool { return s.segs[i].at > off }) - 1
	n := 0
	for n < len(p) {
		pos := off + int64(n)
		seg := s.segs[i]
		if seg.src < 0 {
			n += copy(p[n:], s.mem[^seg.src][pos-seg.at:])
			i++
			continue
		}
		// Read the file from pos's byte up to the end of the last file
		// segment that begins in time to land in p, then close the gaps
		// between the segments by moving their bytes down.
		start := seg.src + pos - seg.at
		limit := start + int64(len(p)-n) // file offset a read into p[n:] reaches
		j := i
		for j+1 < len(s.segs) {
			next := s.segs[j+1].src
			if next < 0 || next < s.fileEnd(j) || next-s.fileEnd(j) > maxGap || next >= limit {
				break
			}
			j++
		}
		stop := min(s.fileEnd(j), limit)
		if err := readFull(s.f, p[n:n+int(stop-start)], start); err != nil {
			return n, fmt.Errorf("ogg1 stream: read the file at offset %d: %w", start, err)
		}
		w := n + int(min(s.fileEnd(i), stop)-start)
		for m := i + 1; m <= j; m++ {
			lo, hi := s.segs[m].src, min(s.fileEnd(m), stop)
			w += copy(p[w:], p[n+int(lo-start):n+int(hi-start)])
		}
		n = w
		i = j
		if stop == s.fileEnd(j) {
			i++
		}
	}
	if n < want {
		return n, io.EOF
	}
	return n, nil
}

// readFull reads len(p) bytes of f at off; a short read is an error,
// io.ErrUnexpectedEOF at the end of f.
func readFull(f io.ReaderAt, p []byte, off int64) error {
	n, err := f.ReadAt(p, off)
	if n == len(p) {
		return nil
	}
	return noEOF(orShort(err))
}
