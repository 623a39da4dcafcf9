package music

import (
	"errors"
	"fmt"

	"github.com/tunesafe/tunesafe/internal/split"
)

// MP4 / QuickTime (ISO/IEC 14496-12). A file is a sequence of boxes:
//
//	size (4, big-endian, includes the header) type (4)
//	size == 1: a 64-bit size follows the type (16-byte header)
//	size == 0: the box runs to the end of the file
//
// Audio samples live in mdat boxes; everything else (ftyp, moov with the
// sample tables and the iTunes tags, free, uuid, moof...) is metadata. The
// covers are in moov/udta/meta/ilst/covr, one data box each:
//
//	size "data" type (4: 13 JPEG, 14 PNG...) locale (4) picture bytes
//
// meta is a full box (4 bytes of version and flags before its children)
// except from some writers, which omit them.

// mp4TopLevel are the box types a file may start with.
var mp4TopLevel = []string{"ftyp", "moov", "mdat", "free", "skip", "wide", "pnot", "styp"}

// maxMP4Children caps the boxes visited inside one container when looking
// for covers.
const maxMP4Children = 1 << 12

func isMP4(h []byte) bool {
	if len(h) < 8 {
		return false
	}
	for _, t := range mp4TopLevel {
		if string(h[4:8]) == t {
			return true
		}
	}
	return false
}

// mp4Box is a box header read from the file.
type mp4Box struct {
	typ            string
	off, body, end int64 // where the box starts, its content starts, it ends
}

// readMP4Box reads the header of the box at off inside a parent ending at
// end. ok is false when the header is not a box that fits.
func readMP4Box(s *source, off, end int64) (mp4Box, bool, error) {
	if end-off < 8 {
		return mp4Box{}, false, nil
	}
	var h [16]byte
	if err := s.readAt(h[:8], off); err != nil {
		return mp4Box{}, false, err
	}
	box := mp4Box{typ: string(h[4:8]), off: off, body: off + 8}
	switch size := int64(be32(h[:4])); size {
	case 0:
		box.end = end
	case 1:
		if end-off < 16 {
			return mp4Box{}, false, nil
		}
		if err := s.readAt(h[8:16], off+8); err != nil {
			return mp4Box{}, false, err
		}
		l, ok := size64(be64(h[8:16]))
		if !ok || l < 16 || l > end-off {
			return mp4Box{}, false, nil
		}
		box.body, box.end = off+16, off+l
	default:
		if size < 8 || size > end-off {
			return mp4Box{}, false, nil
		}
		box.end = off + size
	}
	return box, true, nil
}

// splitMP4 splits the top-level boxes of an MP4 file.
func splitMP4(s *source, b *planBuilder) error {
	for off := int64(0); off < s.size; {
		box, ok, err := readMP4Box(s, off, s.size)
		if err != nil {
			return err
		}
		if !ok || !printable([]byte(box.typ)) {
			return fmt.Errorf("%w: mp4: no valid box at %d", ErrMalformed, off)
		}
		switch box.typ {
		case "mdat":
			if err := b.to(split.Tag, box.body); err != nil {
				return err
			}
			err = b.to(split.Audio, box.end)
		case "moov":
			var pics []span
			if pics, err = mp4Covers(s, box); err == nil {
				err = splitMoov(s, b, box, pics)
			}
		default:
			err = b.to(split.Tag, box.end)
		}
		if err != nil {
			return err
		}
		off = box.end
	}
	return nil
}

// mp4Covers returns the cover pictures inside moov. Boxes that do not parse
// end the search without an error: they stay in the Tag region.
func mp4Covers(s *source, moov mp4Box) ([]span, error) {
	var pics []span
	err := mp4Children(s, moov.body, moov.end, func(c mp4Box) error {
		switch c.typ {
		case "udta":
			return mp4Children(s, c.body, c.end, func(m mp4Box) error {
				if m.typ != "meta" {
					return nil
				}
				return mp4MetaCovers(s, m, &pics)
			})
		case "meta":
			return mp4MetaCovers(s, c, &pics)
		}
		return nil
	})
	return pics, err
}

// mp4MetaCovers adds the covers in meta/ilst/covr to pics.
func mp4MetaCovers(s *source, meta mp4Box, pics *[]span) error {
	body := meta.body
	var v [4]byte
	if meta.end-body >= 4 {
		if err := s.readAt(v[:], body); err != nil {
			return err
		}
		if be32(v[:]) == 0 { // version and flags of a full box
			body += 4
		}
	}
	return mp4Children(s, body, meta.end, func(ilst mp4Box) error {
		if ilst.typ != "ilst" {
			return nil
		}
		return mp4Children(s, ilst.body, ilst.end, func(covr mp4Box) error {
			if covr.typ != "covr" {
				return nil
			}
			return mp4Children(s, covr.body, covr.end, func(data mp4Box) error {
				if data.typ == "data" && data.end-data.body > 8 && len(*pics) < maxPictures {
					*pics = append(*pics, span{data.body + 8, data.end})
				}
				return nil
			})
		})
	})
}

// mp4Children calls fn for each child box in [off, end), in order, and
// stops quietly at the first one that does not parse.
func mp4Children(s *source, off, end int64, fn func(mp4Box) error) error {
	for i := 0; off < end && i < maxMP4Children; i++ {
		box, ok, err := readMP4Box(s, off, end)
		if err != nil || !ok {
			return err
		}
		if err := fn(box); err != nil {
			return err
		}
		off = box.end
	}
	return nil
}

// splitMoov cuts moov where a tag edit's changes begin and end. Its size
// field and its tags change with every edit, and its chunk offset tables
// (stco, co64) change when a tag edit moves mdat; the sample tables (the
// bulk of moov) do not. So the regions are: moov's header; each trak up to
// its chunk offsets; the chunk offsets; the rest; and the tags (udta, meta)
// on their own, with their pictures.
func splitMoov(s *source, b *planBuilder, moov mp4Box, pics []span) error {
	if err := b.to(split.Tag, moov.body); err != nil {
		return err
	}
	b.cut()
	picsIn := func(end int64) []span {
		var in []span
		for _, p := range pics {
			if p.off >= b.off && p.end <= end {
				in = append(in, p)
			}
		}
		return in
	}
	err := mp4Children(s, moov.body, moov.end, func(c mp4Box) error {
		switch c.typ {
		case "trak":
			if err := mp4CutOffsets(s, b, c, 0); err != nil {
				return err
			}
		case "udta", "meta":
			b.cut()
			if err := b.tag(c.end, picsIn(c.end)); err != nil {
				return err
			}
			b.cut()
		}
		return nil
	})
	if err != nil && !errors.Is(err, ErrMalformed) {
		return err
	}
	// A moov whose children do not parse stays one tag region from there.
	return b.tag(moov.end, picsIn(moov.end))
}

// mp4CutOffsets cuts around the chunk offset tables below box (trak, mdia,
// minf, stbl).
func mp4CutOffsets(s *source, b *planBuilder, box mp4Box, depth int) error {
	if depth > 4 {
		return nil
	}
	return mp4Children(s, box.body, box.end, func(c mp4Box) error {
		switch c.typ {
		case "mdia", "minf", "stbl":
			return mp4CutOffsets(s, b, c, depth+1)
		case "stco", "co64":
			if c.off < b.off {
				return nil
			}
			if err := b.to(split.Tag, c.off); err != nil {
				return err
			}
			b.cut()
			if err := b.to(split.Tag, c.end); err != nil {
				return err
			}
			b.cut()
		}
		return nil
	})
}
