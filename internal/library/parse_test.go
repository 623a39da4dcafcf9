package library

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"runtime"
	"strings"
	"testing"
	"testing/iotest"
	"time"
)

// doc wraps a Tracks dictionary body and a Playlists array body in a
// library export; the header takes lines 1-5, so the body starts on line 6.
func doc(tracks, playlists string) string {
	return `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple Computer//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
<key>Major Version</key><integer>1</integer>
<key>Tracks</key><dict>
` + tracks + `
</dict>
<key>Playlists</key><array>
` + playlists + `
</array>
</dict>
</plist>
`
}

func TestParseMinimal(t *testing.T) {
	lib := mustParse(t, []byte(doc(`
<key>7</key><dict>
	<key>Track ID</key><integer>7</integer>
	<key>Name</key><string>a<!-- comment -->b<![CDATA[<c>]]>&amp;&#38;&#x263A;</string>
	<key>Unknown Dict</key><dict><key>x</key><array><integer>1</integer><real>2.5</real><data>AAEC</data><false/></array></dict>
	<key>Unknown Real</key><real>-1.5e3</real>
	<key>Size</key><integer> +42 </integer>
	<key>Total Time</key><integer>1500</integer>
	<key>Date Added</key><date>2020-02-03T04:05:06Z</date>
	<key>Podcast</key><true />
	<key>Location</key><string>file:///a/b%20c.mp3</string>
</dict>
<key>8</key><dict>
	<key>Name</key><string>no inner Track ID</string>
</dict>`, `
<dict><key>Name</key><string>P</string><key>Playlist Items</key><array>
	<dict><key>Track ID</key><integer>8</integer></dict>
	<dict><key>Track ID</key><integer>7</integer></dict>
</array></dict>`)))
	tr := lib.Tracks[7]
	if tr.Name != "ab<c>&&☺" || tr.Size != 42 || tr.TotalTime != 1500*time.Millisecond || !tr.Podcast ||
		!tr.DateAdded.Equal(date("2020-02-03T04:05:06Z")) || tr.Path != "/a/b c.mp3" {
		t.Errorf("track 7: %+v", tr)
	}
	if tr := lib.Tracks[8]; tr.ID != 8 || tr.Name != "no inner Track ID" {
		t.Errorf("track 8: %+v", tr)
	}
	if p := lib.Playlists[0]; p.Name != "P" || !p.Visible || len(p.Items) != 2 || p.Items[0] != 8 {
		t.Errorf("playlist: %+v", p)
	}
}

func TestParseLenient(t *testing.T) {
	// A UTF-8 byte order mark and a bare <dict> root are accepted.
	lib := mustParse(t, []byte("\xEF\xBB\xBF<dict><key>Tracks</key><dict/></dict>"))
	if len(lib.Tracks) != 0 || lib.Tracks == nil {
		t.Errorf("tracks: %v", lib.Tracks)
	}
	// An undecodable Location makes the track non-local, not the library
	// unreadable.
	lib = mustParse(t, []byte(doc(`<key>1</key><dict><key>Track ID</key><integer>1</integer>
		<key>Track Type</key><string>File</string><key>Location</key><string>file:///bad%zz</string></dict>`, "")))
	if tr := lib.Tracks[1]; tr.IsLocal() || tr.Location != "file:///bad%zz" {
		t.Errorf("track with a bad Location: %+v", tr)
	}
	// The inner Track ID wins over the dictionary key.
	lib = mustParse(t, []byte(doc(`<key>1</key><dict><key>Track ID</key><integer>2</integer></dict>`, "")))
	if _, ok := lib.Tracks[2]; !ok || len(lib.Tracks) != 1 {
		t.Errorf("tracks: %v", lib.Tracks)
	}
}

func TestParseErrors(t *testing.T) {
	deep := strings.Repeat("<array>", 100) + strings.Repeat("</array>", 100)
	tests := []struct {
		name, in  string
		line      int    // 0: not checked
		context   string // "": not checked
		msgSubstr string
	}{
		{"empty", "", 0, "", "no <plist> element"},
		{"binary plist", "bplist00\x00\x01", 1, "", "binary property list"},
		{"itl", "hdfm\x00\x00\x00\x90", 1, "", ".itl"},
		{"musicdb", "hfma\xa0\x00\x00\x00", 1, "", ".musicdb"},
		{"html", "<html><body/></html>", 1, "", "root element is <html>"},
		{"text", "iTunes Library", 1, "", "not an XML property list"},
		{"array root", "<plist><array/></plist>", 1, "", "root value is <array>"},
		{"no tracks", "<plist>\n<dict><key>Major Version</key><integer>1</integer></dict></plist>", 2, "", "no Tracks dictionary"},
		{"truncated", doc("", "")[:120], 0, "", "malformed XML"},
		{"mismatched tags", doc("<key>1</key><dict></array>", ""), 7, "", "malformed XML"},
		{"unknown element", doc("<key>1</key><dict><key>Name</key><strin>x</strin></dict>", ""), 7, "Tracks/1/Name", "unknown element <strin>"},
		{"wrong type", doc("<key>1</key><dict>\n<key>Size</key><string>big</string></dict>", ""), 8, "Tracks/1/Size", "want <integer>, found <string>"},
		{"bad integer", doc("<key>1</key><dict>\n\n<key>Year</key><integer>20x4</integer></dict>", ""), 9, "Tracks/1/Year", "bad integer"},
		{"integer overflow", doc("<key>1</key><dict><key>Size</key><integer>99999999999999999999</integer></dict>", ""), 7, "Tracks/1/Size", "bad integer"},
		{"total time overflow", doc("<key>1</key><dict><key>Total Time</key><integer>9223372036854775</integer></dict>", ""), 7, "Tracks/1/Total Time", "out of range"},
		{"bad date", doc("<key>1</key><dict><key>Date Added</key><date>yesterday</date></dict>", ""), 7, "Tracks/1/Date Added", "bad date"},
		{"bad base64", doc("", "<dict><key>Smart Info</key><data>!!!</data></dict>"), 10, "Playlists/0/Smart Info", "bad base64"},
		{"bool with content", doc("<key>1</key><dict><key>Podcast</key><true>yes</true></dict>", ""), 7, "Tracks/1/Podcast", "has content"},
		{"key without value", doc("<key>1</key><dict><key>Name</key></dict>", ""), 7, "Tracks/1", `key "Name" has no value`},
		{"two keys", doc("<key>1</key><dict><key>Name</key><key>Artist</key></dict>", ""), 7, "Tracks/1", `key "Name" has no value`},
		{"value without key", doc("<key>1</key><dict><string>x</string></dict>", ""), 7, "Tracks/1", "where a <key> belongs"},
		{"text between elements", doc("<key>1</key><dict>oops<key>Name</key><string>x</string></dict>", ""), 7, "Tracks/1", "unexpected text"},
		{"element in string", doc("<key>1</key><dict><key>Name</key><string>a<b/></string></dict>", ""), 7, "Tracks/1/Name", "unexpected element <b>"},
		{"track not a dict", doc("<key>1</key><string>x</string>", ""), 7, "Tracks/1", "want <dict>"},
		{"track key not numeric", doc("<key>x</key><dict/>", ""), 7, "Tracks/x", "non-numeric key"},
		{"item without id", doc("", "<dict><key>Playlist Items</key><array><dict/></array></dict>"), 10, "Playlists/0/Playlist Items/0", "without a Track ID"},
		{"key in array", doc("", "<key>x</key>"), 10, "Playlists", "<key> outside a dictionary"},
		{"too deep", doc("", "<dict><key>Extra</key>"+deep+"</dict>"), 10, "", "nesting deeper than 64"},
		{"second root value", "<plist><dict><key>Tracks</key><dict/></dict><dict/></plist>", 1, "", "second value"},
		{"trailing element", "<plist><dict><key>Tracks</key><dict/></dict></plist>\n<plist/>", 2, "", "after the end"},
		{"trailing text", "<plist><dict><key>Tracks</key><dict/></dict></plist>x", 1, "", "text after the end"},
		{"utf-16", `<?xml version="1.0" encoding="UTF-16"?><plist/>`, 1, "", "UTF-16"},
		{"illegal character", doc("<key>1</key><dict><key>Name</key><string>&#1;</string></dict>", ""), 7, "", "illegal character"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(strings.NewReader(tt.in))
			var fe *FormatError
			if !errors.As(err, &fe) {
				t.Fatalf("error %v (%T), want a *FormatError", err, err)
			}
			if tt.line != 0 && fe.Line != tt.line {
				t.Errorf("line %d, want %d: %v", fe.Line, tt.line, err)
			}
			if tt.context != "" && fe.Context != tt.context {
				t.Errorf("context %q, want %q: %v", fe.Context, tt.context, err)
			}
			if !strings.Contains(fe.Msg, tt.msgSubstr) {
				t.Errorf("message %q does not mention %q", fe.Msg, tt.msgSubstr)
			}
			if !strings.HasPrefix(err.Error(), "library: ") {
				t.Errorf("error %q lacks the package prefix", err)
			}
		})
	}
}

func TestFormatErrorMessage(t *testing.T) {
	_, err := Parse(strings.NewReader(doc("<key>1</key><dict>\n<key>Size</key><string>big</string></dict>", "")))
	want := "library: line 8, column 16: Tracks/1/Size: want <integer>, found <string>"
	if err == nil || err.Error() != want {
		t.Errorf("error %q, want %q", err, want)
	}
}

// errAfter returns its data, then err.
type errAfter struct {
	r   io.Reader
	err error
}

func (e *errAfter) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	if err == io.EOF {
		return n, e.err
	}
	return n, err
}

func TestParseReadError(t *testing.T) {
	errDisk := errors.New("input/output error")
	for name, r := range map[string]io.Reader{
		"mid-document":  &errAfter{strings.NewReader(doc("", "")[:200]), errDisk},
		"first read":    iotest.ErrReader(errDisk),
		"after the end": &errAfter{strings.NewReader(doc("", "")), errDisk},
	} {
		_, err := Parse(r)
		var fe *FormatError
		if !errors.Is(err, errDisk) || errors.As(err, &fe) {
			t.Errorf("%s: error %v, want the reader's error, not a FormatError", name, err)
		}
	}
}

func TestParseSmallReads(t *testing.T) {
	data := readTestdata(t, "folders.xml")
	want := mustParse(t, data)
	for name, r := range map[string]io.Reader{
		"one byte":       iotest.OneByteReader(bytes.NewReader(data)),
		"data and error": iotest.DataErrReader(bytes.NewReader(data)),
	} {
		got, err := Parse(r)
		if err != nil || !librariesEqual(got, want) {
			t.Errorf("%s: %v, or a different library", name, err)
		}
	}
}

// bytesAllocated returns the bytes allocated while running f once.
func bytesAllocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// syntheticLibrary returns an export with n tracks and a playlist of all.
func syntheticLibrary(t testing.TB, n int) []byte {
	lib := &Library{MajorVersion: 1, MinorVersion: 1, Tracks: map[int]Track{}}
	p := Playlist{Name: "All", Visible: true}
	for i := 1; i <= n; i++ {
		lib.Tracks[i] = Track{
			ID: i, PersistentID: fmt.Sprintf("%016X", i), Name: fmt.Sprintf("Song %d", i),
			Artist: fmt.Sprintf("Artist %d", i%97), Album: fmt.Sprintf("Album %d", i%311),
			Size: int64(i) * 1000, TotalTime: time.Duration(i) * time.Second, TrackNumber: i % 20,
			DateAdded: time.Date(2020, 1, 1, 0, 0, i%60, 0, time.UTC), Type: TrackFile,
			Location: fmt.Sprintf("file:///Users/u/Music/iTunes/iTunes%%20Media/Music/Artist%%20%d/%d.m4a", i%97, i),
		}
		p.Items = append(p.Items, i)
	}
	lib.Playlists = []Playlist{p}
	return mustEncode(t, lib)
}

// TestParseLinear checks that memory grows linearly with the input, for
// many tracks and for one long string split by many comments.
func TestParseLinear(t *testing.T) {
	inputs := map[string]func(n int) []byte{
		"tracks": func(n int) []byte { return syntheticLibrary(t, n) },
		"long string": func(n int) []byte {
			name := strings.Repeat("abcdefgh<!---->", n)
			return []byte(doc("<key>1</key><dict><key>Name</key><string>"+name+"</string></dict>", ""))
		},
	}
	for what, gen := range inputs {
		small, large := gen(2000), gen(8000)
		a := bytesAllocated(func() { mustParse(t, small) })
		b := bytesAllocated(func() { mustParse(t, large) })
		ratio := float64(b) / float64(a)
		t.Logf("%s: %d bytes -> %d allocated; %d -> %d (x%.2f)", what, len(small), a, len(large), b, ratio)
		if ratio > 6 { // 4x the input; quadratic growth would give about 16x
			t.Errorf("%s: allocation grew %.1fx for 4x the input", what, ratio)
		}
	}
}

func TestRoundTripCorpus(t *testing.T) {
	for _, name := range []string{macLibrary, unixLibrary, windowsLibrary} {
		lib := corpusLibrary(t, name)
		again := mustParse(t, mustEncode(t, lib))
		if !librariesEqual(lib, again) {
			t.Errorf("%s: parse(encode(parse(x))) differs from parse(x)", name)
		}
	}
}

func TestRoundTripFixture(t *testing.T) {
	lib := mustParse(t, readTestdata(t, "folders.xml"))
	if again := mustParse(t, mustEncode(t, lib)); !librariesEqual(lib, again) {
		t.Error("parse(encode(parse(x))) differs from parse(x)")
	}
	// The comparison itself must notice a change.
	changed := mustParse(t, readTestdata(t, "folders.xml"))
	tr := changed.Tracks[101]
	tr.PlayDate = time.Date(2021, 1, 1, 0, 0, 0, 0, time.UTC)
	changed.Tracks[101] = tr
	if librariesEqual(lib, changed) {
		t.Error("librariesEqual missed a changed play date")
	}
	changed = mustParse(t, readTestdata(t, "folders.xml"))
	changed.Playlists[3].Items[0] = 105
	if librariesEqual(lib, changed) {
		t.Error("librariesEqual missed a changed playlist item")
	}
}
