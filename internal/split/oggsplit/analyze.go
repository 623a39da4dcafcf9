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

// analysis is the pass of Split over the file's pages: it validates every
// page, encodes the page table, labels every body byte and notes where
// each body lies in the file. It reads the file once, in order, and keeps
// nothing of the bodies but their place.
type analysis struct {
	serials []uint32
	streams map[uint32]*logical
	enc     deltas

	table   []byte // page entries
	headLen int    // bytes of table holding the head table; -1 until known
	bodyLen int64
	end     int64 // file offset of the first byte after the last page

	bodies []segment // where the bodies lie: at is relative to the bodies section

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

	packets int      // packets completed in the current link
	keep    bool     // the packet in progress is scanned
	scan    *scanner // scans the packet in progress when keep
	pieces  []piece  // where the packet in progress lies when keep
}

// piece is a part of a packet: n bytes at packet offset pkt and body
// offset body.
type piece struct{ pkt, body, n int64 }

// kspan labels n body bytes at offset off.
type kspan struct {
	off, n int64
	kind   split.Kind
}

// analyze reads the pages of the file from r, positioned at file offset
// start, up to size.
func analyze(r *fileReader, start int64) (*analysis, error) {
	a := &analysis{streams: make(map[uint32]*logical), headLen: -1}
	off := start
	for off < r.size {
		b, err := r.peekPage()
		if err != nil {
			return nil, fmt.Errorf("read offset %d: %w", off, err)
		}
		p, err := parsePage(b)
		if err == errNoPage {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("offset %d: %w", off, err)
		}
		if err := a.page(off, &p); err != nil {
			return nil, fmt.Errorf("offset %d: %w", off, err)
		}
		if err := r.skip(int64(p.size())); err != nil {
			return nil, err
		}
		off += int64(p.size())
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
// appends its entry to the table. p's body is valid only during the call.
func (a *analysis) page(off int64, p *page) error {
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

	audio := a.packets(p, st)
	if p.htype&flagBOS != 0 && st.packets == 0 {
		return fmt.Errorf("%w: first packet of stream %#x does not end on its first page", ErrUnsupported, p.serial)
	}
	if audio && a.headLen < 0 {
		a.headLen = len(a.table)
	}
	e := entry{htype: p.htype, sidx: st.sidx, seq: p.seq, granule: p.granule, lacing: p.lacing}
	var err error
	a.table, err = a.enc.appendEntry(double(a.table, maxEntry), &e)
	if err != nil {
		return err
	}
	if len(a.table) > maxTables {
		return fmt.Errorf("%w: page table over %d bytes", ErrUnsupported, maxTables)
	}
	if len(p.body) > 0 {
		a.bodies = append(double(a.bodies, 1), segment{a.bodyLen, off + pageHeaderSize + int64(len(p.lacing))})
	}
	a.bodyLen += int64(len(p.body))
	return nil
}

// double returns s with room for n more elements, doubling its capacity
// when it has less: the table and the segments grow with every page, and
// append's smaller steps for large slices would allocate several times
// their final size in all.
func double[S ~[]E, E any](s S, n int) S {
	if cap(s)-len(s) >= n {
		return s
	}
	return slices.Grow(s, max(n, len(s), 64))
}

// packets walks the packet pieces of page p, labels them and reports
// whether any is audio.
func (a *analysis) packets(p *page, st *logical) (audio bool) {
	at, body := 0, a.bodyLen // offsets of the piece in the page body and in the bodies
	n := 0                   // bytes of the piece in progress
	for i, l := range p.lacing {
		n += int(l)
		complete := l < maxLacing
		if !complete && i < len(p.lacing)-1 {
			continue
		}
		// The segments since the last piece form one piece of packet st.packets.
		header := st.nhead == allPackets || st.packets < st.nhead
		switch {
		case !header && st.codec == codecOther:
			a.label(body, int64(n), split.Data)
		case !header:
			audio = audio || n > 0
			a.label(body, int64(n), split.Audio)
		default:
			a.label(body, int64(n), split.Tag)
			if !st.keep && (st.packets == 0 || st.codec.hasComment(st.packets)) {
				st.keep, st.scan = true, newScanner(st.codec, st.packets)
			}
			if st.keep && n > 0 {
				st.pieces = append(st.pieces, piece{st.scan.pos, body, int64(n)})
				st.scan.feed(p.body[at : at+n])
			}
		}
		at, body, n = at+n, body+int64(n), 0
		if complete {
			a.endPacket(st)
		}
	}
	return audio
}

// endPacket finishes packet st.packets: the first packet names the codec,
// and the pictures of a comment packet are labelled.
func (a *analysis) endPacket(st *logical) {
	k := st.packets
	st.packets++
	if !st.keep {
		return
	}
	sc, pieces := st.scan, st.pieces
	st.keep, st.scan, st.pieces = false, nil, st.pieces[:0]
	if k == 0 {
		st.codec, st.nhead = identify(sc.head())
		if st.codec != codecOther {
			a.known = true
		}
		return
	}
	for _, r := range sc.finish() {
		a.picture(pieces, r)
	}
}

// picture labels the bytes r of a packet lying in pieces as a picture.
func (a *analysis) picture(pieces []piece, r rng) {
	// The piece holding r.start, then the following ones.
	i, found := slices.BinarySearchFunc(pieces, r.start, func(pc piece, off int64) int { return cmp.Compare(pc.pkt, off) })
	if !found && i > 0 {
		i--
	}
	for _, pc := range pieces[i:] {
		if pc.pkt >= r.end || len(a.pictures) >= maxRegions {
			return
		}
		lo, hi := max(r.start, pc.pkt), min(r.end, pc.pkt+pc.n)
		if lo < hi {
			a.pictures = append(a.pictures, kspan{pc.body + lo - pc.pkt, hi - lo, split.Picture})
		}
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
