package oggsplit

import (
	"cmp"
	"fmt"
	"slices"

	"github.com/tunesafe/tunesafe/internal/split"
)

// maxRegions bounds the regions of a plan: a file that alternates header
// and audio bytes more often than this is stored whole.
const maxRegions = 1 << 16

// analysis is the first pass of Split over the file's bytes: it validates
// every page, encodes the page table and labels every body byte.
type analysis struct {
	serials []uint32
	streams map[uint32]*logical
	enc     deltas

	table   []byte // page entries
	headLen int    // bytes of table holding the head table; -1 until known
	bodyLen int64
	end     int // offset of the first byte after the last page

	known    bool    // some logical stream has a known codec
	kinds    []kspan // labels of the body bytes, in order, covering [0, bodyLen)
	pictures []kspan // picture bytes inside header packets, unordered
}

// logical is the state of one serial number.
type logical struct {
	sidx  int
	seen  bool  // a BOS page has been seen
	codec codec // known once packet 0 is complete
	nhead int   // header packets of the current link, or allPackets

	packets int     // packets completed in the current link
	keep    bool    // the packet in progress is collected for parsing
	pieces  []piece // where the packet in progress lies
}

// piece is a part of a packet: n bytes at file offset file and body
// offset body.
type piece struct{ file, body, n int64 }

// kspan labels n body bytes at offset off.
type kspan struct {
	off, n int64
	kind   split.Kind
}

// analyze reads the pages of buf from offset start on.
func analyze(buf []byte, start int) (*analysis, error) {
	a := &analysis{streams: make(map[uint32]*logical), headLen: -1}
	off := start
	for off < len(buf) {
		p, err := parsePage(buf[off:])
		if err == errNoPage {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("offset %d: %w", off, err)
		}
		if err := a.page(buf, off, &p); err != nil {
			return nil, fmt.Errorf("offset %d: %w", off, err)
		}
		off += p.size()
	}
	if off == start {
		return nil, fmt.Errorf("%w: no complete Ogg page at offset %d", ErrNotOgg, start)
	}
	if !a.known {
		return nil, fmt.Errorf("%w: no logical stream of a known codec", ErrUnsupported)
	}
	a.end = off
	if a.headLen < 0 {
		a.headLen = len(a.table)
	}
	return a, nil
}

// page labels the body bytes of page p, found at file offset off, and
// appends its entry to the table.
func (a *analysis) page(buf []byte, off int, p *page) error {
	st := a.streams[p.serial]
	if st == nil {
		if len(a.serials) == maxSerials {
			return fmt.Errorf("%w: more than %d logical streams", ErrUnsupported, maxSerials)
		}
		st = &logical{sidx: len(a.serials)}
		a.streams[p.serial] = st
		a.serials = append(a.serials, p.serial)
		a.enc.grow(len(a.serials))
	}
	if p.htype&flagBOS != 0 {
		// A new link (a chained file may reuse a serial number).
		*st = logical{sidx: st.sidx, seen: true, nhead: 1}
	} else if !st.seen {
		return fmt.Errorf("%w: page of stream %#x before its first page", ErrUnsupported, p.serial)
	}

	audio := a.packets(buf, off+pageHeaderSize+len(p.lacing), p, st)
	if p.htype&flagBOS != 0 && st.packets == 0 {
		return fmt.Errorf("%w: first packet of stream %#x does not end on its first page", ErrUnsupported, p.serial)
	}
	if audio && a.headLen < 0 {
		a.headLen = len(a.table)
	}
	e := entry{htype: p.htype, sidx: st.sidx, seq: p.seq, granule: p.granule, lacing: p.lacing}
	var err error
	a.table, err = a.enc.appendEntry(a.table, &e)
	if err != nil {
		return err
	}
	if len(a.table) > maxTables {
		return fmt.Errorf("%w: page table over %d bytes", ErrUnsupported, maxTables)
	}
	a.bodyLen += int64(len(p.body))
	return nil
}

// packets walks the packet pieces of page p, whose body starts at file
// offset bodyOff, labels them and reports whether any is audio.
func (a *analysis) packets(buf []byte, bodyOff int, p *page, st *logical) (audio bool) {
	file, body := int64(bodyOff), a.bodyLen
	var n int64 // bytes of the piece in progress
	for i, l := range p.lacing {
		n += int64(l)
		complete := l < maxLacing
		if !complete && i < len(p.lacing)-1 {
			continue
		}
		// The segments since the last piece form one piece of packet st.packets.
		header := st.nhead == allPackets || st.packets < st.nhead
		switch {
		case !header && st.codec == codecOther:
			a.label(body, n, split.Data)
		case !header:
			audio = audio || n > 0
			a.label(body, n, split.Audio)
		default:
			a.label(body, n, split.Tag)
			if st.packets == 0 || st.codec.hasComment(st.packets) {
				st.keep = true
			}
			if st.keep && n > 0 {
				st.pieces = append(st.pieces, piece{file, body, n})
			}
		}
		file, body, n = file+n, body+n, 0
		if complete {
			a.endPacket(buf, st)
		}
	}
	return audio
}

// endPacket finishes packet st.packets: the first packet names the codec,
// and comment packets are searched for pictures.
func (a *analysis) endPacket(buf []byte, st *logical) {
	k := st.packets
	st.packets++
	if !st.keep {
		return
	}
	var pkt []byte
	if len(st.pieces) == 1 {
		pc := st.pieces[0]
		pkt = buf[pc.file : pc.file+pc.n]
	} else {
		for _, pc := range st.pieces {
			pkt = append(pkt, buf[pc.file:pc.file+pc.n]...)
		}
	}
	pieces := st.pieces
	st.keep, st.pieces = false, st.pieces[:0]
	if k == 0 {
		st.codec, st.nhead = identify(pkt)
		if st.codec != codecOther {
			a.known = true
		}
		return
	}
	for _, r := range st.codec.pictures(k, pkt) {
		a.picture(pieces, r)
	}
}

// picture labels the bytes r of a packet lying in pieces as a picture.
func (a *analysis) picture(pieces []piece, r rng) {
	var pos int64 // packet offset of the current piece
	for _, pc := range pieces {
		lo, hi := max(r.start, pos), min(r.end, pos+pc.n)
		if lo < hi && len(a.pictures) < maxRegions {
			a.pictures = append(a.pictures, kspan{pc.body + lo - pos, hi - lo, split.Picture})
		}
		pos += pc.n
	}
}

// label marks n body bytes at off with kind k; spans arrive in order.
func (a *analysis) label(off, n int64, k split.Kind) {
	if n == 0 {
		return
	}
	if l := len(a.kinds); l > 0 && a.kinds[l-1].kind == k && a.kinds[l-1].off+a.kinds[l-1].n == off {
		a.kinds[l-1].n += n
		return
	}
	a.kinds = append(a.kinds, kspan{off, n, k})
}

// bodyRegions returns the regions of the bodies section, which starts at
// stream offset base: the labelled spans with the pictures cut out of them.
func (a *analysis) bodyRegions(base int64) ([]split.Region, error) {
	pics := slices.Clone(a.pictures)
	slices.SortFunc(pics, func(x, y kspan) int { return cmp.Compare(x.off, y.off) })
	var out []split.Region
	emit := func(off, n int64, k split.Kind) {
		if n <= 0 {
			return
		}
		if l := len(out); l > 0 && out[l-1].Kind == k && out[l-1].Offset+out[l-1].Length == base+off {
			out[l-1].Length += n
			return
		}
		out = append(out, split.Region{Kind: k, Offset: base + off, Length: n})
	}
	j := 0
	for _, s := range a.kinds {
		cur, end := s.off, s.off+s.n
		for j < len(pics) && pics[j].off < end {
			pe := pics[j].off + pics[j].n
			lo, hi := max(pics[j].off, cur), min(pe, end)
			if lo < hi {
				emit(cur, lo-cur, s.kind)
				emit(lo, hi-lo, split.Picture)
				cur = hi
			}
			if pe > end {
				break
			}
			j++
		}
		emit(cur, end-cur, s.kind)
		if len(out) > maxRegions {
			return nil, fmt.Errorf("%w: more than %d regions", ErrUnsupported, maxRegions)
		}
	}
	return out, nil
}
