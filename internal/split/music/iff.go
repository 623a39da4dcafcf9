package music

import (
	"fmt"

	"github.com/tunesafe/tunesafe/internal/split"
)

// Chunked forms: RIFF (WAV, little-endian), IFF (AIFF/AIFC, big-endian)
// and DSDIFF (big-endian, 64-bit sizes). A form is a header
//
//	id (4) size (4 or 8) form type (4)
//
// whose size counts everything after the size field, followed by chunks
//
//	id (4) size (4 or 8) payload [pad byte when the size is odd]
//
// The payload of the audio chunk (WAV "data", AIFF "SSND", DSDIFF "DSD " or
// "DST ") is audio; every other chunk, and the audio chunk's header, is
// tag. "ID3 " and "id3 " chunks hold an ID3v2 tag whose pictures are cut
// out. Taggers (mutagen, TagLib) resize, append or move chunks and rewrite
// the form size, never the audio payload.

// chunkFormat describes one chunked form.
type chunkFormat struct {
	name      string
	bigEndian bool
	wideSizes bool                             // 64-bit chunk sizes
	audio     func(id string) bool             // whether a chunk's payload is audio
	size      func(id string, n uint64) uint64 // rewrites a size read from the file (RF64)
}

func (f *chunkFormat) headerLen() int64 {
	if f.wideSizes {
		return 12
	}
	return 8
}

// readSize decodes a size field of the format.
func (f *chunkFormat) readSize(p []byte) uint64 {
	switch {
	case f.wideSizes && f.bigEndian:
		return be64(p)
	case f.wideSizes:
		return le64(p)
	case f.bigEndian:
		return uint64(be32(p))
	default:
		return uint64(le32(p))
	}
}

func isAIFF(h []byte) bool {
	return len(h) >= 12 && string(h[:4]) == "FORM" && (string(h[8:12]) == "AIFF" || string(h[8:12]) == "AIFC")
}

func isDSDIFF(h []byte) bool {
	return len(h) >= 16 && string(h[:4]) == "FRM8" && string(h[12:16]) == "DSD "
}

var aiffFormat = chunkFormat{
	name:      "aiff",
	bigEndian: true,
	audio:     func(id string) bool { return id == "SSND" },
}

var dsdiffFormat = chunkFormat{
	name:      "dsdiff",
	bigEndian: true,
	wideSizes: true,
	audio:     func(id string) bool { return id == "DSD " || id == "DST " },
}

// splitAIFF splits an AIFF or AIFF-C file.
func splitAIFF(s *source, b *planBuilder) error {
	var h [4]byte
	if err := s.readAt(h[:], 4); err != nil {
		return err
	}
	return splitForm(s, b, &aiffFormat, 12, 8+int64(be32(h[:])))
}

// splitDSDIFF splits a DSDIFF (.dff) file.
func splitDSDIFF(s *source, b *planBuilder) error {
	var h [8]byte
	if err := s.readAt(h[:], 4); err != nil {
		return err
	}
	n, ok := size64(be64(h[:]))
	if !ok {
		return fmt.Errorf("%w: dsdiff: bad form size", ErrMalformed)
	}
	return splitForm(s, b, &dsdiffFormat, 16, 12+n)
}

// splitForm splits the chunks of a form whose first chunk is at first and
// whose size says it ends at formEnd. After the form only trailing tags
// may follow (some tools append an ID3v1 tag to a WAV file).
func splitForm(s *source, b *planBuilder, f *chunkFormat, first, formEnd int64) error {
	// A form size that counts a final pad byte the file lacks is tolerated.
	if formEnd > s.size+1 || formEnd < first {
		return fmt.Errorf("%w: %s: form size says %d bytes, the file has %d", ErrMalformed, f.name, formEnd, s.size)
	}
	if err := b.to(split.Tag, first); err != nil {
		return err
	}
	end, err := walkChunks(s, b, f, first, min(formEnd, s.size))
	if err != nil {
		return err
	}
	start, tags, err := trailingTags(s, end, s.size)
	if err != nil {
		return err
	}
	if start != end {
		return fmt.Errorf("%w: %s: %d unknown bytes after the form", ErrMalformed, f.name, start-end)
	}
	return addTrailers(b, tags)
}

// walkChunks adds the chunks in [off, end) to b and returns where they end:
// end, or end+1 when the last chunk's pad byte lies just past the form.
func walkChunks(s *source, b *planBuilder, f *chunkFormat, off, end int64) (int64, error) {
	hlen := f.headerLen()
	var h [12]byte
	for off < end {
		if end-off < hlen {
			return 0, fmt.Errorf("%w: %s: %d stray bytes at %d", ErrMalformed, f.name, end-off, off)
		}
		if err := s.readAt(h[:hlen], off); err != nil {
			return 0, err
		}
		id := string(h[:4])
		if !printable(h[:4]) {
			return 0, fmt.Errorf("%w: %s: bad chunk id %q at %d", ErrMalformed, f.name, id, off)
		}
		n := f.readSize(h[4:hlen])
		if f.size != nil {
			n = f.size(id, n)
		}
		body := off + hlen
		size, ok := size64(n)
		if !ok || size > end-body {
			return 0, fmt.Errorf("%w: %s: chunk %q at %d runs past the end of the form", ErrMalformed, f.name, id, off)
		}
		next := body + size + size&1
		if next > end {
			// A missing pad byte at the end of the file is common; a pad
			// byte just past a form size that forgot it is tolerated.
			if end == s.size {
				next = end
			} else {
				end = next
			}
		}
		var err error
		switch {
		case f.audio(id):
			err = b.to(split.Tag, body)
			if err == nil {
				err = b.to(split.Audio, body+size)
			}
			if err == nil {
				err = b.to(split.Tag, next)
			}
		case id == "ID3 " || id == "id3 ":
			var pics []span
			pics, err = embeddedID3Pictures(s, body, body+size)
			if err == nil {
				err = b.tag(next, pics)
			}
		default:
			err = b.to(split.Tag, next)
		}
		if err != nil {
			return 0, err
		}
		off = next
	}
	return off, nil
}
