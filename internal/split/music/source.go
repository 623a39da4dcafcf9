package music

import (
	"encoding/binary"
	"fmt"
	"io"

	"github.com/tunesafe/tunesafe/internal/split"
)

// maxRead is the largest single read any parser makes. Sizes found in a
// file decide where to read, never how much to allocate.
const maxRead = 8 << 10

// maxRegions caps the regions of one plan (24 bytes each). Real files have
// a handful; only fragmented MP4 files and tags with many pictures have
// more.
const maxRegions = 1 << 16

// maxPictures caps the pictures cut out of one tag; further pictures stay
// in the Tag region.
const maxPictures = 256

// source is the file being split.
type source struct {
	r    io.ReaderAt
	size int64
}

// has reports whether the n bytes at off lie inside the file.
func (s *source) has(off, n int64) bool {
	return off >= 0 && n >= 0 && off <= s.size && n <= s.size-off
}

// readAt fills p from offset off. A read past the end of the file is an
// ErrMalformed (a size field pointed there); a short read inside the file
// is an I/O error (the file shrank while being read).
func (s *source) readAt(p []byte, off int64) error {
	if len(p) > maxRead {
		return fmt.Errorf("read of %d bytes exceeds the %d-byte limit", len(p), maxRead)
	}
	if !s.has(off, int64(len(p))) {
		return fmt.Errorf("%w: %d bytes at offset %d run past the end of the file (%d bytes)",
			ErrMalformed, len(p), off, s.size)
	}
	n, err := s.r.ReadAt(p, off)
	if n == len(p) {
		return nil
	}
	if err == nil || err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return fmt.Errorf("read %d bytes at offset %d: %w", len(p), off, err)
}

// peek reads up to len(p) bytes at off, fewer at the end of the file, and
// returns how many it read. Read errors count as the end of the file: peek
// only sniffs, and the parser that follows reads again.
func (s *source) peek(p []byte, off int64) int {
	if off < 0 || off >= s.size {
		return 0
	}
	if rest := s.size - off; int64(len(p)) > rest {
		p = p[:rest]
	}
	n, _ := s.r.ReadAt(p, off)
	return n
}

// matches reports whether the bytes at off are magic.
func (s *source) matches(off int64, magic string) bool {
	var buf [16]byte
	if len(magic) > len(buf) || !s.has(off, int64(len(magic))) {
		return false
	}
	p := buf[:len(magic)]
	return s.peek(p, off) == len(p) && string(p) == magic
}

// span is a byte range [off, end) of the file.
type span struct{ off, end int64 }

// planBuilder collects the regions of a plan in file order. Each call says
// where the next region ends, so regions are contiguous by construction;
// an end before the current offset is an overlap and an error.
type planBuilder struct {
	size    int64
	off     int64
	regions []split.Region
	// cutNext starts a new region at the next call even when the kind is
	// the same: see cut.
	cutNext bool
}

// cut ends the current region here. Metadata that changes with a tag
// edit (the tags, MP4 chunk offsets) is then stored apart from metadata
// that does not (MP4 sample tables, FLAC seek tables), so an edit uploads
// only the former.
func (b *planBuilder) cut() { b.cutNext = true }

// to extends the plan with a region of kind k up to end. Empty regions are
// dropped and a region of the same kind as the last one is merged into it,
// unless cut was called since.
func (b *planBuilder) to(k split.Kind, end int64) error {
	switch {
	case end < b.off:
		return fmt.Errorf("%w: structure ending at %d overlaps the one ending at %d", ErrMalformed, end, b.off)
	case end > b.size:
		return fmt.Errorf("%w: structure ends at %d, past the end of the file (%d bytes)", ErrMalformed, end, b.size)
	case end == b.off:
		return nil
	}
	if n := len(b.regions); n > 0 && b.regions[n-1].Kind == k && !b.cutNext {
		b.regions[n-1].Length += end - b.off
	} else {
		b.cutNext = false
		if len(b.regions) >= maxRegions {
			return fmt.Errorf("%w: more than %d regions", ErrMalformed, maxRegions)
		}
		b.regions = append(b.regions, split.Region{Kind: k, Offset: b.off, Length: end - b.off})
	}
	b.off = end
	return nil
}

// tag extends the plan with tag bytes up to end, with the pictures in pics
// (sorted, inside [b.off, end)) as Picture regions.
func (b *planBuilder) tag(end int64, pics []span) error {
	for _, p := range pics {
		if p.off < b.off || p.end > end || p.off >= p.end {
			return fmt.Errorf("%w: picture [%d, %d) outside its tag", ErrMalformed, p.off, p.end)
		}
		if err := b.to(split.Tag, p.off); err != nil {
			return err
		}
		if err := b.to(split.Picture, p.end); err != nil {
			return err
		}
	}
	return b.to(split.Tag, end)
}

// plan returns the finished plan; the regions must reach the end of the file.
func (b *planBuilder) plan() (split.Plan, error) {
	if b.off != b.size {
		return split.Plan{}, fmt.Errorf("%w: structures end at %d, file has %d bytes", ErrMalformed, b.off, b.size)
	}
	p := split.Plan{Size: b.size, Regions: b.regions}
	if err := p.Check(); err != nil {
		return split.Plan{}, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	return p, nil
}

func be16(b []byte) uint16 { return binary.BigEndian.Uint16(b) }
func be24(b []byte) uint32 { return uint32(b[0])<<16 | uint32(b[1])<<8 | uint32(b[2]) }
func be32(b []byte) uint32 { return binary.BigEndian.Uint32(b) }
func be64(b []byte) uint64 { return binary.BigEndian.Uint64(b) }
func le32(b []byte) uint32 { return binary.LittleEndian.Uint32(b) }
func le64(b []byte) uint64 { return binary.LittleEndian.Uint64(b) }

// size64 converts an unsigned 64-bit size to int64, reporting whether it
// fits (sizes beyond 2^63 can only be lies).
func size64(v uint64) (int64, bool) { return int64(v), v <= 1<<62 }

// printable reports whether a four-character code is printable ASCII, as
// the chunk and box names of every real file are (MP4 also uses ©, 0xA9).
func printable(id []byte) bool {
	for _, c := range id {
		if (c < 0x20 || c > 0x7e) && c != 0xa9 {
			return false
		}
	}
	return true
}
