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
// comment or picture, so that Split keeps its bytes for pictures().
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

// pictures returns the byte ranges of header packet k that hold embedded
// pictures: the values of METADATA_BLOCK_PICTURE and COVERART comments, and
// FLAC PICTURE metadata blocks. Malformed packets yield no ranges.
func (c codec) pictures(k int, pkt []byte) []rng {
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
			return commentPictures(pkt, 4)
		}
		return nil
	}
	prefix, ok := commentPrefix[c]
	if !ok || !bytes.HasPrefix(pkt, []byte(prefix)) {
		return nil
	}
	return commentPictures(pkt, len(prefix))
}

// commentPictures parses the Vorbis comment structure at pkt[off:]
// (vendor length, vendor, count, then length-prefixed "KEY=value"
// comments, lengths uint32 LE) and returns the ranges of picture values.
func commentPictures(pkt []byte, off int) []rng {
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

// rng is the byte range [start, end).
type rng struct{ start, end int64 }
