package music

import (
	"bytes"
	"fmt"
)

// ID3v2 (id3v2.2.0.txt, id3v2.3.0.txt, id3v2.4.0-structure.txt).
//
// A tag is a 10-byte header ("ID3", version, revision, flags, 28-bit
// synchsafe size of what follows), an optional extended header, frames,
// padding, and in v2.4 an optional 10-byte footer ("3DI", same fields).
// The size counts bytes as stored, after unsynchronisation, so the tag's
// length on disk is known from the header alone; the frames only matter
// for finding the pictures.
//
// A frame is an ID (3 characters in v2.2, 4 after), a size (24-bit in v2.2,
// 32-bit in v2.3, synchsafe in v2.4; iTunes wrote v2.4 tags with v2.3
// sizes) and, from v2.3, two flag bytes. APIC (PIC in v2.2) holds a text
// encoding, a MIME type (a 3-letter format in v2.2), a picture type and a
// description, then the picture bytes up to the end of the frame.

const (
	id3FlagUnsync   = 0x80
	id3FlagExtended = 0x40 // v2.3 and v2.4; in v2.2 this bit means a compressed tag
	id3FlagFooter   = 0x10 // v2.4
)

// maxPaddingCheck is how much of an ID3v2 tag's padding is checked to be
// zeros when deciding how a v2.4 tag encodes its frame sizes.
const maxPaddingCheck = 64 << 10

// id3Header is the header of an ID3v2 tag, or the footer of a v2.4 tag.
type id3Header struct {
	version byte  // major version: 2, 3 or 4
	flags   byte  // header flags
	size    int64 // bytes after the header, not counting a footer
}

// parseID3Header parses the 10 bytes of a header (magic "ID3") or footer
// (magic "3DI").
func parseID3Header(p []byte, magic string) (id3Header, bool) {
	if len(p) < 10 || string(p[:3]) != magic || p[3] < 2 || p[3] > 4 || p[4] == 0xff {
		return id3Header{}, false
	}
	size, ok := synchsafe(p[6:10])
	if !ok {
		return id3Header{}, false
	}
	return id3Header{version: p[3], flags: p[5], size: int64(size)}, true
}

// length is the tag's length on disk: header, body and footer.
func (h id3Header) length() int64 {
	n := 10 + h.size
	if h.version == 4 && h.flags&id3FlagFooter != 0 {
		n += 10
	}
	return n
}

// synchsafe decodes big-endian 7-bit groups; a set top bit makes it invalid.
func synchsafe(p []byte) (uint32, bool) {
	var v uint32
	for _, c := range p {
		if c&0x80 != 0 {
			return 0, false
		}
		v = v<<7 | uint32(c)
	}
	return v, true
}

// readID3Header reads the header of an ID3v2 tag at off, if there is one.
func readID3Header(s *source, off int64) (id3Header, bool, error) {
	if !s.has(off, 10) {
		return id3Header{}, false, nil
	}
	var p [10]byte
	if err := s.readAt(p[:], off); err != nil {
		return id3Header{}, false, err
	}
	h, ok := parseID3Header(p[:], "ID3")
	return h, ok, nil
}

// leadingID3 adds the ID3v2 tags at the start of the file to b and
// returns the offset where they end. Several tags may be stacked; the
// first must fit in the file, a later one that would reach past limit
// (where the trailing tags start) is not a tag but the start of the audio.
func leadingID3(s *source, b *planBuilder, limit int64) (int64, error) {
	var pos int64
	for {
		h, ok, err := readID3Header(s, pos)
		if err != nil {
			return 0, err
		}
		if !ok {
			return pos, nil
		}
		n := h.length()
		if pos == 0 && n > s.size {
			return 0, fmt.Errorf("%w: ID3v2 tag declares %d bytes, past the end of the file", ErrMalformed, n)
		}
		if n > limit-pos {
			return pos, nil
		}
		pics, err := id3Pictures(s, pos, h)
		if err != nil {
			return 0, err
		}
		if err := b.tag(pos+n, pics); err != nil {
			return 0, err
		}
		pos += n
	}
}

// firstID3End returns where the ID3v2 tag at the start of the file ends, or
// 0 when the file does not start with one.
func firstID3End(s *source) (int64, error) {
	h, ok, err := readID3Header(s, 0)
	if err != nil || !ok {
		return 0, err
	}
	if n := h.length(); n <= s.size {
		return n, nil
	}
	return 0, fmt.Errorf("%w: ID3v2 tag declares %d bytes, past the end of the file", ErrMalformed, h.length())
}

// embeddedID3Pictures returns the pictures of an ID3v2 tag stored at off in
// a container (a RIFF "id3 " chunk, DSF metadata) that gives it the bytes
// up to end. Anything that is not a tag fitting there has no pictures.
func embeddedID3Pictures(s *source, off, end int64) ([]span, error) {
	h, ok, err := readID3Header(s, off)
	if err != nil || !ok || h.length() > end-off {
		return nil, err
	}
	return id3Pictures(s, off, h)
}

// id3Pictures returns the picture data of the APIC/PIC frames of the tag
// at off, in file order. It returns none when the tag's frames are not
// stored as is (whole-tag unsynchronisation or compression) or do not
// parse; only read errors are errors.
func id3Pictures(s *source, off int64, h id3Header) ([]span, error) {
	if h.flags&id3FlagUnsync != 0 || (h.version == 2 && h.flags&0x40 != 0) {
		return nil, nil
	}
	pos, end := off+10, off+10+h.size
	if h.version >= 3 && h.flags&id3FlagExtended != 0 {
		n, ok, err := id3ExtendedHeader(s, pos, end, h.version)
		if err != nil || !ok {
			return nil, err
		}
		pos += n
	}
	if h.version < 4 {
		pics, _, err := walkID3Frames(s, pos, end, h.version, false, false)
		return pics, err
	}
	// A v2.4 tag's frame sizes are synchsafe unless iTunes wrote them;
	// prefer the reading under which the frames end in clean padding.
	for _, w := range []struct{ plain, strict bool }{{false, true}, {true, true}, {false, false}} {
		pics, ok, err := walkID3Frames(s, pos, end, 4, w.plain, w.strict)
		if err != nil || ok {
			return pics, err
		}
	}
	return nil, nil
}

// id3ExtendedHeader returns the length of the extended header at pos, or 0
// when the flag is set but frames follow directly (a known writer bug).
func id3ExtendedHeader(s *source, pos, end int64, version byte) (int64, bool, error) {
	if end-pos < 4 {
		return 0, false, nil
	}
	var p [4]byte
	if err := s.readAt(p[:], pos); err != nil {
		return 0, false, err
	}
	if frameID(p[:]) {
		return 0, true, nil
	}
	var n int64
	if version == 3 {
		n = int64(be32(p[:])) + 4 // the size excludes itself
	} else {
		v, ok := synchsafe(p[:]) // the size includes itself
		if !ok {
			return 0, false, nil
		}
		n = int64(v)
	}
	if n < 6 || n > end-pos {
		return 0, false, nil
	}
	return n, true, nil
}

// walkID3Frames walks the frames in [pos, end) and returns the pictures.
// ok is false when a frame does not parse or overruns the tag. plain reads
// v2.4 frame sizes as plain integers; strict requires the padding after the
// last frame to be zeros.
func walkID3Frames(s *source, pos, end int64, version byte, plain, strict bool) (pics []span, ok bool, err error) {
	hlen, idLen := int64(10), 4
	if version == 2 {
		hlen, idLen = 6, 3
	}
	var hdr [10]byte
	for pos < end {
		if end-pos < hlen {
			return pics, !strict || zeros(s, pos, end), nil
		}
		h := hdr[:hlen]
		if err := s.readAt(h, pos); err != nil {
			return nil, false, err
		}
		if h[0] == 0 {
			if strict {
				return pics, zeros(s, pos, end), nil
			}
			return pics, true, nil
		}
		if !frameID(h[:idLen]) {
			return nil, false, nil
		}
		var size int64
		switch {
		case version == 2:
			size = int64(be24(h[3:6]))
		case version == 4 && !plain:
			v, ok := synchsafe(h[4:8])
			if !ok {
				return nil, false, nil
			}
			size = int64(v)
		default:
			size = int64(be32(h[4:8]))
		}
		body := pos + hlen
		if size > end-body {
			return nil, false, nil
		}
		id := string(h[:idLen])
		if (id == "APIC" || id == "PIC") && len(pics) < maxPictures {
			var flags uint16
			if version > 2 {
				flags = be16(h[8:10])
			}
			p, found, err := id3PictureData(s, version, flags, body, body+size)
			if err != nil {
				return nil, false, err
			}
			if found {
				pics = append(pics, span{p, body + size})
			}
		}
		pos = body + size
	}
	return pics, true, nil
}

// id3PictureData returns where the picture bytes start in the APIC or PIC
// frame body [body, end), if the frame stores them as is.
func id3PictureData(s *source, version byte, flags uint16, body, end int64) (int64, bool, error) {
	switch version {
	case 3:
		if flags&0x00c0 != 0 { // compressed or encrypted
			return 0, false, nil
		}
		if flags&0x0020 != 0 { // group identifier byte
			body++
		}
	case 4:
		if flags&0x000e != 0 { // compressed, encrypted or unsynchronised
			return 0, false, nil
		}
		if flags&0x0040 != 0 { // group identifier byte
			body++
		}
		if flags&0x0001 != 0 { // data length indicator
			body += 4
		}
	}
	if body >= end {
		return 0, false, nil
	}
	var buf [maxRead]byte
	p := buf[:min(end-body, maxRead)]
	if err := s.readAt(p, body); err != nil {
		return 0, false, err
	}
	enc := p[0]
	i := 1
	if version == 2 {
		i += 3 // image format
	} else {
		j := bytes.IndexByte(p[i:], 0) // MIME type, Latin-1
		if j < 0 {
			return 0, false, nil
		}
		i += j + 1
	}
	i++ // picture type
	if i > len(p) {
		return 0, false, nil
	}
	switch enc {
	case 0, 3: // Latin-1, UTF-8: one zero byte ends the description
		j := bytes.IndexByte(p[i:], 0)
		if j < 0 {
			return 0, false, nil
		}
		i += j + 1
	case 1, 2: // UTF-16: a zero code unit ends it
		j := i
		for j+1 < len(p) && (p[j] != 0 || p[j+1] != 0) {
			j += 2
		}
		if j+1 >= len(p) {
			return 0, false, nil
		}
		i = j + 2
	default:
		return 0, false, nil
	}
	if pic := body + int64(i); pic < end {
		return pic, true, nil
	}
	return 0, false, nil
}

// frameID reports whether p is a valid frame ID: capital letters and digits.
func frameID(p []byte) bool {
	for _, c := range p {
		if (c < 'A' || c > 'Z') && (c < '0' || c > '9') {
			return false
		}
	}
	return true
}

// zeros reports whether the bytes in [off, end) are zero, looking at no
// more than maxPaddingCheck of them.
func zeros(s *source, off, end int64) bool {
	end = min(end, off+maxPaddingCheck)
	var buf [maxRead]byte
	for off < end {
		p := buf[:min(end-off, maxRead)]
		if s.readAt(p, off) != nil {
			return false
		}
		for _, c := range p {
			if c != 0 {
				return false
			}
		}
		off += int64(len(p))
	}
	return true
}
