package library

import (
	"bytes"
	"encoding/json"
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

// FuzzDecodeView feeds arbitrary bytes to DecodeView, which reads the
// library view stored in a snapshot. It must not panic, must allocate in
// proportion to the input, and whatever it accepts must encode, decode to
// the same view and serve the selections restore makes. The seed corpus is
// in testdata/fuzz/FuzzDecodeView.
func FuzzDecodeView(f *testing.F) {
	// Small views: the fuzzer minimizes what it finds, and a large seed
	// makes it spend its time doing that.
	lib := mustParse(f, []byte(doc(
		`<key>1</key><dict><key>Track ID</key><integer>1</integer><key>Name</key><string>Halo</string><key>Artist</key><string>Beyoncé</string><key>Album</key><string>I Am</string><key>Location</key><string>file:///Users/anna/Music/Halo.m4a</string></dict>`+
			`<key>2</key><dict><key>Track ID</key><integer>2</integer><key>Name</key><string>So What</string><key>Artist</key><string>Miles Davis</string><key>Location</key><string>file://localhost/C:/Music/So%20What.mp3</string></dict>`+
			`<key>3</key><dict><key>Track ID</key><integer>3</integer><key>Name</key><string>Radio</string><key>Track Type</key><string>URL</string><key>Location</key><string>http://radio.example/</string></dict>`,
		`<dict><key>Name</key><string>Library</string><key>Master</key><true/><key>Playlist Items</key><array><dict><key>Track ID</key><integer>1</integer></dict><dict><key>Track ID</key><integer>2</integer></dict></array></dict>`+
			`<dict><key>Name</key><string>Mixes</string><key>Playlist Persistent ID</key><string>B000000000000003</string><key>Folder</key><true/></dict>`+
			`<dict><key>Name</key><string>Jazz</string><key>Playlist Persistent ID</key><string>B000000000000004</string><key>Parent Persistent ID</key><string>B000000000000003</string><key>Playlist Items</key><array><dict><key>Track ID</key><integer>2</integer></dict><dict><key>Track ID</key><integer>9</integer></dict></array></dict>`,
	)))
	v := &View{Source: "/Users/anna/Music/iTunes/iTunes Music Library.xml", Library: lib, Paths: map[int]string{1: "Music/Halo.m4a"}, Missing: []int{2}}
	for _, v := range []*View{v, {Library: &Library{}}} {
		b, err := EncodeView(v)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 1<<20 {
			return
		}
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		v, err := DecodeView(data)
		runtime.ReadMemStats(&after)
		// A track is a few hundred bytes in memory and can be written in
		// a dozen ("Tracks":{"1":{},"2":{}...}); the bound allows for
		// that, not for growth with a declared count or the square of the
		// input.
		if alloc, limit := after.TotalAlloc-before.TotalAlloc, 512*uint64(len(data))+4<<20; alloc > limit {
			t.Fatalf("DecodeView allocated %d bytes for %d bytes of input", alloc, len(data))
		}
		if err != nil {
			if v != nil {
				t.Fatalf("DecodeView returned a view and error %v", err)
			}
			return
		}
		if v.Library == nil || v.Library.Tracks == nil {
			t.Fatalf("DecodeView accepted a view without a library: %+v", v)
		}

		// The selections restore makes must cope with any stored view.
		lib := v.Library
		all := lib.AllTracks()
		if len(all) != len(lib.Tracks) {
			t.Fatalf("AllTracks returned %d of %d tracks", len(all), len(lib.Tracks))
		}
		for i, p := range lib.Playlists {
			if i == 64 {
				break
			}
			items := lib.PlaylistItems(p)
			if !p.Folder && len(items) > len(p.Items) {
				t.Fatalf("playlist %q has %d items, PlaylistItems returned %d", p.Name, len(p.Items), len(items))
			}
			if p.Folder && len(items) > len(lib.Tracks) {
				t.Fatalf("folder %q returned %d tracks of %d", p.Name, len(items), len(lib.Tracks))
			}
			_, _ = lib.PlaylistTracks(p.Name)
			_, _ = lib.PlaylistByPersistentID(p.PersistentID)
		}
		for i, tr := range all {
			if i == 64 {
				break
			}
			lib.TracksByArtist(tr.Artist)
			lib.TracksByAlbum(tr.Album, tr.AlbumArtist)
		}

		enc, err := EncodeView(v)
		var me *json.MarshalerError
		if errors.As(err, &me) {
			return // a UTC offset of 24 hours, which encoding/json reads but does not write
		}
		if err != nil {
			t.Fatalf("decoded view does not encode: %v", err)
		}
		back, err := DecodeView(enc)
		if err != nil {
			t.Fatalf("re-encoded view does not decode: %v\n%s", err, enc)
		}
		if !librariesEqual(v.Library, back.Library) || back.Source != v.Source ||
			len(back.Paths) != len(v.Paths) || len(back.Missing) != len(v.Missing) {
			t.Fatal("decode(encode(decode(x))) differs from decode(x)")
		}
		for id, p := range v.Paths {
			if back.Paths[id] != p {
				t.Fatalf("path of track %d changed from %q to %q", id, p, back.Paths[id])
			}
		}
		if again, err := EncodeView(back); err != nil || !bytes.Equal(again, enc) {
			t.Fatalf("encoding not stable: %v", err)
		}
	})
}
