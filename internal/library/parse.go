package library

import (
	"bufio"
	"bytes"
	"encoding/xml"
	"io"
	"math"
	"strconv"
	"time"
)

// Parse reads a library export: "iTunes Music Library.xml", "iTunes
// Library.xml" or a Music.app "Library.xml". Keys this package does not
// model are skipped; a key it models with a value of the wrong type is a
// FormatError, as is anything that is not an XML property list whose root
// dictionary has a Tracks dictionary.
//
// Parse reads r to its end. Its memory use is proportional to the tracks
// and playlists it returns, not to the size of the XML.
func Parse(r io.Reader) (*Library, error) {
	src := &errReader{r: r}
	br := bufio.NewReaderSize(src, 64<<10)
	if err := sniff(br); err != nil {
		return nil, err
	}
	d := newDecoder(br, src)

	root, err := d.root()
	if err != nil {
		return nil, err
	}
	lib := &Library{Tracks: make(map[int]Track)}
	sawTracks := false
	err = d.dict(root, func(key string, v elem) error {
		var err error
		switch key {
		case "Major Version":
			lib.MajorVersion, err = d.integerInt(v)
		case "Minor Version":
			lib.MinorVersion, err = d.integerInt(v)
		case "Application Version":
			lib.ApplicationVersion, err = d.str(v)
		case "Date":
			lib.Date, err = d.date(v)
		case "Features":
			lib.Features, err = d.integerInt(v)
		case "Show Content Ratings":
			lib.ShowContentRatings, err = d.boolean(v)
		case "Music Folder":
			lib.MusicFolderURL, err = d.str(v)
		case "Library Persistent ID":
			lib.PersistentID, err = d.str(v)
		case "Tracks": // a repeated key replaces the earlier value, as for scalars
			sawTracks = true
			lib.Tracks = make(map[int]Track)
			err = d.tracks(v, lib.Tracks)
		case "Playlists":
			lib.Playlists = nil
			err = d.array(v, func(_ int, v elem) error {
				p, err := d.playlist(v)
				lib.Playlists = append(lib.Playlists, p)
				return err
			})
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	if err := d.end(); err != nil {
		return nil, err
	}
	if !sawTracks {
		return nil, &FormatError{Line: root.line, Column: root.col, Msg: "no Tracks dictionary: not an iTunes or Music library export"}
	}
	return lib, nil
}

// sniff rejects, with a helpful message, the binary files that sit beside
// the XML and are sometimes passed by mistake, and drops a UTF-8 byte order
// mark, which encoding/xml would otherwise report as text before the root.
func sniff(br *bufio.Reader) error {
	head, _ := br.Peek(8) // a short or failing read is reported by the decoder
	switch {
	case bytes.HasPrefix(head, []byte("\xEF\xBB\xBF")):
		_, _ = br.Discard(3)
	case bytes.HasPrefix(head, []byte("bplist")):
		return &FormatError{Line: 1, Column: 1, Msg: "binary property list: export the library as XML (File > Library > Export Library)"}
	case bytes.HasPrefix(head, []byte("hdfm")):
		return &FormatError{Line: 1, Column: 1, Msg: "iTunes binary database (.itl): read the XML export beside it instead"}
	case bytes.HasPrefix(head, []byte("hfma")):
		return &FormatError{Line: 1, Column: 1, Msg: "Music.app binary database (.musicdb): export the library as XML (File > Library > Export Library)"}
	}
	return nil
}

// root reads up to the value of the <plist> root element, which must be a
// dictionary. A bare <dict> root is accepted too.
func (d *decoder) root() (elem, error) {
	for {
		line, col := d.x.InputPos()
		t, err := d.x.RawToken()
		if err == io.EOF && d.src.err == nil {
			return elem{}, errorf(line, col, "no <plist> element: not an XML property list")
		}
		if err != nil {
			return elem{}, d.classify(err)
		}
		switch t := t.(type) {
		case xml.CharData:
			if !isSpace(t) {
				return elem{}, errorf(line, col, "text before the root element: not an XML property list")
			}
		case xml.StartElement:
			switch t.Name.Local {
			case "plist":
				v, end, err := d.next("plist")
				if err != nil {
					return elem{}, err
				}
				if end {
					return elem{}, errorf(line, col, "empty <plist>")
				}
				if v.kind != kindDict {
					return elem{}, errorf(v.line, v.col, "root value is %s, not a <dict>: not a library export", v.kind)
				}
				d.depth = 1 // inside <plist>
				return v, nil
			case "dict":
				d.seq++
				return elem{kind: kindDict, line: line, col: col, seq: d.seq}, nil
			default:
				return elem{}, errorf(line, col, "root element is <%s>, not <plist>: not an XML property list", t.Name.Local)
			}
		case xml.EndElement:
			return elem{}, errorf(line, col, "unexpected end tag </%s>", t.Name.Local)
		}
	}
}

// end reads the rest of the input after the root dictionary: the </plist>
// end tag when there was one, then nothing but whitespace, comments and
// processing instructions.
func (d *decoder) end() error {
	if d.depth == 1 {
		v, end, err := d.next("plist")
		if err != nil {
			return err
		}
		if !end {
			return errorf(v.line, v.col, "second value %s in <plist>", v.kind)
		}
		d.depth = 0
	}
	for {
		line, col := d.x.InputPos()
		t, err := d.x.RawToken()
		if err == io.EOF && d.src.err == nil {
			return nil
		}
		if err != nil {
			return d.classify(err)
		}
		switch t := t.(type) {
		case xml.CharData:
			if !isSpace(t) {
				return errorf(line, col, "text after the end of the property list")
			}
		case xml.StartElement:
			return errorf(line, col, "element <%s> after the end of the property list", t.Name.Local)
		case xml.EndElement:
			return errorf(line, col, "malformed XML: unexpected end tag </%s>", t.Name.Local)
		}
	}
}

// tracks reads the Tracks dictionary into m. The dictionary's keys repeat
// each track's Track ID; the inner value wins, and the key is used when the
// inner one is missing. Of two tracks with one ID, the later is kept.
func (d *decoder) tracks(v elem, m map[int]Track) error {
	return d.dict(v, func(key string, v elem) error {
		t, err := d.track(v)
		if err != nil {
			return err
		}
		if t.ID == 0 {
			id, err := strconv.Atoi(key)
			if err != nil {
				return errorf(v.line, v.col, "track without a Track ID under the non-numeric key %q", abbrev(key))
			}
			t.ID = id
		}
		m[t.ID] = t
		return nil
	})
}

func (d *decoder) track(v elem) (Track, error) {
	var t Track
	err := d.dict(v, func(key string, v elem) error {
		var err error
		switch key {
		case "Track ID":
			t.ID, err = d.integerInt(v)
		case "Persistent ID":
			t.PersistentID, err = d.str(v)
		case "Name":
			t.Name, err = d.str(v)
		case "Artist":
			t.Artist, err = d.str(v)
		case "Album Artist":
			t.AlbumArtist, err = d.str(v)
		case "Composer":
			t.Composer, err = d.str(v)
		case "Album":
			t.Album, err = d.str(v)
		case "Genre":
			t.Genre, err = d.str(v)
		case "Grouping":
			t.Grouping, err = d.str(v)
		case "Comments":
			t.Comments, err = d.str(v)
		case "Kind":
			t.Kind, err = d.str(v)
		case "Size":
			t.Size, err = d.integer(v)
		case "Total Time":
			var ms int64
			ms, err = d.integer(v)
			if err == nil && (ms > math.MaxInt64/int64(time.Millisecond) || ms < math.MinInt64/int64(time.Millisecond)) {
				err = errorf(v.line, v.col, "Total Time %d ms out of range", ms)
			}
			t.TotalTime = time.Duration(ms) * time.Millisecond
		case "Track Number":
			t.TrackNumber, err = d.integerInt(v)
		case "Track Count":
			t.TrackCount, err = d.integerInt(v)
		case "Disc Number":
			t.DiscNumber, err = d.integerInt(v)
		case "Disc Count":
			t.DiscCount, err = d.integerInt(v)
		case "Year":
			t.Year, err = d.integerInt(v)
		case "Bit Rate":
			t.BitRate, err = d.integerInt(v)
		case "Sample Rate":
			t.SampleRate, err = d.integerInt(v)
		case "Rating":
			t.Rating, err = d.integerInt(v)
		case "Album Rating":
			t.AlbumRating, err = d.integerInt(v)
		case "Play Count":
			t.PlayCount, err = d.integerInt(v)
		case "Skip Count":
			t.SkipCount, err = d.integerInt(v)
		case "Date Added":
			t.DateAdded, err = d.date(v)
		case "Date Modified":
			t.DateModified, err = d.date(v)
		case "Play Date UTC":
			t.PlayDate, err = d.date(v)
		case "Skip Date":
			t.SkipDate, err = d.date(v)
		case "Release Date":
			t.ReleaseDate, err = d.date(v)
		case "Track Type":
			var s string
			s, err = d.str(v)
			t.Type = TrackType(s)
		case "Location":
			t.Location, err = d.str(v)
		case "Podcast":
			t.Podcast, err = d.boolean(v)
		case "Movie":
			t.Movie, err = d.boolean(v)
		case "TV Show":
			t.TVShow, err = d.boolean(v)
		case "Music Video":
			t.MusicVideo, err = d.boolean(v)
		case "Has Video":
			t.HasVideo, err = d.boolean(v)
		case "Compilation":
			t.Compilation, err = d.boolean(v)
		case "Purchased":
			t.Purchased, err = d.boolean(v)
		case "Protected":
			t.Protected, err = d.boolean(v)
		case "Disabled":
			t.Disabled, err = d.boolean(v)
		}
		return err
	})
	if err != nil {
		return Track{}, err
	}
	if t.Location != "" && t.Type != TrackURL && t.Type != TrackRemote {
		// An undecodable Location leaves Path empty: the track is reported
		// as not local rather than failing the whole library.
		t.Path, _ = DecodeLocation(t.Location)
	}
	return t, nil
}

func (d *decoder) playlist(v elem) (Playlist, error) {
	p := Playlist{Visible: true}
	err := d.dict(v, func(key string, v elem) error {
		var err error
		switch key {
		case "Name":
			p.Name, err = d.str(v)
		case "Playlist ID":
			p.ID, err = d.integerInt(v)
		case "Playlist Persistent ID":
			p.PersistentID, err = d.str(v)
		case "Parent Persistent ID":
			p.ParentPersistentID, err = d.str(v)
		case "Master":
			p.Master, err = d.boolean(v)
		case "Visible":
			p.Visible, err = d.boolean(v)
		case "All Items":
			p.AllItems, err = d.boolean(v)
		case "Folder":
			p.Folder, err = d.boolean(v)
		case "Distinguished Kind":
			p.DistinguishedKind, err = d.integerInt(v)
		case "Smart Info":
			p.Smart = true
			p.SmartInfo, err = d.data(v)
		case "Smart Criteria":
			p.Smart = true
			p.SmartCriteria, err = d.data(v)
		case "Playlist Items":
			err = d.array(v, func(_ int, v elem) error {
				id, found := 0, false
				err := d.dict(v, func(key string, v elem) error {
					if key != "Track ID" {
						return nil
					}
					var err error
					id, err = d.integerInt(v)
					found = true
					return err
				})
				if err == nil && !found {
					err = errorf(v.line, v.col, "playlist item without a Track ID")
				}
				p.Items = append(p.Items, id)
				return err
			})
		}
		return err
	})
	return p, err
}
