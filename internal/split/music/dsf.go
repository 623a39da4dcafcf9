package music

import (
	"fmt"

	"github.com/tunesafe/tunesafe/internal/split"
)

// DSF (Sony's DSD Stream File), all sizes little-endian 64-bit:
//
//	"DSD " chunk size (=28) total file size, metadata pointer (0 = none)
//	"fmt " chunk size (=52) format fields
//	"data" chunk size (=12 + sample bytes) samples
//	ID3v2 tag at the metadata pointer, to the end of the file
//
// A tag edit rewrites the total size and the pointer in the first chunk
// and the tag at the end; the samples stay.

func isDSF(h []byte) bool {
	return len(h) >= 12 && string(h[:4]) == "DSD " && le64(h[4:12]) == 28
}

// splitDSF splits a DSF file.
func splitDSF(s *source, b *planBuilder) error {
	var h [28]byte
	if err := s.readAt(h[:], 0); err != nil {
		return err
	}
	total, metaPtr := le64(h[12:20]), le64(h[20:28])
	if total != uint64(s.size) {
		return fmt.Errorf("%w: dsf: header says %d bytes, the file has %d", ErrMalformed, total, s.size)
	}
	var c [12]byte
	if err := s.readAt(c[:], 28); err != nil {
		return err
	}
	fmtSize, ok := size64(le64(c[4:12]))
	if string(c[:4]) != "fmt " || !ok || fmtSize < 12 || fmtSize > s.size-28 {
		return fmt.Errorf("%w: dsf: bad fmt chunk", ErrMalformed)
	}
	data := 28 + fmtSize
	if err := s.readAt(c[:], data); err != nil {
		return err
	}
	dataSize, ok := size64(le64(c[4:12]))
	if string(c[:4]) != "data" || !ok || dataSize < 12 || dataSize > s.size-data {
		return fmt.Errorf("%w: dsf: bad data chunk", ErrMalformed)
	}
	dataEnd := data + dataSize
	if err := b.to(split.Tag, data+12); err != nil {
		return err
	}
	if err := b.to(split.Audio, dataEnd); err != nil {
		return err
	}
	switch {
	case metaPtr == 0 && dataEnd == s.size:
		return nil
	case metaPtr == uint64(dataEnd):
		pics, err := embeddedID3Pictures(s, dataEnd, s.size)
		if err != nil {
			return err
		}
		return b.tag(s.size, pics)
	}
	return fmt.Errorf("%w: dsf: metadata pointer %d does not follow the data chunk ending at %d", ErrMalformed, metaPtr, dataEnd)
}
