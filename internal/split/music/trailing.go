package music

import (
	"fmt"
)

// Tags at the end of a file, found from the end backwards. Writers stack
// them in several orders (audio | APEv2 | Lyrics3v2 | ID3v1 is common;
// an ID3v2 tag with a footer may come after an APEv2 or ID3v1 tag), so they
// are peeled one at a time until none matches:
//
//	ID3v1      "TAG" at end-128; 128 bytes. An extended "TAG+" block of 227
//	           bytes may stand directly before it.
//	APEv1/v2   32-byte footer "APETAGEX" at end-32, little-endian: version
//	           (1000 or 2000), size (items + footer), item count, flags; bit
//	           31 of the flags says a 32-byte header precedes the items.
//	Lyrics3v2  "LYRICS200" at end-9 after six ASCII digits N; the tag is the
//	           N bytes from "LYRICSBEGIN" plus those 15.
//	Lyrics3v1  "LYRICSEND" at end-9, "LYRICSBEGIN" at most 5100 bytes
//	           before it; only directly before an ID3v1 tag.
//	ID3v2      footer "3DI" at end-10 (v2.4 appended tag); the header "ID3"
//	           with the same size stands at end-20-size.

// maxTrailers caps the tags peeled from the end of one file.
const maxTrailers = 64

// trailer is a tag at the end of the file and the pictures inside it.
type trailer struct {
	span
	pics []span
}

// trailingTags peels the tags at the end of [lo, hi) and returns where the
// first of them starts (hi when there are none) and the tags, last first.
// A structure that looks like a trailing tag but is inconsistent is an error.
func trailingTags(s *source, lo, hi int64) (int64, []trailer, error) {
	var tags []trailer
	afterID3v1 := false
	for hi > lo {
		t, kind, err := trailingTag(s, lo, hi, afterID3v1)
		if err != nil {
			return 0, nil, err
		}
		if kind == "" {
			break
		}
		if len(tags) == maxTrailers {
			return 0, nil, fmt.Errorf("%w: more than %d tags at the end of the file", ErrMalformed, maxTrailers)
		}
		tags = append(tags, t)
		hi = t.off
		afterID3v1 = kind == "ID3v1"
	}
	return hi, tags, nil
}

// addTrailers adds the tags returned by trailingTags to b, in file order.
func addTrailers(b *planBuilder, tags []trailer) error {
	for i := len(tags) - 1; i >= 0; i-- {
		if err := b.tag(tags[i].end, tags[i].pics); err != nil {
			return err
		}
	}
	return nil
}

// trailingTag returns the tag that ends at hi and does not start before lo,
// and its kind, or kind "" when no tag ends at hi.
func trailingTag(s *source, lo, hi int64, afterID3v1 bool) (trailer, string, error) {
	var buf [32]byte
	// The structures with longer signatures go first.
	if hi-lo >= 32 && s.matches(hi-32, "APETAGEX") {
		t, err := apeTag(s, lo, hi)
		return t, "APE", err
	}
	if hi-lo >= 20 && s.matches(hi-10, "3DI") {
		p := buf[:10]
		if err := s.readAt(p, hi-10); err != nil {
			return trailer{}, "", err
		}
		f, ok := parseID3Header(p, "3DI")
		if ok && f.version == 4 && f.flags&id3FlagFooter != 0 && f.size+20 <= hi-lo {
			start := hi - 20 - f.size
			h, ok, err := readID3Header(s, start)
			if err != nil {
				return trailer{}, "", err
			}
			if !ok || h != f {
				return trailer{}, "", fmt.Errorf("%w: ID3v2 footer at %d without a matching header", ErrMalformed, hi-10)
			}
			pics, err := id3Pictures(s, start, h)
			return trailer{span{start, hi}, pics}, "ID3v2", err
		}
	}
	if hi-lo >= 15 && s.matches(hi-9, "LYRICS200") {
		p := buf[:6]
		if err := s.readAt(p, hi-15); err != nil {
			return trailer{}, "", err
		}
		n, ok := decimal(p)
		if !ok || n+15 > hi-lo || !s.matches(hi-15-n, "LYRICSBEGIN") {
			return trailer{}, "", fmt.Errorf("%w: bad Lyrics3v2 tag ending at %d", ErrMalformed, hi)
		}
		return trailer{span: span{hi - 15 - n, hi}}, "Lyrics3v2", nil
	}
	if afterID3v1 && hi-lo >= 20 && s.matches(hi-9, "LYRICSEND") {
		if start, ok, err := lyrics3v1(s, lo, hi); err != nil || ok {
			return trailer{span: span{start, hi}}, "Lyrics3v1", err
		}
	}
	if hi-lo >= 128 && s.matches(hi-128, "TAG") {
		start := hi - 128
		if start-lo >= 227 && s.matches(start-227, "TAG+") {
			start -= 227
		}
		return trailer{span: span{start, hi}}, "ID3v1", nil
	}
	return trailer{}, "", nil
}

// apeTag returns the APEv1 or APEv2 tag whose footer ends at hi.
func apeTag(s *source, lo, hi int64) (trailer, error) {
	var f [32]byte
	if err := s.readAt(f[:], hi-32); err != nil {
		return trailer{}, err
	}
	version, size, flags := le32(f[8:12]), int64(le32(f[12:16])), le32(f[20:24])
	if (version != 1000 && version != 2000) || size < 32 || flags&(1<<29) != 0 {
		return trailer{}, fmt.Errorf("%w: bad APE tag footer at %d", ErrMalformed, hi-32)
	}
	start := hi - size
	if flags&(1<<31) != 0 {
		start -= 32
	}
	if start < lo {
		return trailer{}, fmt.Errorf("%w: APE tag ending at %d starts before %d", ErrMalformed, hi, lo)
	}
	if flags&(1<<31) != 0 && !s.matches(start, "APETAGEX") {
		return trailer{}, fmt.Errorf("%w: APE tag at %d lacks its header", ErrMalformed, start)
	}
	return trailer{span: span{start, hi}}, nil
}

// lyrics3v1 finds the start of a Lyrics3 v1 tag ending at hi: the last
// "LYRICSBEGIN" in the 5100 bytes of lyrics before "LYRICSEND".
func lyrics3v1(s *source, lo, hi int64) (int64, bool, error) {
	const maxLyrics = 5100 + 11
	from := max(lo, hi-9-maxLyrics)
	var buf [maxLyrics]byte
	p := buf[:hi-9-from]
	if err := s.readAt(p, from); err != nil {
		return 0, false, err
	}
	for i := len(p) - 11; i >= 0; i-- {
		if string(p[i:i+11]) == "LYRICSBEGIN" {
			return from + int64(i), true, nil
		}
	}
	return 0, false, nil
}

// decimal parses ASCII digits.
func decimal(p []byte) (int64, bool) {
	var n int64
	for _, c := range p {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}
