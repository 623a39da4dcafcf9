package library

import "testing"

func TestRemap(t *testing.T) {
	tests := []struct {
		path, from, to string
		want           string
		ok             bool
	}{
		{"/Users/old/Music/a.mp3", "/Users/old/Music", "/home/new/Music", "/home/new/Music/a.mp3", true},
		{"/Users/old/Music/a.mp3", "/Users/old/Music/", "/home/new/Music/", "/home/new/Music/a.mp3", true},
		{"/Users/old/Music", "/Users/old/Music", "/srv/music", "/srv/music", true},
		{"/Users/old/Musical/a.mp3", "/Users/old/Music", "/srv", "/Users/old/Musical/a.mp3", false},
		{"/Users/Old/Music/a.mp3", "/Users/old/Music", "/srv", "/Users/Old/Music/a.mp3", false}, // POSIX: case matters
		{"/a.mp3", "/", "/mnt/root", "/mnt/root/a.mp3", true},
		{"//server/share/a.mp3", "/", "/mnt", "//server/share/a.mp3", false}, // a POSIX root does not cover shares
		// Windows drives and shares: separators either way, case-insensitive.
		{"C:/Users/Old/Music/iTunes/a.mp3", `c:\users\old\music`, `D:\Music`, "D:/Music/iTunes/a.mp3", true},
		{"C:/Users/Old/Music/a.mp3", "C:/", "/mnt/c", "/mnt/c/Users/Old/Music/a.mp3", true},
		{"C:/Users/Old/Music/a.mp3", `C:\`, "/mnt/c/", "/mnt/c/Users/Old/Music/a.mp3", true},
		{"G:/Music/a.mp3", "C:/Music", "/x", "G:/Music/a.mp3", false},
		{"//NAS/Share/Music/a.mp3", `\\nas\share`, "/Volumes/share", "/Volumes/share/Music/a.mp3", true},
		// An empty target gives a relative path.
		{"/Users/old/Music/Artist/a.mp3", "/Users/old/Music", "", "Artist/a.mp3", true},
		{"/Users/old/Music", "/Users/old/Music", "", ".", true},
		{"/Users/old/Music/a.mp3", "", "/x", "/Users/old/Music/a.mp3", false},
		// Non-ASCII, compared byte for byte.
		{"/Música/Sigur Rós/a.m4a", "/Música", "/m", "/m/Sigur Rós/a.m4a", true},
	}
	for _, tt := range tests {
		got, ok := Remap(tt.path, tt.from, tt.to)
		if got != tt.want || ok != tt.ok {
			t.Errorf("Remap(%q, %q, %q) = %q, %v; want %q, %v", tt.path, tt.from, tt.to, got, ok, tt.want, tt.ok)
		}
	}
}

func TestLibraryRemap(t *testing.T) {
	lib := mustParse(t, readTestdata(t, "folders.xml"))
	before := lib.Tracks[107]
	if n := lib.Remap("/Users/test/Music/iTunes/iTunes Media", "/backup/media"); n != 6 {
		t.Errorf("Remap changed %d tracks, want 6", n)
	}
	if p := lib.Tracks[104].Path; p != "/backup/media/Music/alt-J/An Awesome Wave/03 Tessellate.mp3" {
		t.Errorf("track 104 path %q", p)
	}
	if lib.Tracks[104].Location != "file:///Users/test/Music/iTunes/iTunes%20Media/Music/alt-J/An%20Awesome%20Wave/03%20Tessellate.mp3" {
		t.Errorf("Remap changed Location: %q", lib.Tracks[104].Location)
	}
	if after := lib.Tracks[107]; after.Path != before.Path {
		t.Errorf("track outside the prefix moved: %q -> %q", before.Path, after.Path)
	}
	if lib.Tracks[108].Path != "" || lib.Tracks[109].Path != "" {
		t.Error("Remap gave a stream or a cloud track a path")
	}
}
