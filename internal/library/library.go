package library

import "time"

// A Library is the content of one library export.
type Library struct {
	MajorVersion       int       // "Major Version", 1 for every known export
	MinorVersion       int       // "Minor Version"
	ApplicationVersion string    // "12.6.0.100" (iTunes), "1.x" (Music.app)
	Date               time.Time // when the export was written, UTC
	Features           int
	ShowContentRatings bool
	MusicFolderURL     string // "Music Folder" as written: a file: URL
	PersistentID       string // "Library Persistent ID", 16 hex digits

	// Tracks holds every track, keyed by Track ID. Track IDs are only
	// meaningful within one export; PersistentID is the stable key.
	Tracks map[int]Track

	// Playlists are in file order: the master library playlist first,
	// then the distinguished ones (Music, Films, Podcasts...), then the
	// user's. Folders precede their children.
	Playlists []Playlist
}

// TrackType says where a track's media lives.
type TrackType string

const (
	TrackFile   TrackType = "File"   // a local file; Location is a file: URL
	TrackURL    TrackType = "URL"    // a stream or podcast episode; Location is http(s):
	TrackRemote TrackType = "Remote" // in iCloud / Apple Music only; no Location
)

// A Track is one entry of the Tracks dictionary. Zero values mean the key
// was absent, as iTunes omits keys rather than writing zeros.
type Track struct {
	ID           int    // "Track ID", unique within this export
	PersistentID string // "Persistent ID", 16 hex digits, stable across exports

	Name        string
	Artist      string
	AlbumArtist string
	Composer    string
	Album       string
	Genre       string
	Grouping    string
	Comments    string
	Kind        string // "MPEG audio file", "Purchased AAC audio file", ...

	Size        int64         // bytes, as of iTunes' last look at the file
	TotalTime   time.Duration // "Total Time", stored in milliseconds
	TrackNumber int
	TrackCount  int
	DiscNumber  int
	DiscCount   int
	Year        int
	BitRate     int // kbit/s
	SampleRate  int // Hz
	Rating      int // 0-100, 20 per star
	AlbumRating int // 0-100
	PlayCount   int
	SkipCount   int

	DateAdded    time.Time // UTC
	DateModified time.Time // UTC
	PlayDate     time.Time // "Play Date UTC"
	SkipDate     time.Time
	ReleaseDate  time.Time

	Type TrackType // "Track Type"; empty in exports that predate the key

	// Location is the "Location" value as written: a file: URL for local
	// files, an http: URL for streams, empty for cloud-only tracks.
	Location string

	// Path is Location decoded by DecodeLocation: a slash-separated,
	// OS-independent absolute path ("/Users/u/Music/a.m4a",
	// "C:/Users/u/Music/a.mp3", "//server/share/a.mp3"). It is empty when
	// the track has no local file or its Location cannot be decoded; call
	// DecodeLocation on Location for the reason. Use NativePath to open it.
	Path string

	Podcast     bool
	Movie       bool
	TVShow      bool // "TV Show"
	MusicVideo  bool // "Music Video"
	HasVideo    bool // "Has Video"
	Compilation bool
	Purchased   bool
	Protected   bool // DRM-protected (.m4p, .m4v)
	Disabled    bool // unticked in iTunes
}

// IsLocal reports whether the track is a file on a local or network disk
// that a backup can read, as opposed to a stream or a cloud-only item.
func (t *Track) IsLocal() bool { return t.Path != "" }

// A Playlist is one entry of the Playlists array.
type Playlist struct {
	ID                 int    // "Playlist ID", unique within this export
	PersistentID       string // "Playlist Persistent ID", stable
	ParentPersistentID string // the enclosing folder's PersistentID, or ""
	Name               string

	Master            bool // the whole library ("Library")
	Visible           bool // false when iTunes hides it; true when the key is absent
	AllItems          bool // "All Items"
	Folder            bool // a folder of playlists; see Library.PlaylistItems
	DistinguishedKind int  // non-zero for built-in playlists: 4 Music, 2 Films, 3 TV, 10 Podcasts, ...

	// Smart reports a smart playlist: one with "Smart Info" or "Smart
	// Criteria". Its Items are the tracks that matched when the library
	// was exported; the rules themselves are the opaque blobs below.
	Smart         bool
	SmartInfo     []byte
	SmartCriteria []byte

	// Items are the Track IDs of "Playlist Items", in playlist order.
	// A track may appear more than once.
	Items []int
}

// MusicFolder returns the library's "Music Folder" (the iTunes Media
// folder) decoded like Track.Path, with any trailing slash removed.
func (l *Library) MusicFolder() (string, error) {
	p, err := DecodeLocation(l.MusicFolderURL)
	if err != nil {
		return "", err
	}
	return trimTrailingSlash(p), nil
}
