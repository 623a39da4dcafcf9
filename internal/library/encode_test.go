package library

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/xml"
	"io"
	"reflect"
	"slices"
	"strconv"
	"testing"
	"time"
)

// encodeXML writes lib as a library export in iTunes' layout, with the
// fields this package models. Tests use it to build libraries that the
// corpus lacks (folders, hostile values) and for the parse → encode →
// parse round trip.
func encodeXML(w io.Writer, lib *Library) error {
	e := &plistWriter{w: bufio.NewWriter(w)}
	e.raw(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	e.raw(`<!DOCTYPE plist PUBLIC "-//Apple Computer//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">` + "\n")
	e.raw(`<plist version="1.0">` + "\n<dict>\n")
	e.integer("Major Version", int64(lib.MajorVersion))
	e.integer("Minor Version", int64(lib.MinorVersion))
	e.date("Date", lib.Date)
	e.str("Application Version", lib.ApplicationVersion)
	e.integer("Features", int64(lib.Features))
	e.boolean("Show Content Ratings", lib.ShowContentRatings)
	e.str("Music Folder", lib.MusicFolderURL)
	e.str("Library Persistent ID", lib.PersistentID)

	e.key("Tracks")
	e.raw("<dict>\n")
	ids := make([]int, 0, len(lib.Tracks))
	for id := range lib.Tracks {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		t := lib.Tracks[id]
		e.key(strconv.Itoa(id))
		e.raw("<dict>\n")
		e.integer("Track ID", int64(id))
		e.str("Name", t.Name)
		e.str("Artist", t.Artist)
		e.str("Album Artist", t.AlbumArtist)
		e.str("Composer", t.Composer)
		e.str("Album", t.Album)
		e.str("Genre", t.Genre)
		e.str("Grouping", t.Grouping)
		e.str("Comments", t.Comments)
		e.str("Kind", t.Kind)
		e.integer("Size", t.Size)
		e.integer("Total Time", int64(t.TotalTime/time.Millisecond))
		e.integer("Disc Number", int64(t.DiscNumber))
		e.integer("Disc Count", int64(t.DiscCount))
		e.integer("Track Number", int64(t.TrackNumber))
		e.integer("Track Count", int64(t.TrackCount))
		e.integer("Year", int64(t.Year))
		e.date("Date Modified", t.DateModified)
		e.date("Date Added", t.DateAdded)
		e.integer("Bit Rate", int64(t.BitRate))
		e.integer("Sample Rate", int64(t.SampleRate))
		e.integer("Play Count", int64(t.PlayCount))
		e.date("Play Date UTC", t.PlayDate)
		e.integer("Skip Count", int64(t.SkipCount))
		e.date("Skip Date", t.SkipDate)
		e.date("Release Date", t.ReleaseDate)
		e.integer("Rating", int64(t.Rating))
		e.integer("Album Rating", int64(t.AlbumRating))
		e.str("Persistent ID", t.PersistentID)
		e.str("Track Type", string(t.Type))
		e.boolean("Podcast", t.Podcast)
		e.boolean("Movie", t.Movie)
		e.boolean("TV Show", t.TVShow)
		e.boolean("Music Video", t.MusicVideo)
		e.boolean("Has Video", t.HasVideo)
		e.boolean("Compilation", t.Compilation)
		e.boolean("Purchased", t.Purchased)
		e.boolean("Protected", t.Protected)
		e.boolean("Disabled", t.Disabled)
		e.str("Location", t.Location)
		e.raw("</dict>\n")
	}
	e.raw("</dict>\n")

	e.key("Playlists")
	e.raw("<array>\n")
	for _, p := range lib.Playlists {
		e.raw("<dict>\n")
		e.str("Name", p.Name)
		e.boolean("Master", p.Master)
		e.integer("Playlist ID", int64(p.ID))
		e.str("Playlist Persistent ID", p.PersistentID)
		e.str("Parent Persistent ID", p.ParentPersistentID)
		e.integer("Distinguished Kind", int64(p.DistinguishedKind))
		if !p.Visible {
			e.key("Visible")
			e.raw("<false/>\n")
		}
		e.boolean("All Items", p.AllItems)
		e.boolean("Folder", p.Folder)
		if p.Smart {
			e.data("Smart Info", p.SmartInfo)
			e.data("Smart Criteria", p.SmartCriteria)
		}
		if p.Items != nil {
			e.key("Playlist Items")
			e.raw("<array>\n")
			for _, id := range p.Items {
				e.raw("<dict>\n")
				e.key("Track ID")
				e.raw("<integer>" + strconv.Itoa(id) + "</integer>\n")
				e.raw("</dict>\n")
			}
			e.raw("</array>\n")
		}
		e.raw("</dict>\n")
	}
	e.raw("</array>\n</dict>\n</plist>\n")
	if e.err != nil {
		return e.err
	}
	return e.w.Flush()
}

// plistWriter writes plist elements, omitting zero values as iTunes does.
type plistWriter struct {
	w   *bufio.Writer
	err error
}

func (e *plistWriter) raw(s string) {
	if e.err == nil {
		_, e.err = e.w.WriteString(s)
	}
}

func (e *plistWriter) text(s string) {
	if e.err == nil {
		e.err = xml.EscapeText(e.w, []byte(s))
	}
}

func (e *plistWriter) key(k string) {
	e.raw("<key>")
	e.text(k)
	e.raw("</key>")
}

func (e *plistWriter) str(k, v string) {
	if v != "" {
		e.key(k)
		e.raw("<string>")
		e.text(v)
		e.raw("</string>\n")
	}
}

func (e *plistWriter) integer(k string, v int64) {
	if v != 0 {
		e.key(k)
		e.raw("<integer>" + strconv.FormatInt(v, 10) + "</integer>\n")
	}
}

func (e *plistWriter) boolean(k string, v bool) {
	if v {
		e.key(k)
		e.raw("<true/>\n")
	}
}

func (e *plistWriter) date(k string, v time.Time) {
	if !v.IsZero() {
		e.key(k)
		e.raw("<date>" + v.UTC().Format("2006-01-02T15:04:05.999999999Z") + "</date>\n")
	}
}

func (e *plistWriter) data(k string, v []byte) {
	if v != nil {
		e.key(k)
		e.raw("<data>" + base64.StdEncoding.EncodeToString(v) + "</data>\n")
	}
}

// mustEncode returns lib as XML.
func mustEncode(t testing.TB, lib *Library) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := encodeXML(&b, lib); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// mustParse parses XML that a test expects to be well formed.
func mustParse(t testing.TB, data []byte) *Library {
	t.Helper()
	lib, err := Parse(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	return lib
}

// tracksEqual compares tracks field by field, times by instant.
func tracksEqual(a, b Track) bool {
	return reflect.DeepEqual(normTrack(a), normTrack(b))
}

func normTrack(t Track) Track {
	for _, p := range []*time.Time{&t.DateAdded, &t.DateModified, &t.PlayDate, &t.SkipDate, &t.ReleaseDate} {
		*p = p.UTC()
	}
	return t
}

// librariesEqual compares libraries field by field, times by instant.
func librariesEqual(a, b *Library) bool {
	if len(a.Tracks) != len(b.Tracks) {
		return false
	}
	for id, t := range a.Tracks {
		u, ok := b.Tracks[id]
		if !ok || !tracksEqual(t, u) {
			return false
		}
	}
	a2, b2 := *a, *b
	a2.Tracks, b2.Tracks = nil, nil
	a2.Date, b2.Date = a.Date.UTC(), b.Date.UTC()
	return reflect.DeepEqual(a2, b2)
}
