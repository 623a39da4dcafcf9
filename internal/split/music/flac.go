package music

import (
	"fmt"

	"github.com/tunesafe/tunesafe/internal/split"
)

// FLAC (RFC 9639):
//
//	[ID3v2 tags] "fLaC" METADATA_BLOCK+ FRAME+ [APEv2 / ID3v1]
//
// Each metadata block has a 4-byte header: a last-block bit, a 7-bit type
// (0 STREAMINFO, 1 PADDING, 4 VORBIS_COMMENT, 6 PICTURE, ...) and a 24-bit
// big-endian length. A PICTURE block is: picture type (4), MIME length (4)
// and MIME type, description length (4) and description, width, height,
// depth, colours (16), data length (4) and the picture data. Frames start
// with the sync code 0xFFF8 (fixed block size) or 0xFFF9 (variable).

// splitFLAC splits the FLAC stream whose "fLaC" marker is at pos; the
// regions before pos are already in b.
func splitFLAC(s *source, b *planBuilder, pos int64) error {
	p := pos + 4
	for i := 0; ; i++ {
		var h [4]byte
		if err := s.readAt(h[:], p); err != nil {
			return fmt.Errorf("flac: metadata block header at %d: %w", p, err)
		}
		last, typ, n := h[0]&0x80 != 0, h[0]&0x7f, int64(be24(h[1:4]))
		if typ == 127 || (i == 0 && typ != 0) {
			return fmt.Errorf("%w: flac: bad metadata block type %d at %d", ErrMalformed, typ, p)
		}
		body := p + 4
		if n > s.size-body {
			return fmt.Errorf("%w: flac: metadata block at %d runs past the end of the file", ErrMalformed, p)
		}
		if typ == 4 {
			// The tags: stored apart from STREAMINFO and SEEKTABLE before.
			b.cut()
		}
		var pics []span
		if typ == 6 {
			pic, err := flacPicture(s, body, body+n)
			if err != nil {
				return err
			}
			if pic.end > pic.off {
				pics = []span{pic}
			}
		}
		if err := b.tag(body+n, pics); err != nil {
			return err
		}
		p = body + n
		if last {
			break
		}
	}
	end, tags, err := trailingTags(s, p, s.size)
	if err != nil {
		return err
	}
	if end > p {
		var sync [2]byte
		if err := s.readAt(sync[:], p); err != nil {
			return err
		}
		if sync[0] != 0xff || sync[1]&0xfe != 0xf8 {
			return fmt.Errorf("%w: flac: no frame sync at %d after the metadata", ErrMalformed, p)
		}
	}
	if err := b.to(split.Audio, end); err != nil {
		return err
	}
	return addTrailers(b, tags)
}

// flacPicture returns the picture data of the PICTURE block [body, end), or
// an empty span when its fields do not fit the block.
func flacPicture(s *source, body, end int64) (span, error) {
	var n [4]byte
	q := body + 4 // picture type
	for range 2 { // MIME type, then description: length and bytes
		if end-q < 4 {
			return span{}, nil
		}
		if err := s.readAt(n[:], q); err != nil {
			return span{}, err
		}
		q += 4
		l := int64(be32(n[:]))
		if l > end-q {
			return span{}, nil
		}
		q += l
	}
	q += 16 // width, height, depth, colours
	if end-q < 4 {
		return span{}, nil
	}
	if err := s.readAt(n[:], q); err != nil {
		return span{}, err
	}
	q += 4
	if l := int64(be32(n[:])); l <= end-q {
		return span{q, q + l}, nil
	}
	return span{}, nil
}
