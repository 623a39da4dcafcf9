package library

import (
	"bufio"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"
)

// WriteM3U8 writes tracks as an extended M3U playlist in UTF-8 (".m3u8"):
//
//	#EXTM3U
//	#EXTINF:182,alt-J - Tessellate
//	/Music/Alt-J/An Awesome Wave/03 Tessellate.mp3
//
// The duration is in whole seconds, rounded down, or -1 when unknown; the
// title is "Artist - Name", or the name alone without an artist. Line
// breaks inside a title become spaces. pathFor gives each track's entry,
// which may be relative to the playlist's folder; nil means
// NativePath(t.Path). Tracks whose entry is empty (streams, cloud-only
// items) are left out. An entry that is not valid UTF-8 or contains a line
// break is an error, since the playlist could not represent it. Lines end
// in "\n".
func WriteM3U8(w io.Writer, tracks []Track, pathFor func(Track) string) error {
	if pathFor == nil {
		pathFor = func(t Track) string { return NativePath(t.Path) }
	}
	bw := bufio.NewWriter(w)
	bw.WriteString("#EXTM3U\n")
	for _, t := range tracks {
		p := pathFor(t)
		if p == "" {
			continue
		}
		if !utf8.ValidString(p) || strings.ContainsAny(p, "\r\n") {
			return fmt.Errorf("write m3u8: track %d: path %q cannot be written in a playlist", t.ID, abbrev(p))
		}
		secs := int64(-1)
		if t.TotalTime > 0 {
			secs = int64(t.TotalTime / time.Second)
		}
		title := oneLine(t.Name)
		if a := oneLine(t.Artist); a != "" {
			title = a + " - " + title
		}
		fmt.Fprintf(bw, "#EXTINF:%d,%s\n%s\n", secs, title, p)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write m3u8: %w", err)
	}
	return nil
}

// oneLine replaces line breaks (and the whitespace around them) with one
// space, trims the ends and replaces invalid UTF-8.
func oneLine(s string) string {
	s = strings.TrimSpace(strings.ToValidUTF8(s, "\uFFFD"))
	if !strings.ContainsAny(s, "\r\n") {
		return s
	}
	lines := strings.FieldsFunc(s, func(r rune) bool { return r == '\r' || r == '\n' })
	for i := range lines {
		lines[i] = strings.TrimSpace(lines[i])
	}
	return strings.Join(lines, " ")
}
