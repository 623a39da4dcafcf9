package music

import (
	"fmt"
)

// WAV is a RIFF form of type "WAVE" (see iff.go). RF64 and BW64 files,
// which may exceed 4 GiB, put 0xFFFFFFFF in the 32-bit RIFF and data sizes
// and the real 64-bit sizes in a "ds64" chunk that comes first:
//
//	"ds64" size (4) riff size (8) data size (8) sample count (8) ...

func isRIFF(h []byte) bool {
	if len(h) < 12 || string(h[8:12]) != "WAVE" {
		return false
	}
	switch string(h[:4]) {
	case "RIFF", "RF64", "BW64":
		return true
	}
	return false
}

// splitRIFF splits a WAV, RF64 or BW64 file.
func splitRIFF(s *source, b *planBuilder) error {
	var h [12]byte
	if err := s.readAt(h[:], 0); err != nil {
		return err
	}
	formEnd := 8 + int64(le32(h[4:8]))
	f := chunkFormat{name: "wav", audio: func(id string) bool { return id == "data" }}
	if string(h[:4]) != "RIFF" {
		// The first chunk must be ds64, holding the sizes that do not fit.
		var ds [28]byte
		if err := s.readAt(ds[:], 12); err != nil {
			return err
		}
		if string(ds[:4]) != "ds64" || le32(ds[4:8]) < 16 {
			return fmt.Errorf("%w: wav: %s file without a ds64 chunk", ErrMalformed, h[:4])
		}
		riffSize, dataSize := le64(ds[8:16]), le64(ds[16:24])
		if le32(h[4:8]) == 0xffffffff {
			n, ok := size64(riffSize)
			if !ok {
				return fmt.Errorf("%w: wav: bad RF64 size", ErrMalformed)
			}
			formEnd = 8 + n
		}
		f.size = func(id string, n uint64) uint64 {
			if id == "data" && n == 0xffffffff {
				return dataSize
			}
			return n
		}
	}
	return splitForm(s, b, &f, 12, formEnd)
}
