package music

import (
	"bytes"
	"fmt"

	"github.com/tunesafe/tunesafe/internal/split"
)

// ASF (WMA, WMV) is a sequence of top-level objects,
//
//	GUID (16) size (8, little-endian, includes the 24-byte header) data
//
// a Header Object first (with all the metadata: content descriptions,
// pictures, padding), then the Data Object, whose 50-byte header (GUID,
// size, file ID, packet count, reserved) precedes the packets, then
// optional index objects, which refer to packets by number, not offset.
// Taggers rewrite the Header Object only.

var (
	asfHeaderGUID = []byte{0x30, 0x26, 0xb2, 0x75, 0x8e, 0x66, 0xcf, 0x11, 0xa6, 0xd9, 0x00, 0xaa, 0x00, 0x62, 0xce, 0x6c}
	asfDataGUID   = []byte{0x36, 0x26, 0xb2, 0x75, 0x8e, 0x66, 0xcf, 0x11, 0xa6, 0xd9, 0x00, 0xaa, 0x00, 0x62, 0xce, 0x6c}
)

// asfDataHeader is the length of the Data Object's header.
const asfDataHeader = 50

func isASF(h []byte) bool { return bytes.HasPrefix(h, asfHeaderGUID) }

// splitASF splits the top-level objects of an ASF file.
func splitASF(s *source, b *planBuilder) error {
	var h [24]byte
	for off := int64(0); off < s.size; {
		if err := s.readAt(h[:], off); err != nil {
			return fmt.Errorf("asf: object header at %d: %w", off, err)
		}
		size, ok := size64(le64(h[16:24]))
		if !ok || size < 24 || size > s.size-off {
			return fmt.Errorf("%w: asf: object at %d has bad size %d", ErrMalformed, off, le64(h[16:24]))
		}
		end := off + size
		var err error
		switch {
		case off == 0 && !bytes.Equal(h[:16], asfHeaderGUID):
			return fmt.Errorf("%w: asf: no header object", ErrMalformed)
		case bytes.Equal(h[:16], asfDataGUID):
			if size < asfDataHeader {
				return fmt.Errorf("%w: asf: data object at %d too short", ErrMalformed, off)
			}
			err = b.to(split.Tag, off+asfDataHeader)
			if err == nil {
				err = b.to(split.Audio, end)
			}
		default:
			err = b.to(split.Tag, end)
		}
		if err != nil {
			return err
		}
		off = end
	}
	return nil
}
