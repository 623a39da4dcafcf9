package oggsplit

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"slices"

	"github.com/tunesafe/tunesafe/internal/split"
)

// Layout names the stored stream in a split.Plan.
const Layout = "ogg1"

var (
	// ErrNotOgg: the file does not start with an Ogg page.
	ErrNotOgg = errors.New("not an Ogg file")
	// ErrUnsupported: an Ogg file this layout does not store (unknown
	// codec, page version, limits exceeded).
	ErrUnsupported = errors.New("unsupported Ogg file")
	// ErrCorrupt: a page with a wrong CRC, or a damaged stored stream.
	ErrCorrupt = errors.New("corrupt Ogg data")
)

// Split describes the Ogg file f of size bytes as an ogg1 plan. Any error
// means the file should be stored whole; errors wrap ErrNotOgg,
// ErrUnsupported or ErrCorrupt when they are about the file's content.
//
// Split reads the file once, in order, checking every page's CRC, and
// keeps in memory only the page table and where each page body lies: its
// memory grows with the number of pages (a few dozen bytes each), not with
// the file's size. The plan's Stream holds the small sections and reads the
// rest (prefix, page bodies, trailer) from f: it is valid as long as f is
// open and unchanged, and a read of it fails when f has become shorter.
// Files over 1 GiB are refused: Rebuild does not accept ogg1 sections
// that long.
//
// Before returning, Split rebuilds the file from the stream and compares
// its SHA-256 digest with the file's, reading the file twice more, so a
// plan it returns restores the file it read.
func Split(f io.ReaderAt, size int64) (split.Plan, error) {
	p, err := split1(f, size)
	if err != nil {
		return split.Plan{}, err
	}
	if err := verify(f, size, p); err != nil {
		return split.Plan{}, err
	}
	return p, nil
}

// SplitUnverified is Split without the final rebuild check, for callers
// that verify every plan themselves (the backup engine rebuilds each
// layout into a SHA-256 and compares it with the file's, as package split
// requires); it saves a rebuild and two reads of the whole file.
func SplitUnverified(f io.ReaderAt, size int64) (split.Plan, error) {
	return split1(f, size)
}

func split1(f io.ReaderAt, size int64) (split.Plan, error) {
	if size < pageHeaderSize {
		return split.Plan{}, fmt.Errorf("%w: %d bytes", ErrNotOgg, size)
	}
	if size > maxFileSize {
		return split.Plan{}, fmt.Errorf("%w: %d bytes is over the %d byte limit", ErrUnsupported, size, maxFileSize)
	}
	var head [4]byte
	if err := readFull(f, head[:], 0); err != nil {
		return split.Plan{}, fmt.Errorf("read: %w", err)
	}
	if head != capturePattern && string(head[:3]) != "ID3" {
		return split.Plan{}, fmt.Errorf("%w: no capture pattern", ErrNotOgg)
	}
	r := newFileReader(f, 0, size)
	pre, err := id3Prefix(r)
	if err != nil {
		return split.Plan{}, err
	}
	a, err := analyze(r, pre)
	if err != nil {
		return split.Plan{}, err
	}
	if a.end < size {
		// The trailer is read from f with the rest of the stream; make
		// sure that f has it.
		var last [1]byte
		if err := readFull(f, last[:], size-1); err != nil {
			return split.Plan{}, fmt.Errorf("read: %w", err)
		}
	}
	s, regions, err := a.build(f, size, pre)
	if err != nil {
		return split.Plan{}, err
	}
	p := split.Plan{
		Layout:  Layout,
		Stream:  s,
		Size:    s.size,
		Regions: regions,
	}
	if err := p.Check(); err != nil {
		return split.Plan{}, fmt.Errorf("ogg1 plan: %w", err)
	}
	return p, nil
}

// build lays out the stored stream and its regions for the file f of size
// bytes, whose first pre bytes are the prefix.
func (a *analysis) build(f io.ReaderAt, size, pre int64) (*stream, []split.Region, error) {
	pro := prologue{
		serials:    a.serials,
		prefixLen:  uint64(pre),
		headLen:    uint64(a.headLen),
		tailLen:    uint64(len(a.table) - a.headLen),
		bodyLen:    uint64(a.bodyLen),
		trailerLen: uint64(size - a.end),
	}
	var s stream
	s.appendMem(pro.append(nil))
	s.appendFile(0, pre)
	head := s.size + int64(a.headLen)
	s.appendMem(a.table)
	// The body segments follow, in the memory that holds them already.
	bodies := s.size
	for i := range a.bodies {
		a.bodies[i].at += bodies
	}
	s.segs = slices.Insert(a.bodies, 0, s.segs...)
	a.bodies = nil
	s.f, s.size = f, bodies+a.bodyLen
	s.appendFile(a.end, size-a.end)

	regions := []split.Region{{Kind: split.Tag, Offset: 0, Length: head}}
	if pro.tailLen > 0 {
		regions = append(regions, split.Region{Kind: split.Tag, Offset: head, Length: int64(pro.tailLen)})
	}
	br, err := a.bodyRegions(bodies)
	if err != nil {
		return nil, nil, err
	}
	regions = append(regions, br...)
	if pro.trailerLen > 0 {
		regions = append(regions, split.Region{Kind: split.Data, Offset: bodies + a.bodyLen, Length: int64(pro.trailerLen)})
	}
	return &s, regions, nil
}

// orShort supplies the error an io.ReaderAt owes for a short read.
func orShort(err error) error {
	if err == nil {
		return io.ErrUnexpectedEOF
	}
	return err
}

// id3Prefix returns the length of the ID3v2 tags at r's position, the
// start of the file (some tools prepend one to Ogg files), or 0, and
// leaves r after them. The first byte after them must start an Ogg page.
func id3Prefix(r *fileReader) (int64, error) {
	for r.size-r.off >= 10 {
		h, err := r.peek(10)
		if err != nil {
			return 0, fmt.Errorf("read: %w", err)
		}
		if string(h[:3]) != "ID3" {
			break
		}
		if h[3] == 0xff || h[4] == 0xff || (h[6]|h[7]|h[8]|h[9])&0x80 != 0 {
			return 0, fmt.Errorf("%w: malformed ID3v2 header", ErrNotOgg)
		}
		n := 10 + (int64(h[6])<<21 | int64(h[7])<<14 | int64(h[8])<<7 | int64(h[9]))
		if h[5]&0x10 != 0 { // footer present
			n += 10
		}
		if n > r.size-r.off {
			return 0, fmt.Errorf("%w: ID3v2 tag runs past the end", ErrNotOgg)
		}
		if err := r.skip(n); err != nil {
			return 0, fmt.Errorf("read: %w", err)
		}
	}
	if r.size-r.off < 4 {
		return 0, fmt.Errorf("%w: no capture pattern after %d bytes of ID3v2 tags", ErrNotOgg, r.off)
	}
	b, err := r.peek(4)
	if err != nil {
		return 0, fmt.Errorf("read: %w", err)
	}
	if [4]byte(b) != capturePattern {
		return 0, fmt.Errorf("%w: no capture pattern after %d bytes of ID3v2 tags", ErrNotOgg, r.off)
	}
	return r.off, nil
}

// verify rebuilds the file from p's stream and compares it with the file
// f of size bytes, by their SHA-256 digests.
func verify(f io.ReaderAt, size int64, p split.Plan) error {
	buf := make([]byte, min(64<<10, size))
	rebuilt := sha256.New()
	if err := (Rebuilder{}).Rebuild(io.NewSectionReader(p.Stream, 0, p.Size), rebuilt); err != nil {
		return fmt.Errorf("ogg1 verify: %w", err)
	}
	file := sha256.New()
	if n, err := io.CopyBuffer(file, io.NewSectionReader(f, 0, size), buf); err != nil || n != size {
		return fmt.Errorf("ogg1 verify: read: %w", noEOF(orShort(err)))
	}
	if !bytes.Equal(rebuilt.Sum(nil), file.Sum(nil)) {
		return errors.New("ogg1 verify: rebuilt file differs from the original")
	}
	return nil
}
