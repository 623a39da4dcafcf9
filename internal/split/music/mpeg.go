package music

import (
	"fmt"

	"github.com/tunesafe/tunesafe/internal/split"
)

// Tag-framed streams: MPEG audio (MP3, MP2), ADTS AAC, and the lossless
// formats that keep their tags outside the stream (Monkey's Audio, WavPack,
// Musepack, TTA, TAK, OptimFROG). Their layout is
//
//	[ID3v2 tags] audio [trailing tags]
//
// and the audio is whatever lies between: junk after the last ID3v2 tag,
// the Xing/Info/LAME or VBRI frame and every audio frame. Taggers resize
// only the tags, so this region is stable and merely shifts.

// streamMagics start the lossless streams that are tagged like MP3.
var streamMagics = []string{
	"MAC ", // Monkey's Audio
	"wvpk", // WavPack
	"MPCK", // Musepack SV8
	"MP+",  // Musepack SV7
	"TTA1", // True Audio
	"tBaK", // TAK
	"OFR ", // OptimFROG
}

// splitTagged splits a tag-framed stream. Without a leading ID3v2 tag the
// file must start with a known stream magic or with two consecutive MPEG
// audio or ADTS frames; after a leading tag anything is accepted as audio,
// since taggers leave junk there.
func splitTagged(s *source, b *planBuilder) error {
	// The trailing tags are found first, so that a stacked ID3v2 header
	// in the audio cannot reach into them.
	first, err := firstID3End(s)
	if err != nil {
		return err
	}
	start, tags, err := trailingTags(s, first, s.size)
	if err != nil {
		return err
	}
	pos, err := leadingID3(s, b, start)
	if err != nil {
		return err
	}
	if s.matches(pos, "fLaC") {
		return splitFLAC(s, b, pos)
	}
	if pos == 0 && !knownStream(s, 0, start) {
		return fmt.Errorf("%w: no audio stream or tag recognised at the start", ErrUnknownFormat)
	}
	if err := b.to(split.Audio, start); err != nil {
		return err
	}
	return addTrailers(b, tags)
}

// knownStream reports whether the audio in [off, end) starts with a stream
// magic or with MPEG audio frames.
func knownStream(s *source, off, end int64) bool {
	for _, m := range streamMagics {
		if s.matches(off, m) {
			return true
		}
	}
	var h [6]byte
	if s.peek(h[:], off) < len(h) || end-off < int64(len(h)) {
		return false
	}
	n, ok := mpegFrameLength(h)
	if !ok {
		return false
	}
	// One frame header is 4 bytes that could occur anywhere; require the
	// next frame to follow where the first one ends, unless the first one
	// is all there is.
	next := off + int64(n)
	if n == 0 || next >= end {
		return true
	}
	var h2 [6]byte
	if next+int64(len(h2)) > end || s.peek(h2[:], next) < len(h2) {
		return false
	}
	_, ok = mpegFrameLength(h2)
	return ok && h[1]&0xfe == h2[1]&0xfe
}

// mpegFrameLength decodes an MPEG audio (layer I-III, MPEG-1/2/2.5) or
// ADTS frame header and returns the frame's length, or 0 for free-format
// MPEG frames whose length the header does not give.
func mpegFrameLength(h [6]byte) (int, bool) {
	if h[0] != 0xff || h[1]&0xe0 != 0xe0 {
		return 0, false
	}
	if h[1]&0xf6 == 0xf0 { // ADTS: 12-bit sync, layer 00
		if (h[2]>>2)&0x0f >= 13 {
			return 0, false
		}
		n := int(h[3]&0x03)<<11 | int(h[4])<<3 | int(h[5]>>5)
		return n, n >= 7
	}
	version := (h[1] >> 3) & 3 // 0: MPEG-2.5, 2: MPEG-2, 3: MPEG-1
	layer := (h[1] >> 1) & 3   // 1: III, 2: II, 3: I
	bri := int(h[2] >> 4)
	sri := int(h[2]>>2) & 3
	if version == 1 || layer == 0 || bri == 15 || sri == 3 {
		return 0, false
	}
	if bri == 0 {
		return 0, true
	}
	rates := [4][3]int{{11025, 12000, 8000}, {}, {22050, 24000, 16000}, {44100, 48000, 32000}}
	rate := rates[version][sri]
	var kbps int
	if version == 3 {
		kbps = [3][15]int{
			{0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320},     // III
			{0, 32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384},    // II
			{0, 32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448}, // I
		}[layer-1][bri]
	} else {
		kbps = [3][15]int{
			{0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160},
			{0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160},
			{0, 32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256},
		}[layer-1][bri]
	}
	pad := int(h[2]>>1) & 1
	switch {
	case layer == 3: // I: 4-byte slots
		return (12*kbps*1000/rate + pad) * 4, true
	case layer == 1 && version != 3: // III, MPEG-2/2.5: half the samples
		return 72*kbps*1000/rate + pad, true
	default:
		return 144*kbps*1000/rate + pad, true
	}
}
