package oggsplit

import (
	"bytes"
	"encoding/binary"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// refPictures is the definition that the scanner streams: it returns the
// picture ranges of header packet k of a c stream, given the whole packet.
func refPictures(c codec, k int, pkt []byte) []rng {
	if c == codecFLAC {
		if len(pkt) < 4 {
			return nil
		}
		switch pkt[0] & 0x7f {
		case flacPicture:
			if len(pkt)-4 >= minPicture {
				return []rng{{4, int64(len(pkt))}}
			}
		case flacVorbisComment:
			return refCommentPictures(pkt, 4)
		}
		return nil
	}
	prefix, ok := commentPrefix[c]
	if !ok || !bytes.HasPrefix(pkt, []byte(prefix)) {
		return nil
	}
	return refCommentPictures(pkt, len(prefix))
}

func refCommentPictures(pkt []byte, off int) []rng {
	next := func() (int, int, bool) {
		if len(pkt)-off < 4 {
			return 0, 0, false
		}
		n := binary.LittleEndian.Uint32(pkt[off:])
		if uint64(n) > uint64(len(pkt)-off-4) {
			return 0, 0, false
		}
		start := off + 4
		off = start + int(n)
		return start, off, true
	}
	if _, _, ok := next(); !ok { // vendor string
		return nil
	}
	if len(pkt)-off < 4 {
		return nil
	}
	count := binary.LittleEndian.Uint32(pkt[off:])
	off += 4
	var out []rng
	for range count {
		start, end, ok := next()
		if !ok {
			break
		}
		kv := pkt[start:end]
		eq := bytes.IndexByte(kv, '=')
		if eq < 0 || end-(start+eq+1) < minPicture {
			continue
		}
		key := kv[:eq]
		if bytes.EqualFold(key, []byte("METADATA_BLOCK_PICTURE")) || bytes.EqualFold(key, []byte("COVERART")) {
			out = append(out, rng{int64(start + eq + 1), int64(end)})
		}
	}
	return out
}

// scanPictures feeds pkt to a scanner in the pieces cut at cuts.
func scanPictures(c codec, k int, pkt []byte, cuts []int) []rng {
	s := newScanner(c, k)
	prev := 0
	for _, cut := range append(cuts, len(pkt)) {
		s.feed(pkt[prev:cut])
		prev = cut
	}
	return s.finish()
}

// TestScanner compares the scanner, fed in random pieces, with
// refPictures on comment packets with pictures, damaged ones included.
func TestScanner(t *testing.T) {
	rnd := rand.New(rand.NewPCG(11, 12))
	pic := strings.Repeat("p", minPicture)
	comments := []string{"TITLE=a", "METADATA_BLOCK_PICTURE=" + pic, "coverart=" + pic + "q", "COVERART=" + pic[1:],
		"METADATA_BLOC\u212a_PICTURE=" + pic, "COVER=" + pic, "noequals" + pic, strings.Repeat("K", 70) + "=" + pic, ""}
	for i := range 3000 {
		c := []codec{codecVorbis, codecOpus, codecSpeex, codecTheora, codecFLAC}[i%5]
		rnd.Shuffle(len(comments), func(i, j int) { comments[i], comments[j] = comments[j], comments[i] })
		var pkt []byte
		switch c {
		case codecFLAC:
			if i%3 == 0 {
				pkt = append([]byte{0x86, 0, 0, 0}, make([]byte, minPicture-8+rnd.IntN(16))...)
			} else {
				pkt = append([]byte{0x04, 0, 0, 0}, vorbisComment("", "", comments[:rnd.IntN(len(comments))]...)...)
			}
		default:
			pkt = vorbisComment(commentPrefix[c], "\x01", comments[:rnd.IntN(len(comments))]...)
		}
		switch rnd.IntN(4) {
		case 0: // damage a byte
			pkt[rnd.IntN(len(pkt))] = byte(rnd.Uint32())
		case 1: // cut
			pkt = pkt[:rnd.IntN(len(pkt)+1)]
		}
		var cuts []int
		for range rnd.IntN(6) {
			cuts = append(cuts, rnd.IntN(len(pkt)+1))
		}
		slices.Sort(cuts)
		k := 1
		if c == codecFLAC {
			k = 1 + rnd.IntN(3)
		}
		want := refPictures(c, k, pkt)
		if got := scanPictures(c, k, pkt, cuts); !slices.Equal(got, want) {
			t.Fatalf("codec %d, packet of %d bytes %.200q cut at %v: pictures %v, want %v", c, len(pkt), pkt, cuts, got, want)
		}
	}
}

// TestScannerIdentify: the scanner of a first packet keeps what identify
// needs, however the packet arrives.
func TestScannerIdentify(t *testing.T) {
	speex := append([]byte("Speex   "), make([]byte, 72)...)
	binary.LittleEndian.PutUint32(speex[68:], 2)
	for _, pkt := range [][]byte{speex, speex[:71], speex[:72], []byte("OpusHead\x01"), []byte("\x7fFLAC\x01\x00\x00\x02fLaC")} {
		for cut := range len(pkt) + 1 {
			s := newScanner(codecOther, 0)
			s.feed(pkt[:cut])
			s.feed(pkt[cut:])
			s.finish()
			gc, gn := identify(s.head())
			wc, wn := identify(pkt)
			if gc != wc || gn != wn {
				t.Fatalf("%q cut at %d: %d, %d; want %d, %d", pkt, cut, gc, gn, wc, wn)
			}
		}
	}
}
