package library

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// testdata/folders.xml is a small hand-written export with what the corpus
// lacks: playlist folders (nested, with a child that repeats a name at the
// top level), duplicate and dangling playlist items, and artist names in
// NFC, NFD and other case.

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func ids(tracks []Track) []int {
	out := make([]int, len(tracks))
	for i, t := range tracks {
		out[i] = t.ID
	}
	return out
}

func TestFoldersFixture(t *testing.T) {
	lib := mustParse(t, readTestdata(t, "folders.xml"))
	if len(lib.Tracks) != 9 || len(lib.Playlists) != 9 || lib.ApplicationVersion != "1.3.5.1" {
		t.Fatalf("fixture: %d tracks, %d playlists", len(lib.Tracks), len(lib.Playlists))
	}
	mixes := playlistNamed(t, lib, "Mixes")
	if !mixes.Folder || mixes.ParentPersistentID != "" {
		t.Errorf("Mixes: %+v", mixes)
	}
	old := playlistNamed(t, lib, "Old")
	if !old.Folder || old.ParentPersistentID != mixes.PersistentID {
		t.Errorf("Old: %+v", old)
	}
	if p := playlistNamed(t, lib, "2000s"); !p.Smart || p.ParentPersistentID != old.PersistentID || string(p.SmartCriteria[:4]) != "SLst" {
		t.Errorf("2000s: %+v", p)
	}
	if p := lib.Tracks[106].Path; p != "/Users/test/Music/iTunes/iTunes Media/Music/Sigur Rós/( )/01 Untitled #1+[vaka].m4a" {
		t.Errorf("track 106 path %q", p)
	}
	if p := lib.Tracks[101].Path; p != "/Users/test/Music/iTunes/iTunes Media/Music/Beyonce\u0301/Dangerously in Love/01 Crazy in Love.m4a" {
		t.Errorf("track 101 path %q", p)
	}
}

func TestPlaylistItems(t *testing.T) {
	lib := mustParse(t, readTestdata(t, "folders.xml"))
	tests := []struct {
		name string
		want []int
	}{
		// A folder: its own items, then its children's depth first, once each.
		{"Mixes", []int{104, 101, 102, 106, 105}},
		{"old", []int{102, 101, 106}},
		// A plain playlist: as exported, with the duplicate, without the
		// item whose track is missing (999).
		{"Road Trip", []int{104, 101, 104}},
		// A smart playlist: the items as exported.
		{"2000s", []int{102, 101, 106}},
		{"Music", []int{101, 102, 103, 104, 105, 106, 109}},
		{"90's music", []int{}},
	}
	for _, tt := range tests {
		got, err := lib.PlaylistTracks(tt.name)
		if err != nil || !slices.Equal(ids(got), tt.want) {
			t.Errorf("PlaylistTracks(%q) = %v, %v; want %v", tt.name, ids(got), err, tt.want)
		}
	}

	_, err := lib.PlaylistTracks("chill")
	if !errors.Is(err, ErrAmbiguousPlaylist) || !strings.Contains(err.Error(), "B000000000000007, B000000000000008") {
		t.Errorf("PlaylistTracks(chill) error %v, want ErrAmbiguousPlaylist naming both", err)
	}
	if _, err := lib.PlaylistTracks("Nothing"); !errors.Is(err, ErrPlaylistNotFound) {
		t.Errorf("PlaylistTracks(Nothing) error %v, want ErrPlaylistNotFound", err)
	}
	p, ok := lib.PlaylistByPersistentID("b000000000000008")
	if !ok || p.ParentPersistentID != "" || !slices.Equal(ids(lib.PlaylistItems(p)), []int{106, 105}) {
		t.Errorf("PlaylistByPersistentID: %+v, %v", p, ok)
	}
	if _, ok := lib.PlaylistByPersistentID(""); ok {
		t.Error("PlaylistByPersistentID(\"\") found a playlist")
	}
}

func TestPlaylistItemsCycle(t *testing.T) {
	// A damaged export whose folders contain each other.
	lib := &Library{
		Tracks: map[int]Track{1: {ID: 1}, 2: {ID: 2}},
		Playlists: []Playlist{
			{Name: "A", PersistentID: "A", ParentPersistentID: "B", Folder: true, Items: []int{1}},
			{Name: "B", PersistentID: "B", ParentPersistentID: "A", Folder: true, Items: []int{2}},
		},
	}
	got, err := lib.PlaylistTracks("A")
	if err != nil || !slices.Equal(ids(got), []int{1, 2}) {
		t.Errorf("PlaylistTracks(A) = %v, %v", ids(got), err)
	}
}

func TestSelectByArtistAndAlbum(t *testing.T) {
	lib := mustParse(t, readTestdata(t, "folders.xml"))
	tests := []struct {
		what string
		got  []Track
		want []int
	}{
		// NFC, NFD, upper case and padding all name the same artist; sorted
		// by album, then track number.
		{"artist beyoncé", lib.TracksByArtist("Beyoncé"), []int{101, 103, 102}},
		{"artist NFD", lib.TracksByArtist("beyonce\u0301"), []int{101, 103, 102}},
		{"album artist", lib.TracksByArtist("various artists"), []int{105}},
		{"artist of a compilation track", lib.TracksByArtist("NINA SIMONE"), []int{105}},
		{"artist with a cloud track", lib.TracksByArtist("alt-j"), []int{104, 109}},
		{"accents kept", lib.TracksByArtist("Beyonce"), nil},
		{"empty artist", lib.TracksByArtist(" "), nil},
		{"album, '...' and '…'", lib.TracksByAlbum("i am... sasha fierce", ""), []int{103, 102}},
		{"album and artist", lib.TracksByAlbum("( )", "SIGUR RÓS"), []int{106}},
		{"album, other artist", lib.TracksByAlbum("( )", "alt-J"), nil},
		{"empty album", lib.TracksByAlbum("", "alt-J"), nil},
		{"all", lib.AllTracks(), []int{107, 108, 104, 109, 101, 103, 102, 106, 105}},
	}
	for _, tt := range tests {
		if !slices.Equal(ids(tt.got), tt.want) && !(len(tt.got) == 0 && len(tt.want) == 0) {
			t.Errorf("%s: %v, want %v", tt.what, ids(tt.got), tt.want)
		}
	}
}

func TestSortTracksDeterministic(t *testing.T) {
	// Same artist, album, disc, track and name: the Track ID decides,
	// whatever the input order.
	a := []Track{{ID: 3, Name: "x"}, {ID: 1, Name: "X"}, {ID: 2, Name: " x "}}
	b := []Track{{ID: 2, Name: " x "}, {ID: 3, Name: "x"}, {ID: 1, Name: "X"}}
	SortTracks(a)
	SortTracks(b)
	if !slices.Equal(ids(a), []int{1, 2, 3}) || !slices.Equal(ids(a), ids(b)) {
		t.Errorf("SortTracks: %v and %v", ids(a), ids(b))
	}
}
