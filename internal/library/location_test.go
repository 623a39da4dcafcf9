package library

import (
	"errors"
	"runtime"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestDecodeLocation(t *testing.T) {
	tests := []struct {
		loc, want string
	}{
		// macOS, both host spellings.
		{"file:///Users/x/Music/iTunes/iTunes%20Media/Music/a.m4a", "/Users/x/Music/iTunes/iTunes Media/Music/a.m4a"},
		{"file://localhost/Users/x/Music/a.mp3", "/Users/x/Music/a.mp3"},
		{"FILE://LOCALHOST/Users/x/a.mp3", "/Users/x/a.mp3"},
		{"file:/Users/x/a.mp3", "/Users/x/a.mp3"}, // RFC 8089 minimal form
		{"file:////Music/", "/Music/"},            // beets sample: extra slashes, no share
		{"file:///", "/"},
		// Windows drives, as iTunes writes them and older spellings.
		{"file://localhost/C:/Users/x/Music/iTunes/a.mp3", "C:/Users/x/Music/iTunes/a.mp3"},
		{"file:///C:/Users/x/a.mp3", "C:/Users/x/a.mp3"},
		{"file://localhost/g:/Music/a.mp3", "g:/Music/a.mp3"},
		{"file:///C|/Users/x/a.mp3", "C:/Users/x/a.mp3"},
		{"file://localhost/C:", "C:"},
		// Network shares.
		{"file://server/share/Music/a.mp3", "//server/share/Music/a.mp3"},
		{"file://localhost//server/share/Music/a.mp3", "//server/share/Music/a.mp3"},
		{"file:////server/share/a.mp3", "//server/share/a.mp3"},
		{"file://nas.local/m%C3%BAsica/a.mp3", "//nas.local/música/a.mp3"},
		// Percent-encoding: non-ASCII UTF-8, reserved characters, '+' literal.
		{"file:///Music/Alt-J/02%20%E2%9D%A6%20(Ripe%20&%20Ruin).mp3", "/Music/Alt-J/02 ❦ (Ripe & Ruin).mp3"},
		{"file:///Music/Sigur%20R%C3%B3s/Untitled%20%231%20%5Bvaka%5D.m4a", "/Music/Sigur Rós/Untitled #1 [vaka].m4a"},
		{"file:///Music/AC+DC/a+b.mp3", "/Music/AC+DC/a+b.mp3"},
		{"file:///Music/100%25.mp3", "/Music/100%.mp3"},
		{"file:///Music/lower%c3%a9case.mp3", "/Music/lowerécase.mp3"},
		{"file:///Music/Beyonce%CC%81/a.m4a", "/Music/Beyonce\u0301/a.m4a"}, // NFD kept as written
		{"file:///Music/a%3Fb%23c.mp3", "/Music/a?b#c.mp3"},
		{"file:///Music/raw space.mp3", "/Music/raw space.mp3"},
		// Query and fragment are not part of the path.
		{"file:///Music/a.mp3?x=1", "/Music/a.mp3"},
		{"file:///Music/a.mp3#t=10", "/Music/a.mp3"},
	}
	for _, tt := range tests {
		got, err := DecodeLocation(tt.loc)
		if err != nil || got != tt.want {
			t.Errorf("DecodeLocation(%q) = %q, %v; want %q", tt.loc, got, err, tt.want)
		}
	}
}

func TestDecodeLocationErrors(t *testing.T) {
	notLocal := []string{
		"",
		"http://a1135.g.akamai.net/f/1135/podcast.mp3",
		"https://example.com/a.mp3",
		"/Users/x/a.mp3", // a bare path is not a URL
		"Music/a.mp3",
	}
	for _, loc := range notLocal {
		if _, err := DecodeLocation(loc); !errors.Is(err, ErrNotLocal) {
			t.Errorf("DecodeLocation(%q) error %v, want ErrNotLocal", loc, err)
		}
	}
	malformed := []string{
		"file:///Music/bad%2",
		"file:///Music/bad%zz.mp3",
		"file:///Music/nul%00.mp3",
		"file:///Music/latin1%E9.mp3", // not UTF-8
		"file:///Music/\xff.mp3",
		"file:relative/a.mp3",
		"file://server",        // no share
		"file://server/",       // no share
		"file://a%2Fb/share/x", // slash in the host
		"file://localhost",
	}
	for _, loc := range malformed {
		p, err := DecodeLocation(loc)
		if err == nil || errors.Is(err, ErrNotLocal) {
			t.Errorf("DecodeLocation(%q) = %q, %v; want a decoding error", loc, p, err)
		}
	}
}

func TestEncodeLocation(t *testing.T) {
	tests := []struct{ path, want string }{
		{"/Users/x/Music/iTunes/iTunes Media/a.m4a", "file:///Users/x/Music/iTunes/iTunes%20Media/a.m4a"},
		{"C:/Users/x/My Music/a.mp3", "file://localhost/C:/Users/x/My%20Music/a.mp3"},
		{"//server/share/a b.mp3", "file://localhost//server/share/a%20b.mp3"},
		{"/Music/02 ❦ (Ripe & Ruin).mp3", "file:///Music/02%20%E2%9D%A6%20(Ripe%20&%20Ruin).mp3"},
		{"/Music/#1 [x] 100% a?b+c,d;e=f'g.mp3", "file:///Music/%231%20%5Bx%5D%20100%25%20a%3Fb+c,d;e=f'g.mp3"},
		{"/", "file:///"},
	}
	for _, tt := range tests {
		got, err := EncodeLocation(tt.path)
		if err != nil || got != tt.want {
			t.Errorf("EncodeLocation(%q) = %q, %v; want %q", tt.path, got, err, tt.want)
		}
		back, err := DecodeLocation(got)
		if err != nil || back != tt.path {
			t.Errorf("DecodeLocation(EncodeLocation(%q)) = %q, %v", tt.path, back, err)
		}
	}
	for _, bad := range []string{"", "Music/a.mp3", "C:Music", "/C:/looks/like/a/drive", "/c|/x", "//server", "//server/", "///x", "/a\x00b", "/\xff"} {
		if got, err := EncodeLocation(bad); err == nil {
			t.Errorf("EncodeLocation(%q) = %q, want an error", bad, got)
		}
	}
}

func TestWindowsAndNativePath(t *testing.T) {
	if got := WindowsPath("C:/Users/x/a.mp3"); got != `C:\Users\x\a.mp3` {
		t.Errorf("WindowsPath(drive) = %q", got)
	}
	if got := WindowsPath("//server/share/a.mp3"); got != `\\server\share\a.mp3` {
		t.Errorf("WindowsPath(UNC) = %q", got)
	}
	want := map[bool]string{true: `C:\Users\x\a.mp3`, false: "C:/Users/x/a.mp3"}[runtime.GOOS == "windows"]
	if got := NativePath("C:/Users/x/a.mp3"); got != want {
		t.Errorf("NativePath on %s = %q, want %q", runtime.GOOS, got, want)
	}
}

// FuzzLocation checks the round trips between the URL and path forms: a
// decoded location re-encodes to a URL that decodes to the same path, and
// an encodable path survives encoding and decoding.
func FuzzLocation(f *testing.F) {
	for _, s := range []string{
		"file:///Users/x/Music/iTunes/iTunes%20Media/a.m4a",
		"file://localhost/C:/Users/x/a.mp3",
		"file://server/share/a.mp3",
		"file://localhost//server/share/a.mp3",
		"file:////Music/",
		"file:///C|/x",
		"file:///Music/02%20%E2%9D%A6%20(Ripe%20&%20Ruin).mp3",
		"/Music/#1 [x] 100%.mp3",
		"C:/Users/x",
		"//server/share",
		"http://example.com/a.mp3",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if p, err := DecodeLocation(s); err == nil {
			if !utf8.ValidString(p) || strings.IndexByte(p, 0) >= 0 {
				t.Fatalf("DecodeLocation(%q) = %q: not a clean path", s, p)
			}
			u, err := EncodeLocation(p)
			if err != nil {
				t.Fatalf("DecodeLocation(%q) = %q, which EncodeLocation rejects: %v", s, p, err)
			}
			if q, err := DecodeLocation(u); err != nil || q != p {
				t.Fatalf("%q -> %q -> %q -> %q, %v", s, p, u, q, err)
			}
		}
		if u, err := EncodeLocation(s); err == nil {
			if q, err := DecodeLocation(u); err != nil || q != s {
				t.Fatalf("EncodeLocation(%q) = %q, which decodes to %q, %v", s, u, q, err)
			}
		}
	})
}
