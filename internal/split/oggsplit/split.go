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
// Split reads the whole file into memory and returns the stored stream in
// memory (about the file's size), so it refuses files over 1 GiB. Before
// returning it rebuilds the file from the stream and compares SHA-256
// digests, so a plan it returns always restores the file it read.
func Split(f io.ReaderAt, size int64) (split.Plan, error) {
	return split1(f, size, true)
}

// SplitUnverified is Split without the final rebuild check, for callers
// that verify every plan themselves (the backup engine rebuilds each
// layout into a SHA-256 and compares it with the file's, as package split
// requires); it saves a rebuild and a hash of the whole file.
func SplitUnverified(f io.ReaderAt, size int64) (split.Plan, error) {
	return split1(f, size, false)
}

func split1(f io.ReaderAt, size int64, check bool) (split.Plan, error) {
	if size < pageHeaderSize {
		return split.Plan{}, fmt.Errorf("%w: %d bytes", ErrNotOgg, size)
	}
	if size > maxFileSize {
		return split.Plan{}, fmt.Errorf("%w: %d bytes is over the %d byte limit", ErrUnsupported, size, maxFileSize)
	}
	var head [10]byte
	if n, err := f.ReadAt(head[:], 0); n < len(head) {
		return split.Plan{}, fmt.Errorf("read: %w", noEOF(orShort(err)))
	}
	if [4]byte(head[:4]) != capturePattern && string(head[:3]) != "ID3" {
		return split.Plan{}, fmt.Errorf("%w: no capture pattern", ErrNotOgg)
	}
	buf := make([]byte, size)
	if n, err := f.ReadAt(buf, 0); n < len(buf) {
		return split.Plan{}, fmt.Errorf("read: %w", noEOF(orShort(err)))
	}
	pre, err := id3Prefix(buf)
	if err != nil {
		return split.Plan{}, err
	}

	a, err := analyze(buf, pre)
	if err != nil {
		return split.Plan{}, err
	}
	stream, regions, err := a.build(buf, pre)
	if err != nil {
		return split.Plan{}, err
	}
	p := split.Plan{
		Layout:  Layout,
		Stream:  bytes.NewReader(stream),
		Size:    int64(len(stream)),
		Regions: regions,
	}
	if err := p.Check(); err != nil {
		return split.Plan{}, fmt.Errorf("ogg1 plan: %w", err)
	}
	if check {
		if err := verify(buf, stream); err != nil {
			return split.Plan{}, err
		}
	}
	return p, nil
}

// build lays out the stored stream and its regions for the file buf, whose
// first pre bytes are the prefix.
func (a *analysis) build(buf []byte, pre int) ([]byte, []split.Region, error) {
	prefix := buf[:pre]
	pro := prologue{
		serials:    a.serials,
		prefixLen:  uint64(len(prefix)),
		headLen:    uint64(a.headLen),
		tailLen:    uint64(len(a.table) - a.headLen),
		bodyLen:    uint64(a.bodyLen),
		trailerLen: uint64(len(buf) - a.end),
	}
	out := pro.append(nil)
	head := int64(len(out)) + int64(len(prefix)) + int64(a.headLen)
	out = slices.Grow(out, len(prefix)+len(a.table)+int(a.bodyLen)+len(buf)-a.end)
	out = append(out, prefix...)
	out = append(out, a.table...)
	bodies := int64(len(out))
	for off := pre; off < a.end; {
		nseg := int(buf[off+26])
		n := 0
		for _, l := range buf[off+pageHeaderSize : off+pageHeaderSize+nseg] {
			n += int(l)
		}
		start := off + pageHeaderSize + nseg
		out = append(out, buf[start:start+n]...)
		off = start + n
	}
	if int64(len(out))-bodies != a.bodyLen {
		return nil, nil, fmt.Errorf("ogg1: bodies of %d bytes, analysed %d", int64(len(out))-bodies, a.bodyLen)
	}
	out = append(out, buf[a.end:]...)

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
	return out, regions, nil
}

// orShort supplies the error an io.ReaderAt owes for a short read.
func orShort(err error) error {
	if err == nil {
		return io.ErrUnexpectedEOF
	}
	return err
}

// id3Prefix returns the length of the ID3v2 tags at the start of buf
// (some tools prepend one to Ogg files), or 0. The first byte after them
// must start an Ogg page.
func id3Prefix(buf []byte) (int, error) {
	off := 0
	for len(buf)-off >= 10 && string(buf[off:off+3]) == "ID3" {
		h := buf[off : off+10]
		if h[3] == 0xff || h[4] == 0xff || (h[6]|h[7]|h[8]|h[9])&0x80 != 0 {
			return 0, fmt.Errorf("%w: malformed ID3v2 header", ErrNotOgg)
		}
		n := 10 + (int(h[6])<<21 | int(h[7])<<14 | int(h[8])<<7 | int(h[9]))
		if h[5]&0x10 != 0 { // footer present
			n += 10
		}
		if n > len(buf)-off {
			return 0, fmt.Errorf("%w: ID3v2 tag runs past the end", ErrNotOgg)
		}
		off += n
	}
	if len(buf)-off < 4 || [4]byte(buf[off:off+4]) != capturePattern {
		return 0, fmt.Errorf("%w: no capture pattern after %d bytes of ID3v2 tags", ErrNotOgg, off)
	}
	return off, nil
}

// verify rebuilds the file from stream and compares it with buf.
func verify(buf, stream []byte) error {
	h := sha256.New()
	if err := (Rebuilder{}).Rebuild(bytes.NewReader(stream), h); err != nil {
		return fmt.Errorf("ogg1 verify: %w", err)
	}
	if want := sha256.Sum256(buf); !bytes.Equal(h.Sum(nil), want[:]) {
		return errors.New("ogg1 verify: rebuilt file differs from the original")
	}
	return nil
}
