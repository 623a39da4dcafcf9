package library

import (
	"strings"
	"unicode"
)

// Fold returns the key under which names (artists, albums, playlists)
// match: two names match when their Folds are equal. It
//
//   - trims the ends and collapses every run of Unicode white space
//     (including no-break spaces) to one space, and drops zero-width
//     characters;
//   - decomposes precomposed characters canonically, so that "é" typed as
//     one character (NFC, usual in tags) and as "e" plus a combining accent
//     (NFD, usual in macOS file names) are the same;
//   - folds case (with "ß" as "ss");
//   - spells typographic quotes, dashes and the ellipsis in ASCII, so that
//     "90’s Music" matches "90's music".
//
// It keeps accents: "Beyonce" does not match "Beyoncé". The result is a
// key, not for display.
func Fold(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	space := false // a space is pending
	for _, r := range s {
		if unicode.IsSpace(r) {
			space = b.Len() > 0
			continue
		}
		if isZeroWidth(r) {
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		if d, ok := decompose(r); ok {
			for _, x := range d {
				foldRune(&b, x)
			}
			continue
		}
		foldRune(&b, r)
	}
	return b.String()
}

func foldRune(b *strings.Builder, r rune) {
	switch r {
	case '‘', '’', '‚', '‛', '′', '`', '´':
		b.WriteByte('\'')
	case '“', '”', '„', '‟', '″':
		b.WriteByte('"')
	case '‐', '‑', '‒', '–', '—', '―', '−':
		b.WriteByte('-')
	case '…':
		b.WriteString("...")
	case 'ß', 'ẞ':
		b.WriteString("ss")
	default:
		// ToUpper then ToLower folds the characters with several case
		// forms (ſ, ς, K as Kelvin sign) onto one.
		b.WriteRune(unicode.ToLower(unicode.ToUpper(r)))
	}
}

func isZeroWidth(r rune) bool {
	switch r {
	case '\u200B', '\u200C', '\u200D', '\u2060', '\uFEFF', '\u00AD':
		return true
	}
	return false
}

// Hangul syllables decompose by formula (Unicode §3.12).
const (
	hangulBase  = 0xAC00
	hangulCount = 11172
	jamoL       = 0x1100
	jamoV       = 0x1161
	jamoT       = 0x11A7
	jamoVCount  = 21
	jamoTCount  = 28
)

// decompose returns the canonical decomposition of r, if it has one.
func decompose(r rune) (string, bool) {
	if r < 0xC0 {
		return "", false
	}
	if i := r - hangulBase; 0 <= i && i < hangulCount {
		l := jamoL + i/(jamoVCount*jamoTCount)
		v := jamoV + i%(jamoVCount*jamoTCount)/jamoTCount
		s := string([]rune{l, v})
		if t := i % jamoTCount; t != 0 {
			s += string(jamoT + t)
		}
		return s, true
	}
	d, ok := decompositions[r]
	return d, ok
}
