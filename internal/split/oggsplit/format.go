package oggsplit

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
)

// The ogg1 stored stream, specified in docs/FORMAT.md (Appendix: the ogg1 layout):
//
//	prologue   magic, serial numbers, section lengths
//	prefix     ID3v2 tags found before the first page, verbatim
//	head table page entries of the leading pages that hold only header packets
//	tail table page entries of all later pages
//	bodies     every page body, in file order
//	trailer    the bytes after the last complete page, verbatim
//
// This file holds the encoding shared by Split and Rebuild: the prologue
// and the page entries. Both are made of single bytes, 4-byte little-endian
// serial numbers and unsigned LEB128 varints (encoding/binary.Uvarint).

// magic starts every ogg1 stream.
var magic = [8]byte{'T', 'S', '-', 'O', 'G', 'G', '1', '\n'}

// Limits of the format. Split refuses files beyond them (the caller then
// stores the file whole) and Rebuild refuses streams that claim more, so a
// damaged stream cannot make Rebuild allocate without bound.
const (
	maxFileSize = 1 << 30 // bytes of the original file
	maxSerials  = 1 << 20 // distinct serial numbers
	maxTables   = 64 << 20
)

// prologue is the self-describing start of the stream.
type prologue struct {
	serials    []uint32 // serial numbers in order of first appearance
	prefixLen  uint64   // bytes before the first page
	headLen    uint64   // bytes of the head table
	tailLen    uint64   // bytes of the tail table
	bodyLen    uint64   // bytes of all page bodies
	trailerLen uint64   // bytes after the last page
}

func (p *prologue) append(b []byte) []byte {
	b = append(b, magic[:]...)
	b = binary.AppendUvarint(b, uint64(len(p.serials)))
	for _, s := range p.serials {
		b = binary.LittleEndian.AppendUint32(b, s)
	}
	b = binary.AppendUvarint(b, p.prefixLen)
	b = binary.AppendUvarint(b, p.headLen)
	b = binary.AppendUvarint(b, p.tailLen)
	b = binary.AppendUvarint(b, p.bodyLen)
	return binary.AppendUvarint(b, p.trailerLen)
}

func readPrologue(r *bufio.Reader) (prologue, error) {
	var p prologue
	var m [8]byte
	if _, err := io.ReadFull(r, m[:]); err != nil {
		return p, fmt.Errorf("read magic: %w", noEOF(err))
	}
	if m != magic {
		return p, fmt.Errorf("%w: bad magic %q", ErrCorrupt, m[:])
	}
	n, err := readUvarint(r, "serial count", maxSerials)
	if err != nil {
		return p, err
	}
	for range n {
		var s [4]byte
		if _, err := io.ReadFull(r, s[:]); err != nil {
			return p, fmt.Errorf("read serial numbers: %w", noEOF(err))
		}
		p.serials = append(p.serials, binary.LittleEndian.Uint32(s[:]))
	}
	if p.prefixLen, err = readUvarint(r, "prefix length", maxFileSize); err != nil {
		return p, err
	}
	if p.headLen, err = readUvarint(r, "head table length", maxTables); err != nil {
		return p, err
	}
	if p.tailLen, err = readUvarint(r, "tail table length", maxTables-p.headLen); err != nil {
		return p, err
	}
	if p.bodyLen, err = readUvarint(r, "body length", maxFileSize); err != nil {
		return p, err
	}
	if p.trailerLen, err = readUvarint(r, "trailer length", maxFileSize); err != nil {
		return p, err
	}
	return p, nil
}

func readUvarint(r io.ByteReader, what string, max uint64) (uint64, error) {
	v, err := binary.ReadUvarint(r)
	if err != nil {
		return 0, fmt.Errorf("read %s: %w", what, noEOF(err))
	}
	if v > max {
		return 0, fmt.Errorf("%w: %s %d exceeds %d", ErrCorrupt, what, v, max)
	}
	return v, nil
}

// noEOF turns a premature end of stream into io.ErrUnexpectedEOF.
func noEOF(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}

// A page entry is the page header less what can be recomputed:
//
//	header type     1 byte, verbatim
//	serial index    uvarint, index into the prologue's serial numbers
//	sequence code   uvarint, zigzag(int32(seq - (prev seq + 1)))
//	granule code    uvarint, 0 for granule -1, else zigzag(int64(granule - prev granule)) + 1
//	segment count   1 byte
//	lacing values   one byte per segment, verbatim
//
// "prev" values are per serial number: the sequence number of the previous
// page of that serial (initially 0xffffffff, so a first page numbered 0
// costs nothing) and the granule of the previous page of that serial whose
// granule was not -1 (initially 0). An unedited stream therefore encodes its
// sequence numbers as runs of zero, and renumbering all pages after an
// inserted one leaves every later entry unchanged.

// maxEntry is the size of the longest page entry.
const maxEntry = 1 + 3*binary.MaxVarintLen64 + 1 + maxLacing

// entry is one decoded page entry.
type entry struct {
	htype   byte
	sidx    int
	seq     uint32
	granule uint64
	lacing  []byte
}

// deltas holds the per-serial predictions of the entry encoding.
type deltas struct {
	seq     []uint32
	granule []uint64
}

// grow makes room for serial index i.
func (d *deltas) grow(n int) {
	for len(d.seq) < n {
		d.seq = append(d.seq, math.MaxUint32)
		d.granule = append(d.granule, 0)
	}
}

func zigzag64(v int64) uint64   { return uint64(v<<1) ^ uint64(v>>63) }
func unzigzag64(u uint64) int64 { return int64(u>>1) ^ -int64(u&1) }

// errGranule: a granule this far from the previous one (2^63) has no code.
var errGranule = fmt.Errorf("%w: granule position jumps by 2^63", ErrUnsupported)

// appendEntry appends e's encoding to b and advances the predictions.
func (d *deltas) appendEntry(b []byte, e *entry) ([]byte, error) {
	b = append(b, e.htype)
	b = binary.AppendUvarint(b, uint64(e.sidx))
	ds := int32(e.seq - (d.seq[e.sidx] + 1))
	b = binary.AppendUvarint(b, zigzag64(int64(ds)))
	d.seq[e.sidx] = e.seq
	if e.granule == granuleNone {
		b = append(b, 0)
	} else {
		z := zigzag64(int64(e.granule - d.granule[e.sidx]))
		if z == math.MaxUint64 {
			return nil, errGranule
		}
		b = binary.AppendUvarint(b, z+1)
		d.granule[e.sidx] = e.granule
	}
	b = append(b, byte(len(e.lacing)))
	return append(b, e.lacing...), nil
}

// readEntry decodes the entry at the start of b, advances the predictions
// and returns the rest of b. e.lacing aliases b.
func (d *deltas) readEntry(b []byte, e *entry) ([]byte, error) {
	bad := func(what string) ([]byte, error) {
		return nil, fmt.Errorf("%w: page entry: bad %s", ErrCorrupt, what)
	}
	if len(b) < 1 {
		return bad("header type")
	}
	e.htype, b = b[0], b[1:]
	v, n := binary.Uvarint(b)
	if n <= 0 || v >= uint64(len(d.seq)) {
		return bad("serial index")
	}
	e.sidx, b = int(v), b[n:]
	v, n = binary.Uvarint(b)
	if n <= 0 || v > math.MaxUint32 {
		return bad("sequence code")
	}
	e.seq, b = d.seq[e.sidx]+1+uint32(unzigzag64(v)), b[n:]
	d.seq[e.sidx] = e.seq
	v, n = binary.Uvarint(b)
	if n <= 0 {
		return bad("granule code")
	}
	b = b[n:]
	if v == 0 {
		e.granule = granuleNone
	} else {
		e.granule = d.granule[e.sidx] + uint64(unzigzag64(v-1))
		d.granule[e.sidx] = e.granule
	}
	if len(b) < 1 || len(b)-1 < int(b[0]) {
		return bad("lacing values")
	}
	e.lacing, b = b[1:1+int(b[0])], b[1+int(b[0]):]
	return b, nil
}
