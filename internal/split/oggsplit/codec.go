package oggsplit

import (
	"bytes"
	"encoding/binary"
)

// codec is the mapping of one logical stream, known from its first packet.
// It decides which packets are header packets (stored as tags) and where
// embedded pictures sit inside them; it never affects how bytes are stored,
// only how regions are labelled.
type codec uint8

const (
	codecOther codec = iota // an unknown mapping: its packets are labelled Data
	codecVorbis
	codecOpus
	codecSpeex
	codecFLAC
	codecTheora
	codecSkeleton
)

// allPackets as a header count means every packet of the stream is
// metadata (Ogg Skeleton).
const allPackets = -1

// maxSpeexExtra bounds the extra header count a Speex stream may declare.
const maxSpeexExtra = 64

// identify returns the codec of a logical stream from its first packet and
// the number of header packets it begins with, counting the first:
//
//	Vorbis   "\x01vorbis"  3 (identification, comment, setup)
//	Opus     "OpusHead"    2 (OpusHead, OpusTags)
//	Speex    "Speex   "    2 + extra_headers (uint32 LE at byte 68)
//	FLAC     "\x7fFLAC"    1 + header packet count (uint16 BE at byte 7)
//	Theora   "\x80theora"  3
//	Skeleton "fishead\x00" all packets
//
// Any other first packet, including FLAC with an unknown (0) header count
// and Speex with an implausible extra header count, gives codecOther with
// one header packet: the stream is stored exactly, its later packets
// labelled Data.
func identify(pkt []byte) (codec, int) {
	switch {
	case bytes.HasPrefix(pkt, []byte("\x01vorbis")):
		return codecVorbis, 3
	case bytes.HasPrefix(pkt, []byte("OpusHead")):
		return codecOpus, 2
	case bytes.HasPrefix(pkt, []byte("Speex   ")) && len(pkt) >= 72:
		if extra := binary.LittleEndian.Uint32(pkt[68:]); extra <= maxSpeexExtra {
			return codecSpeex, 2 + int(extra)
		}
	case bytes.HasPrefix(pkt, []byte("\x7fFLAC")) && len(pkt) >= 9:
		if n := binary.BigEndian.Uint16(pkt[7:]); n > 0 {
			return codecFLAC, 1 + int(n)
		}
	case bytes.HasPrefix(pkt, []byte("\x80theora")):
		return codecTheora, 3
	case bytes.HasPrefix(pkt, []byte("fishead\x00")):
		return codecSkeleton, allPackets
	}
	return codecOther, 1
}

// hasComment reports whether header packet k of a c stream may hold a
// comment or picture, so that Split scans it for pictures.
func (c codec) hasComment(k int) bool {
	switch c {
	case codecVorbis, codecOpus, codecSpeex, codecTheora:
		return k == 1
	case codecFLAC:
		return k >= 1
	}
	return false
}

// Packet prefixes before a Vorbis comment structure, by codec.
var commentPrefix = map[codec]string{
	codecVorbis: "\x03vorbis",
	codecOpus:   "OpusTags",
	codecTheora: "\x81theora",
	codecSpeex:  "",
}

// FLAC metadata block types (RFC 9639 §8.1) carried one per header packet.
const (
	flacVorbisComment = 4
	flacPicture       = 6
)

// minPicture is the smallest embedded picture worth a region of its own.
const minPicture = 1024

// rng is the byte range [start, end).
type rng struct{ start, end int64 }

// identifyLen is the number of leading bytes of a first packet that
// identify looks at.
const identifyLen = 72

// keyLen is the number of leading bytes of a comment searched for the '='
// that ends its key: the longest key that bytes.EqualFold can match with
// METADATA_BLOCK_PICTURE, and its '='. EqualFold matches an ASCII letter
// only with runes of at most 3 bytes in UTF-8 (K with the Kelvin sign), so
// such a key has at most 66 bytes.
const keyLen = 3*len("METADATA_BLOCK_PICTURE") + 1

// A scanner gathers identifyLen or keyLen bytes in one buffer.
var _ [identifyLen - keyLen]struct{}

// A scanner reads one header packet as its bytes arrive, piece by piece
// (a packet may span many pages), and keeps only what Split needs: the
// first bytes of a stream's first packet, for identify, or the ranges of
// the embedded pictures of a header packet that may hold some. It never
// holds the packet, so its memory does not depend on the packet's size:
// a picture is only skipped over.
//
// Pictures are the values of METADATA_BLOCK_PICTURE and COVERART comments
// of at least minPicture bytes, and FLAC PICTURE metadata blocks. A
// comment packet is the codec's prefix (commentPrefix) then a Vorbis
// comment structure: vendor length, vendor, comment count, then the
// comments, each a length and "KEY=value" (lengths uint32 LE). A FLAC
// header packet is a metadata block: a 4-byte header whose first byte's
// low 7 bits are the block type, then the block. A malformed packet yields
// the pictures before the first field that runs past its end.
type scanner struct {
	pos    int64 // packet bytes fed so far
	step   step
	want   int64 // bytes the step still needs
	gather bool  // the step's bytes are collected in buf (else skipped)
	buf    [identifyLen]byte
	nbuf   int

	codec  codec
	count  uint32 // comments left to read
	clen   int64  // length of the comment being read
	cstart int64  // packet offset of the comment being read
	pic    rng    // the comment's value when it is a picture
	block  bool   // the packet is a FLAC PICTURE block
	out    []rng  // pictures found, at most maxRegions
}

// step says what the bytes a scanner is gathering or skipping are.
type step uint8

const (
	stDone      step = iota // nothing more to find
	stIdentify              // the first bytes of a first packet
	stPrefix                // the codec's prefix of a comment packet
	stFLACBlock             // a FLAC metadata block header
	stVendorLen
	stVendor
	stCount
	stLen   // a comment's length
	stKey   // the first bytes of a comment
	stValue // the rest of a comment
)

// newScanner returns the scanner of header packet k of a c stream.
func newScanner(c codec, k int) *scanner {
	s := &scanner{codec: c}
	switch prefix, ok := commentPrefix[c]; {
	case k == 0:
		s.to(stIdentify, identifyLen, true)
	case c == codecFLAC:
		s.to(stFLACBlock, 4, true)
	case ok:
		s.to(stPrefix, int64(len(prefix)), true)
	}
	return s
}

// to starts step st, which needs n bytes, gathered in buf when gather.
func (s *scanner) to(st step, n int64, gather bool) {
	s.step, s.want, s.gather, s.nbuf = st, n, gather, 0
}

// head returns the first bytes of a first packet.
func (s *scanner) head() []byte { return s.buf[:s.nbuf] }

// feed reads the next bytes of the packet.
func (s *scanner) feed(b []byte) {
	for {
		for s.want == 0 && s.step != stDone {
			s.next()
		}
		if s.step == stDone {
			s.pos += int64(len(b))
			return
		}
		if len(b) == 0 {
			return
		}
		k := int(min(int64(len(b)), s.want))
		if s.gather {
			s.nbuf += copy(s.buf[s.nbuf:], b[:k])
		}
		s.pos += int64(k)
		s.want -= int64(k)
		b = b[k:]
	}
}

// finish ends the packet and returns its pictures, in order. Only a
// complete packet has pictures.
func (s *scanner) finish() []rng {
	s.feed(nil)
	if s.block && s.pos-4 >= minPicture {
		s.out = append(s.out, rng{4, s.pos})
	}
	return s.out
}

// next acts on the bytes of a completed step and starts the next step.
func (s *scanner) next() {
	b := s.buf[:s.nbuf]
	switch s.step {
	case stIdentify:
		s.step = stDone // keeping buf for head
	case stPrefix:
		if string(b) != commentPrefix[s.codec] {
			s.to(stDone, 0, false)
			return
		}
		s.to(stVendorLen, 4, true)
	case stFLACBlock:
		switch b[0] & 0x7f {
		case flacPicture:
			s.block = true
			s.to(stDone, 0, false)
		case flacVorbisComment:
			s.to(stVendorLen, 4, true)
		default:
			s.to(stDone, 0, false)
		}
	case stVendorLen:
		s.to(stVendor, int64(binary.LittleEndian.Uint32(b)), false)
	case stVendor:
		s.to(stCount, 4, true)
	case stCount:
		s.count = binary.LittleEndian.Uint32(b)
		s.nextComment()
	case stLen:
		s.clen, s.cstart = int64(binary.LittleEndian.Uint32(b)), s.pos
		s.to(stKey, min(s.clen, int64(keyLen)), true)
	case stKey:
		s.pic = rng{}
		if eq := bytes.IndexByte(b, '='); eq >= 0 && s.clen-int64(eq+1) >= minPicture {
			if key := b[:eq]; bytes.EqualFold(key, []byte("METADATA_BLOCK_PICTURE")) || bytes.EqualFold(key, []byte("COVERART")) {
				s.pic = rng{s.cstart + int64(eq+1), s.cstart + s.clen}
			}
		}
		s.to(stValue, s.clen-int64(len(b)), false)
	case stValue:
		if s.pic.end > 0 && len(s.out) < maxRegions {
			s.out = append(s.out, s.pic)
		}
		s.count--
		s.nextComment()
	}
}

// nextComment starts the next comment, if any is left.
func (s *scanner) nextComment() {
	if s.count == 0 {
		s.to(stDone, 0, false)
		return
	}
	s.to(stLen, 4, true)
}
