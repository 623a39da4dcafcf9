package library

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/tunesafe/tunesafe/internal/testenv"
)

func TestViewRoundTrip(t *testing.T) {
	f, err := os.Open(filepath.Join(testenv.Corpus(t, "itunes"), "libpytunes-Test Library.xml"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	lib, err := Parse(f)
	if err != nil {
		t.Fatal(err)
	}
	v := &View{Source: "x.xml", Library: lib, Paths: map[int]string{}}
	for _, tr := range lib.AllTracks() {
		if tr.IsLocal() {
			v.Paths[tr.ID] = "Music/" + tr.Name
		}
	}
	b, err := EncodeView(v)
	if err != nil {
		t.Fatal(err)
	}
	back, err := DecodeView(b)
	if err != nil {
		t.Fatal(err)
	}
	if len(back.Library.Tracks) != len(lib.Tracks) || len(back.Library.Playlists) != len(lib.Playlists) || len(back.Paths) != len(v.Paths) {
		t.Fatalf("view lost data: %d/%d tracks, %d/%d playlists", len(back.Library.Tracks), len(lib.Tracks), len(back.Library.Playlists), len(lib.Playlists))
	}
	a, _ := lib.PlaylistTracks("Jazz")
	b2, _ := back.Library.PlaylistTracks("Jazz")
	if len(a) != len(b2) {
		t.Fatal("playlist selection differs after the round trip")
	}
	if _, err := DecodeView([]byte(`{"source":"x"}`)); err == nil {
		t.Fatal("view without library accepted")
	}
}
