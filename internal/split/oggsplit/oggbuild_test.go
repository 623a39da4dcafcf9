package oggsplit

import (
	"bytes"
	"encoding/binary"
	"math/rand/v2"
	"testing"
)

// This file builds Ogg streams for tests, independently of Split: packets
// are paginated here the way an Ogg muxer would (RFC 3533), so tests can
// produce the same packets in several paginations.

// testPage is a page before serialisation.
type testPage struct {
	htype   byte
	granule uint64
	serial  uint32
	seq     uint32
	lacing  []byte
	body    []byte
}

// bytes serialises p with a correct CRC.
func (p *testPage) bytes() []byte {
	b := make([]byte, 0, pageHeaderSize+len(p.lacing)+len(p.body))
	b = append(b, "OggS"...)
	b = append(b, 0, p.htype)
	b = binary.LittleEndian.AppendUint64(b, p.granule)
	b = binary.LittleEndian.AppendUint32(b, p.serial)
	b = binary.LittleEndian.AppendUint32(b, p.seq)
	b = append(b, 0, 0, 0, 0, byte(len(p.lacing)))
	b = append(b, p.lacing...)
	b = append(b, p.body...)
	binary.LittleEndian.PutUint32(b[22:], crcUpdate(0, b))
	return b
}

// testPacket is a packet and the granule position at its end.
type testPacket struct {
	data    []byte
	granule uint64
}

// paginate lays packets out on pages of at most maxBody body bytes (and
// 255 segments), starting a fresh page after each packet index in flush.
// Pages are numbered from seq0; the first is BOS and the last EOS.
func paginate(serial, seq0 uint32, pkts []testPacket, maxBody int, flush ...int) []testPage {
	var pages []testPage
	cur := &testPage{granule: granuleNone}
	emit := func() {
		cur.serial, cur.seq = serial, seq0+uint32(len(pages))
		pages = append(pages, *cur)
		cont := len(cur.lacing) > 0 && cur.lacing[len(cur.lacing)-1] == 255
		cur = &testPage{granule: granuleNone}
		if cont {
			cur.htype = flagContinued
		}
	}
	for i, pk := range pkts {
		rest := pk.data
		for {
			if len(cur.lacing) == 255 || len(cur.body) >= maxBody {
				emit()
			}
			seg := min(len(rest), 255)
			cur.lacing = append(cur.lacing, byte(seg))
			cur.body = append(cur.body, rest[:seg]...)
			rest = rest[seg:]
			if seg < 255 {
				break
			}
		}
		cur.granule = pk.granule
		for _, f := range flush {
			if f == i {
				emit()
			}
		}
	}
	if len(cur.lacing) > 0 {
		emit()
	}
	pages[0].htype |= flagBOS
	pages[len(pages)-1].htype |= flagEOS
	return pages
}

// joinPages serialises pages into a file.
func joinPages(pages ...[]testPage) []byte {
	var b []byte
	for _, ps := range pages {
		for i := range ps {
			b = append(b, ps[i].bytes()...)
		}
	}
	return b
}

// vorbisComment returns a comment structure (vendor, then KEY=value
// comments) prefixed by prefix and followed by suffix.
func vorbisComment(prefix, suffix string, comments ...string) []byte {
	b := []byte(prefix)
	b = binary.LittleEndian.AppendUint32(b, 6)
	b = append(b, "tester"...)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(comments)))
	for _, c := range comments {
		b = binary.LittleEndian.AppendUint32(b, uint32(len(c)))
		b = append(b, c...)
	}
	return append(b, suffix...)
}

// fakeVorbis returns the packets of a Vorbis-like stream: the three
// header packets (the comment holding comments) and n audio packets of
// pseudo-random sizes and bytes drawn from seed.
func fakeVorbis(n int, seed uint64, comments ...string) []testPacket {
	rnd := rand.New(rand.NewPCG(seed, 1))
	id := append([]byte("\x01vorbis"), make([]byte, 23)...)
	setup := append([]byte("\x05vorbis"), randBytes(rnd, 300)...)
	pkts := []testPacket{
		{id, 0},
		{vorbisComment("\x03vorbis", "\x01", comments...), 0},
		{setup, 0},
	}
	var g uint64
	for range n {
		g += 256
		pkts = append(pkts, testPacket{randBytes(rnd, 40+rnd.IntN(600)), g})
	}
	return pkts
}

func randBytes(rnd *rand.Rand, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(rnd.Uint32())
	}
	return b
}

// mergePages re-paginates an Ogg file with one logical stream: the header
// pages (granule 0) stay, and every k audio pages become one page, as
// long as the result has at most 255 segments. The packets are unchanged.
func mergePages(t *testing.T, data []byte, k int) []byte {
	t.Helper()
	var pages []page
	for off := 0; off < len(data); {
		p, err := parsePage(data[off:])
		if err != nil {
			t.Fatalf("offset %d: %v", off, err)
		}
		pages = append(pages, p)
		off += p.size()
	}
	var out []testPage
	var cur *testPage
	n := 0
	flush := func() {
		if cur != nil {
			cur.seq = uint32(len(out))
			out = append(out, *cur)
			cur, n = nil, 0
		}
	}
	for i, p := range pages {
		if p.granule == 0 {
			flush()
			out = append(out, testPage{p.htype, p.granule, p.serial, uint32(len(out)), p.lacing, p.body})
			continue
		}
		if cur != nil && (n == k || len(cur.lacing)+len(p.lacing) > 255) {
			flush()
		}
		if cur == nil {
			cur = &testPage{htype: p.htype & flagContinued, granule: granuleNone, serial: p.serial}
		}
		cur.lacing = append(bytes.Clone(cur.lacing), p.lacing...)
		cur.body = append(bytes.Clone(cur.body), p.body...)
		if p.granule != granuleNone {
			cur.granule = p.granule
		}
		cur.htype |= p.htype & flagEOS
		n++
		if i == len(pages)-1 {
			flush()
		}
	}
	flush()
	if len(out) >= len(pages) {
		t.Fatalf("merging left %d pages of %d", len(out), len(pages))
	}
	return joinPages(out)
}
