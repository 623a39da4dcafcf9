package oggsplit

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
)

// Rebuilder turns an ogg1 stored stream back into the original file. It
// implements split.Rebuilder. The zero value is ready to use.
type Rebuilder struct{}

// Rebuild reads an ogg1 stream from stream and writes the original file to
// w. It holds the page table in memory (at most 64 MiB, in practice about
// 1% of the file) and streams everything else. A stream that is malformed,
// short or followed by extra bytes yields an error wrapping ErrCorrupt or
// io.ErrUnexpectedEOF; w may then have received part of a file.
func (Rebuilder) Rebuild(stream io.Reader, w io.Writer) error {
	r := bufio.NewReaderSize(stream, 64<<10)
	bw := bufio.NewWriterSize(w, 64<<10)
	pro, err := readPrologue(r)
	if err != nil {
		return err
	}
	if _, err := io.CopyN(bw, r, int64(pro.prefixLen)); err != nil {
		return fmt.Errorf("copy prefix: %w", noEOF(err))
	}
	n := int64(pro.headLen + pro.tailLen)
	table, err := io.ReadAll(io.LimitReader(r, n))
	if err != nil {
		return fmt.Errorf("read page table: %w", err)
	}
	if int64(len(table)) != n {
		return fmt.Errorf("read page table: %w", io.ErrUnexpectedEOF)
	}

	var d deltas
	d.grow(len(pro.serials))
	var (
		e     entry
		page  [maxPageSize]byte
		bodys uint64
	)
	for len(table) > 0 {
		if table, err = d.readEntry(table, &e); err != nil {
			return err
		}
		nseg := len(e.lacing)
		hdr := page[:pageHeaderSize+nseg]
		copy(hdr[0:4], capturePattern[:])
		hdr[4] = 0
		hdr[5] = e.htype
		binary.LittleEndian.PutUint64(hdr[6:], e.granule)
		binary.LittleEndian.PutUint32(hdr[14:], pro.serials[e.sidx])
		binary.LittleEndian.PutUint32(hdr[18:], e.seq)
		binary.LittleEndian.PutUint32(hdr[22:], 0)
		hdr[26] = byte(nseg)
		copy(hdr[pageHeaderSize:], e.lacing)
		size := 0
		for _, l := range e.lacing {
			size += int(l)
		}
		if bodys+uint64(size) > pro.bodyLen {
			return fmt.Errorf("%w: page bodies exceed the declared %d bytes", ErrCorrupt, pro.bodyLen)
		}
		bodys += uint64(size)
		body := page[len(hdr) : len(hdr)+size]
		if _, err := io.ReadFull(r, body); err != nil {
			return fmt.Errorf("read page body: %w", noEOF(err))
		}
		binary.LittleEndian.PutUint32(hdr[22:], pageCRC(hdr, body))
		if _, err := bw.Write(page[:len(hdr)+size]); err != nil {
			return err
		}
	}
	if bodys != pro.bodyLen {
		return fmt.Errorf("%w: page bodies of %d bytes, declared %d", ErrCorrupt, bodys, pro.bodyLen)
	}
	if _, err := io.CopyN(bw, r, int64(pro.trailerLen)); err != nil {
		return fmt.Errorf("copy trailer: %w", noEOF(err))
	}
	if _, err := r.ReadByte(); err != io.EOF {
		if err == nil {
			return fmt.Errorf("%w: data after the trailer", ErrCorrupt)
		}
		return fmt.Errorf("read end of stream: %w", err)
	}
	return bw.Flush()
}
