package library

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

// golden compares got with testdata/name, or rewrites the file with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs (run go test -update to accept):\n--- got\n%s--- want\n%s", name, got, want)
	}
}

func TestWriteM3U8Golden(t *testing.T) {
	lib := mustParse(t, readTestdata(t, "folders.xml"))

	// Every track, with its decoded path: the stream and the cloud track
	// are left out, the home movie has no artist.
	var b bytes.Buffer
	if err := WriteM3U8(&b, lib.AllTracks(), func(t Track) string { return t.Path }); err != nil {
		t.Fatal(err)
	}
	golden(t, "all.m3u8.golden", b.Bytes())

	// A folder playlist with paths relative to the music folder, as for a
	// playlist saved at the root of a restored media folder.
	mf, err := lib.MusicFolder()
	if err != nil {
		t.Fatal(err)
	}
	tracks, err := lib.PlaylistTracks("Mixes")
	if err != nil {
		t.Fatal(err)
	}
	b.Reset()
	err = WriteM3U8(&b, tracks, func(t Track) string {
		p, _ := Remap(t.Path, mf, "")
		return p
	})
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "mixes-relative.m3u8.golden", b.Bytes())
}

func TestWriteM3U8(t *testing.T) {
	tracks := []Track{
		{ID: 1, Name: "Line one\r\n\t\tline two", Artist: " A\nB ", TotalTime: 1999 * time.Millisecond, Path: "/m/a.mp3"},
		{ID: 2, Name: "No time", Path: "/m/b.mp3"},
		{ID: 3, Name: "Cloud"},
	}
	var b bytes.Buffer
	if err := WriteM3U8(&b, tracks, nil); err != nil {
		t.Fatal(err)
	}
	want := "#EXTM3U\n" +
		"#EXTINF:1,A B - Line one line two\n" + NativePath("/m/a.mp3") + "\n" +
		"#EXTINF:-1,No time\n" + NativePath("/m/b.mp3") + "\n"
	if b.String() != want {
		t.Errorf("got\n%s\nwant\n%s", b.String(), want)
	}

	for _, bad := range []string{"/m/new\nline.mp3", "/m/\xff.mp3"} {
		err := WriteM3U8(&bytes.Buffer{}, tracks[:1], func(Track) string { return bad })
		if err == nil || !strings.Contains(err.Error(), "track 1") {
			t.Errorf("path %q: error %v", bad, err)
		}
	}

	errWrite := errors.New("disk full")
	if err := WriteM3U8(failWriter{errWrite}, tracks, nil); !errors.Is(err, errWrite) {
		t.Errorf("write error not returned: %v", err)
	}
}

type failWriter struct{ err error }

func (w failWriter) Write([]byte) (int, error) { return 0, w.err }
