package library

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tunesafe/tunesafe/internal/testenv"
)

// The facts below were read from the corpus files (shared/corpus/itunes,
// see SOURCE.txt there) and cross-checked against Python's plistlib.

const (
	macLibrary     = "libpytunes-Test Library.xml"
	unixLibrary    = "beets-itunes_library_unix.xml"
	windowsLibrary = "beets-itunes_library_windows.xml"
)

// corpusLibrary parses one of the corpus exports.
func corpusLibrary(t testing.TB, name string) *Library {
	t.Helper()
	f, err := os.Open(filepath.Join(testenv.Corpus(t, "itunes"), name))
	if err != nil {
		testenv.SkipOrFail(t, "corpus file: %v", err)
	}
	defer f.Close()
	lib, err := Parse(f)
	if err != nil {
		t.Fatalf("parse %s: %v", name, err)
	}
	return lib
}

func date(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func playlistNamed(t *testing.T, lib *Library, name string) Playlist {
	t.Helper()
	p, err := lib.PlaylistByName(name)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestCorpusMacLibrary(t *testing.T) {
	lib := corpusLibrary(t, macLibrary)

	if lib.MajorVersion != 1 || lib.MinorVersion != 1 || lib.ApplicationVersion != "12.6.0.100" ||
		lib.PersistentID != "8C47D9EF24402883" || lib.Features != 5 || !lib.ShowContentRatings ||
		!lib.Date.Equal(date("2017-03-27T11:36:59Z")) {
		t.Errorf("library fields: %+v", *lib)
	}
	// Music Folder is the last key of this export, after Playlists.
	if mf, err := lib.MusicFolder(); err != nil || mf != "/Users/nathan/Music/iTunes/iTunes Media" {
		t.Errorf("MusicFolder() = %q, %v", mf, err)
	}

	if len(lib.Tracks) != 402 {
		t.Fatalf("%d tracks, want 402", len(lib.Tracks))
	}
	types := map[TrackType]int{}
	var local, noLocation, outsideMedia int
	flags := map[string]int{}
	for _, tr := range lib.Tracks {
		types[tr.Type]++
		if tr.IsLocal() {
			local++
			if !strings.HasPrefix(tr.Path, "/Users/nathan/Music/iTunes/iTunes Media/") {
				outsideMedia++
			}
		}
		if tr.Location == "" {
			noLocation++
			if tr.Type != TrackRemote {
				t.Errorf("track %d has no Location but is %q", tr.ID, tr.Type)
			}
		}
		for name, set := range map[string]bool{
			"Podcast": tr.Podcast, "Movie": tr.Movie, "TV Show": tr.TVShow, "Music Video": tr.MusicVideo,
			"Has Video": tr.HasVideo, "Protected": tr.Protected, "Purchased": tr.Purchased, "Compilation": tr.Compilation,
		} {
			if set {
				flags[name]++
			}
		}
	}
	if types[TrackFile] != 388 || types[TrackURL] != 7 || types[TrackRemote] != 7 {
		t.Errorf("track types %v, want 388 File, 7 URL, 7 Remote", types)
	}
	if local != 388 || noLocation != 7 {
		t.Errorf("%d local tracks and %d without Location, want 388 and 7 (the cloud ones)", local, noLocation)
	}
	if outsideMedia != 15 { // 13 episodes under ~/Movies, 2 films on /Volumes/data
		t.Errorf("%d local tracks outside the media folder, want 15", outsideMedia)
	}
	wantFlags := map[string]int{"Podcast": 7, "Movie": 11, "TV Show": 13, "Music Video": 1,
		"Has Video": 25, "Protected": 66, "Purchased": 358, "Compilation": 26}
	for name, n := range wantFlags {
		if flags[name] != n {
			t.Errorf("%d tracks flagged %s, want %d", flags[name], name, n)
		}
	}

	got := lib.Tracks[14970]
	want := Track{
		ID: 14970, PersistentID: "ECF2584D15DCF139",
		Name: "That's All I Ask", Artist: "Nina Simone", AlbumArtist: "Nina Simone", Composer: "Horace Ott",
		Album: "Four Women: The Complete Nina Simone On Philips (Box Set)", Genre: "Jazz",
		Kind: "Purchased AAC audio file", Size: 6186302, TotalTime: 147922 * time.Millisecond,
		TrackNumber: 16, TrackCount: 22, DiscNumber: 3, DiscCount: 4, Year: 2003, BitRate: 256, SampleRate: 44100,
		DateAdded: date("2013-06-19T08:07:24Z"), DateModified: date("2012-11-21T09:53:24Z"),
		PlayDate: date("2040-02-06T04:28:16Z"), ReleaseDate: date("2003-05-19T07:00:00Z"),
		Type:      TrackFile,
		Location:  "file:///Users/nathan/Music/iTunes/iTunes%20Media/Music/Nina%20Simone/Four%20Women_%20The%20Complete%20Nina%20Simone%20On%20Philips/3-16%20That's%20All%20I%20Ask%201.m4a",
		Path:      "/Users/nathan/Music/iTunes/iTunes Media/Music/Nina Simone/Four Women_ The Complete Nina Simone On Philips/3-16 That's All I Ask 1.m4a",
		Purchased: true,
	}
	if !tracksEqual(got, want) {
		t.Errorf("track 14970:\n got %+v\nwant %+v", got, want)
	}

	// '#', '[', ']' escaped and '&' written as &#38; inside the URL.
	if p := lib.Tracks[15200].Path; p != "/Users/nathan/Music/iTunes/iTunes Media/Music/Compilations/#1 Pop Hits of the 60s & 70s (Digital Version) [Re-Recorded Versions]/11 The Lion Sleeps Tonight (Re-Recorded Version).m4a" {
		t.Errorf("track 15200 path %q", p)
	}
	// Multi-line text is kept as written.
	if a := lib.Tracks[15574].Album; a != "Chrome, Smoke & BBQ: The ZZ Top Box (Box Set)\n\t\t\t\t\t[Remastered]" {
		t.Errorf("track 15574 album %q", a)
	}
	// Non-ASCII text.
	if g := lib.Tracks[15406].Genre; g != "Músicas del mundo" {
		t.Errorf("track 15406 genre %q", g)
	}

	stream := lib.Tracks[64004]
	if stream.Type != TrackURL || stream.IsLocal() || !strings.HasPrefix(stream.Location, "http://a1135.g.akamai.net/") || !stream.Podcast {
		t.Errorf("podcast stream 64004: %+v", stream)
	}
	cloud := lib.Tracks[71366]
	if cloud.Type != TrackRemote || cloud.IsLocal() || cloud.Location != "" ||
		cloud.Name != "The Revenant" || cloud.Artist != "Alejandro González Iñárritu" || cloud.Kind != "Purchased MPEG-4 video file" {
		t.Errorf("cloud movie 71366: %+v", cloud)
	}

	if len(lib.Playlists) != 11 {
		t.Fatalf("%d playlists, want 11", len(lib.Playlists))
	}
	var smart []string
	for _, p := range lib.Playlists {
		if p.Smart {
			smart = append(smart, p.Name)
			if len(p.SmartInfo) == 0 || len(p.SmartCriteria) == 0 {
				t.Errorf("smart playlist %q without its rule blobs", p.Name)
			}
		}
		if p.Folder || p.ParentPersistentID != "" {
			t.Errorf("playlist %q is in a folder structure; this export has none", p.Name)
		}
	}
	if got, want := strings.Join(smart, "|"), "Music|Films|TV Programmes|Audiobooks|90’s Music|Classical Music|Jazz"; got != want {
		t.Errorf("smart playlists %q, want %q", got, want)
	}
	master := lib.Playlists[0]
	if !master.Master || master.Visible || !master.AllItems || master.Name != "Library" ||
		master.ID != 121714 || master.PersistentID != "0995EAABA0F48EB9" || len(master.Items) != 55 {
		t.Errorf("master playlist: %+v", master)
	}
	music := playlistNamed(t, lib, "Music")
	if music.DistinguishedKind != 4 || !music.Smart || len(music.Items) != 10 || !music.Visible {
		t.Errorf("Music playlist: %+v", music)
	}
	if p := playlistNamed(t, lib, "Podcasts"); p.Smart || p.DistinguishedKind != 10 || len(p.Items) != 3 {
		t.Errorf("Podcasts playlist: %+v", p)
	}
	// "iTunes U" is written with a no-break space; Fold makes it findable.
	if p := playlistNamed(t, lib, "itunes u"); p.Name != "iTunes\u00a0U" || p.Visible || p.DistinguishedKind != 31 || p.Items != nil {
		t.Errorf("iTunes U playlist: %+v", p)
	}
}

func TestCorpusUnixLibrary(t *testing.T) {
	lib := corpusLibrary(t, unixLibrary)
	if lib.ApplicationVersion != "12.1.2.27" || lib.PersistentID != "1ABA8417E4946A32" || len(lib.Tracks) != 3 || len(lib.Playlists) != 2 {
		t.Fatalf("library: %+v", *lib)
	}
	// "file:////Music/": extra slashes without a share mean the root.
	if mf, err := lib.MusicFolder(); err != nil || mf != "/Music" {
		t.Errorf("MusicFolder() = %q, %v", mf, err)
	}
	wantPaths := map[int]string{
		634: "/Music/Alt-J/An Awesome Wave/03 Tessellate.mp3",   // file:///Music/...
		636: "/Music/Alt-J/An Awesome Wave/04 Breezeblocks.mp3", // file://localhost/Music/...
		638: "/Music/Alt-J/An Awesome Wave/02 ❦ (Ripe & Ruin).mp3",
	}
	for id, want := range wantPaths {
		if got := lib.Tracks[id].Path; got != want {
			t.Errorf("track %d path %q, want %q", id, got, want)
		}
	}
	if n := lib.Tracks[638].Name; n != "❦ (Ripe & Ruin)" {
		t.Errorf("track 638 name %q", n)
	}
	if tr := lib.Tracks[636]; tr.Rating != 100 || tr.PlayCount != 31 || tr.SkipCount != 0 || !tr.PlayDate.Equal(date("2015-05-04T12:20:51Z")) {
		t.Errorf("track 636: %+v", tr)
	}
	if g := lib.Tracks[638].Genre; g != "" {
		t.Errorf("track 638 has no Genre key, got %q", g)
	}
	if p := lib.Playlists[1]; p.Name != "Music" || p.DistinguishedKind != 4 || p.Smart || !p.AllItems ||
		len(p.Items) != 3 || p.Items[0] != 634 || p.Items[2] != 638 {
		t.Errorf("Music playlist: %+v", p)
	}
}

func TestCorpusWindowsLibrary(t *testing.T) {
	lib := corpusLibrary(t, windowsLibrary)
	if lib.PersistentID != "B4C9F3EE26EFAF78" || len(lib.Tracks) != 3 || len(lib.Playlists) != 2 {
		t.Fatalf("library: %+v", *lib)
	}
	mf, err := lib.MusicFolder()
	if err != nil || mf != "C:/Documents and Settings/Owner/My Documents/My Music/iTunes/iTunes Media" {
		t.Errorf("MusicFolder() = %q, %v", mf, err)
	}
	if w := WindowsPath(mf); w != `C:\Documents and Settings\Owner\My Documents\My Music\iTunes\iTunes Media` {
		t.Errorf("WindowsPath(music folder) = %q", w)
	}
	tr := lib.Tracks[180]
	if tr.Path != "G:/Music/Alt-J/An Awesome Wave/03 Tessellate.mp3" || WindowsPath(tr.Path) != `G:\Music\Alt-J\An Awesome Wave\03 Tessellate.mp3` {
		t.Errorf("track 180 path %q", tr.Path)
	}
	// Outside the music folder, on another drive, with a non-ASCII name.
	if p := lib.Tracks[638].Path; p != "G:/Experiments/Alt-J/An Awesome Wave/02 ❦ (Ripe & Ruin).mp3" {
		t.Errorf("track 638 path %q", p)
	}
	// The same files as the Unix export, under other Track IDs.
	unix := corpusLibrary(t, unixLibrary)
	if tr.PersistentID != unix.Tracks[634].PersistentID {
		t.Errorf("persistent IDs differ: %s, %s", tr.PersistentID, unix.Tracks[634].PersistentID)
	}
	if p := lib.Playlists[0]; p.Name != "Bibliotheek" || !p.Master || p.Visible || p.ID != 72 {
		t.Errorf("master playlist: %+v", p)
	}
	if tracks, err := lib.PlaylistTracks("muziek"); err != nil || len(tracks) != 3 || tracks[0].ID != 180 {
		t.Errorf("PlaylistTracks(muziek) = %d tracks, %v", len(tracks), err)
	}
}

// TestCorpusSelection selects from the macOS export.
func TestCorpusSelection(t *testing.T) {
	lib := corpusLibrary(t, macLibrary)

	// Album Artist "Bob Marley", Artist "The Wailers": either matches.
	for _, name := range []string{"Bob Marley", "the wailers", "  THE WAILERS "} {
		got := lib.TracksByArtist(name)
		if len(got) != 13 || got[0].Name != "Get Up, Stand Up" || got[12].Name != "The Oppressed Song" {
			t.Errorf("TracksByArtist(%q): %d tracks, first %q", name, len(got), got[0].Name)
		}
	}
	if n := len(lib.TracksByArtist("nina simone")); n != 75 {
		t.Errorf("TracksByArtist(nina simone) = %d tracks, want 75", n)
	}
	// Three tracks credit The Moving Sidewalks with Album Artist ZZ Top.
	if n := len(lib.TracksByArtist("ZZ Top")); n != 49 {
		t.Errorf("TracksByArtist(ZZ Top) = %d tracks, want 49", n)
	}
	// The album title is broken over two lines in the XML; Fold
	// collapses the white space.
	box := lib.TracksByAlbum("Chrome, Smoke & BBQ: The ZZ Top Box (Box Set) [Remastered]", "")
	if len(box) != 35 || box[0].ID != 15574 || box[34].Name != "Cheap Sunglasses (Live)" {
		t.Errorf("box set: %d tracks", len(box))
	}
	if n := len(lib.TracksByAlbum("chrome, smoke & bbq: the zz top box (box set) [remastered]", "the moving sidewalks")); n != 3 {
		t.Errorf("box set by The Moving Sidewalks: %d tracks, want 3", n)
	}

	// A smart playlist's items as exported; the sample library was cut
	// down, so 5 of the 6 items name tracks it no longer has.
	jazz, err := lib.PlaylistTracks("Jazz")
	if err != nil || len(jazz) != 1 || jazz[0].Name != "Nobody Knows You When You're Down and Out" {
		t.Errorf("PlaylistTracks(Jazz) = %v, %v", jazz, err)
	}
	films, err := lib.PlaylistTracks("films")
	if err != nil || len(films) != 2 || films[0].Name != "A Good Day to Die Hard (Extended)" || films[1].Name != "Casino Royale" {
		t.Errorf("PlaylistTracks(films) = %v, %v", films, err)
	}
	// "90’s Music" with a typographic apostrophe, asked for with a plain one.
	if p, err := lib.PlaylistByName("90's music"); err != nil || p.PersistentID != "212E1389BC9A3FE2" {
		t.Errorf("PlaylistByName(90's music) = %+v, %v", p, err)
	}
}

// TestCorpusRemapOntoFiles maps the macOS export's paths into a temporary
// folder, creates the files there, and checks that every local track of the
// library resolves to its file on this OS.
func TestCorpusRemapOntoFiles(t *testing.T) {
	lib := corpusLibrary(t, macLibrary)
	dir := t.TempDir()
	if n := lib.Remap("/Users/nathan", dir); n != 386 {
		t.Fatalf("Remap changed %d tracks, want 386", n)
	}
	// Two films live on another volume.
	if n := lib.Remap("/Volumes/data/", filepath.Join(dir, "data")); n != 2 {
		t.Fatalf("Remap changed %d tracks, want 2", n)
	}
	for _, tr := range lib.AllTracks() {
		if !tr.IsLocal() {
			continue
		}
		p := NativePath(tr.Path)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(tr.PersistentID), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, tr := range lib.Tracks {
		if !tr.IsLocal() {
			continue
		}
		b, err := os.ReadFile(NativePath(tr.Path))
		if err != nil || string(b) != tr.PersistentID {
			t.Errorf("track %d: %q, %v", tr.ID, b, err)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "Music", "iTunes", "iTunes Media", "Music", "Compilations",
		"#1 Pop Hits of the 60s & 70s (Digital Version) [Re-Recorded Versions]")); err != nil {
		t.Error(err)
	}
}
