package library

import (
	"bytes"
	"errors"
	"io"
	"runtime"
	"testing"
)

// FuzzParse feeds arbitrary bytes to Parse. It must not panic, must report
// bad input as a *FormatError, must allocate in proportion to the input,
// and whatever it accepts must survive encoding and parsing again. The seed
// corpus is in testdata/fuzz/FuzzParse.
func FuzzParse(f *testing.F) {
	f.Add([]byte(doc("", "")))
	f.Add([]byte(doc(`<key>1</key><dict><key>Track ID</key><integer>1</integer><key>Location</key><string>file://localhost/C:/a%20b.mp3</string></dict>`,
		`<dict><key>Name</key><string>P</string><key>Folder</key><true/><key>Playlist Items</key><array><dict><key>Track ID</key><integer>1</integer></dict></array></dict>`)))
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 1<<20 {
			return
		}
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		lib, err := Parse(bytes.NewReader(data))
		runtime.ReadMemStats(&after)
		// encoding/xml allocates about a dozen times the input for
		// token-dense XML; the bound leaves room for that, not for
		// growth with the square of the input or with a declared count.
		if alloc, limit := after.TotalAlloc-before.TotalAlloc, 64*uint64(len(data))+4<<20; alloc > limit {
			t.Fatalf("Parse allocated %d bytes for %d bytes of input", alloc, len(data))
		}
		if err != nil {
			var fe *FormatError
			if !errors.As(err, &fe) {
				t.Fatalf("error %v (%T) is not a *FormatError", err, err)
			}
			if fe.Line < 0 || fe.Column < 0 {
				t.Fatalf("error position %d:%d", fe.Line, fe.Column)
			}
			return
		}

		again, err := Parse(bytes.NewReader(mustEncode(t, lib)))
		if err != nil {
			t.Fatalf("re-encoded library does not parse: %v", err)
		}
		if !librariesEqual(lib, again) {
			t.Fatalf("parse(encode(parse(x))) differs from parse(x)")
		}

		// The helpers the CLI uses must cope with whatever Parse accepts.
		for _, p := range lib.Playlists {
			lib.PlaylistItems(p)
			_, _ = lib.PlaylistTracks(p.Name)
		}
		all := lib.AllTracks()
		if len(all) != len(lib.Tracks) {
			t.Fatalf("AllTracks returned %d of %d tracks", len(all), len(lib.Tracks))
		}
		for _, tr := range all {
			lib.TracksByArtist(tr.Artist)
		}
		if err := WriteM3U8(io.Discard, all, func(t Track) string { return t.Path }); err != nil {
			t.Fatalf("WriteM3U8: %v", err)
		}
		_, _ = lib.MusicFolder()
	})
}
