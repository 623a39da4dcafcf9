package oggsplit

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// Layout of an Ogg page header (RFC 3533 §6). All integers little-endian.
//
//	off len field
//	  0   4 capture pattern "OggS"
//	  4   1 stream structure version, 0
//	  5   1 header type: 0x01 continued packet, 0x02 first page (BOS), 0x04 last page (EOS)
//	  6   8 granule position
//	 14   4 bitstream serial number
//	 18   4 page sequence number
//	 22   4 CRC
//	 26   1 number of segments n
//	 27   n lacing values; the body is their sum of bytes
const (
	pageHeaderSize = 27
	maxLacing      = 255
	maxPageBody    = 255 * 255
	maxPageSize    = pageHeaderSize + maxLacing + maxPageBody

	flagContinued = 0x01
	flagBOS       = 0x02
	flagEOS       = 0x04

	granuleNone = ^uint64(0) // -1: no packet ends on the page
)

var capturePattern = [4]byte{'O', 'g', 'g', 'S'}

// page is one parsed page; lacing and body alias the bytes it was parsed
// from.
type page struct {
	htype   byte
	granule uint64
	serial  uint32
	seq     uint32
	lacing  []byte
	body    []byte
}

// size is the page's length in the file.
func (p *page) size() int { return pageHeaderSize + len(p.lacing) + len(p.body) }

// errNoPage says that no complete page starts here: the bytes do not begin
// with the capture pattern, or the page runs past the end of the file.
// Split keeps such bytes verbatim as the trailer.
var errNoPage = errors.New("no complete Ogg page")

// parsePage parses the page at the start of b. It returns errNoPage when
// there is no complete page, and another error when there is a page that
// Split must not store (unknown version, wrong CRC).
func parsePage(b []byte) (page, error) {
	if len(b) < pageHeaderSize || [4]byte(b[:4]) != capturePattern {
		return page{}, errNoPage
	}
	if b[4] != 0 {
		return page{}, fmt.Errorf("%w: page version %d", ErrUnsupported, b[4])
	}
	nseg := int(b[26])
	if len(b) < pageHeaderSize+nseg {
		return page{}, errNoPage
	}
	lacing := b[pageHeaderSize : pageHeaderSize+nseg]
	n := 0
	for _, l := range lacing {
		n += int(l)
	}
	start := pageHeaderSize + nseg
	if len(b)-start < n {
		return page{}, errNoPage
	}
	p := page{
		htype:   b[5],
		granule: binary.LittleEndian.Uint64(b[6:]),
		serial:  binary.LittleEndian.Uint32(b[14:]),
		seq:     binary.LittleEndian.Uint32(b[18:]),
		lacing:  lacing,
		body:    b[start : start+n],
	}
	if want, got := binary.LittleEndian.Uint32(b[22:]), pageCRC(b[:start], p.body); got != want {
		return page{}, fmt.Errorf("%w: page %d of stream %#x: CRC %#08x, computed %#08x",
			ErrCorrupt, p.seq, p.serial, want, got)
	}
	return p, nil
}

var zeroCRC [4]byte

// pageCRC returns the CRC of a page whose header (with lacing values) is
// hdr and whose body is body, treating the CRC field of hdr as zero.
func pageCRC(hdr, body []byte) uint32 {
	crc := crcUpdate(0, hdr[:22])
	crc = crcUpdate(crc, zeroCRC[:])
	crc = crcUpdate(crc, hdr[26:])
	return crcUpdate(crc, body)
}

// fileReader reads a file sequentially through a buffer that holds any
// whole page, so that pages can be parsed in place.
type fileReader struct {
	f    io.ReaderAt
	off  int64 // file offset of the next unread byte
	size int64
	r    *bufio.Reader
}

// readBuffer is the buffer of a fileReader: at least a page of the
// largest size.
const readBuffer = 64 << 10

// The largest page fits in the read buffer.
var _ [readBuffer - maxPageSize]struct{}

func newFileReader(f io.ReaderAt, off, size int64) *fileReader {
	// A page is no longer than the file.
	n := int(min(readBuffer, size-off))
	return &fileReader{f: f, off: off, size: size, r: bufio.NewReaderSize(io.NewSectionReader(f, off, size-off), n)}
}

// peek returns the next n bytes of the file without consuming them; they
// are valid until the next call. n must not exceed the bytes left nor the
// buffer. A file shorter than size is an io.ErrUnexpectedEOF.
func (r *fileReader) peek(n int) ([]byte, error) {
	b, err := r.r.Peek(n)
	if err != nil {
		return nil, noEOF(err)
	}
	return b, nil
}

// skip consumes n bytes, without reading them when they are not buffered.
func (r *fileReader) skip(n int64) error {
	if n <= int64(r.r.Buffered()) {
		_, err := r.r.Discard(int(n))
		r.off += n
		return err
	}
	r.off += n
	if r.off > r.size {
		return fmt.Errorf("skip to offset %d: %w", r.off, io.ErrUnexpectedEOF)
	}
	r.r.Reset(io.NewSectionReader(r.f, r.off, r.size-r.off))
	return nil
}

// peekPage returns the bytes of the page that starts at the reader's
// position: all of them when the page is complete, else the bytes up to
// the end of the file or up to the first byte that shows that there is no
// page here, which is all parsePage looks at.
func (r *fileReader) peekPage() ([]byte, error) {
	rest := r.size - r.off
	n := int(min(rest, pageHeaderSize))
	b, err := r.peek(n)
	if err != nil || n < pageHeaderSize || [4]byte(b[:4]) != capturePattern || b[4] != 0 {
		return b, err
	}
	n = int(min(rest, int64(pageHeaderSize+int(b[26]))))
	if b, err = r.peek(n); err != nil || n < pageHeaderSize+int(b[26]) {
		return b, err
	}
	body := 0
	for _, l := range b[pageHeaderSize:] {
		body += int(l)
	}
	return r.peek(int(min(rest, int64(n+body))))
}
