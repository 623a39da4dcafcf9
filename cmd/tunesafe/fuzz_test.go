package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// FuzzParseRate checks that parseRate returns a positive rate, that "/s",
// "/sec" and "ps" only say "per second", and that a rate reads back from
// its count of bytes.
func FuzzParseRate(f *testing.F) {
	for _, s := range []string{
		"36kB/s", "36KB", "36 kB/s", "36KiB/s", "2Mbit", "2Mbit/s", "2Mbps", "1.5MB/s", "36kBps", "1/sec",
		"", "fast", "0", "0kB/s", "-3kB", "0.1", "1e9", "1/s/s", "bps", "99999999999TB/s", "٣kB",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := parseRate(s)
		if err != nil {
			if n != 0 {
				t.Fatalf("parseRate(%q) = %d with error %v", s, n, err)
			}
			return
		}
		if n <= 0 {
			t.Fatalf("parseRate(%q) = %d", s, n)
		}
		for _, again := range []string{strconv.FormatInt(n, 10), strconv.FormatInt(n, 10) + "B/s", strconv.FormatInt(n, 10) + " B/sec"} {
			if back, err := parseRate(again); err != nil || back != n {
				t.Fatalf("parseRate(%q) = %d, but parseRate(%q) = %d, %v", s, n, again, back, err)
			}
		}
		trimmed := strings.TrimSpace(s)
		if !strings.HasSuffix(trimmed, "/s") && !strings.HasSuffix(trimmed, "/sec") && !strings.HasSuffix(trimmed, "ps") {
			for _, per := range []string{"/s", "/sec"} {
				if back, err := parseRate(trimmed + per); err != nil || back != n {
					t.Fatalf("parseRate(%q) = %d, but parseRate(%q) = %d, %v", s, n, trimmed+per, back, err)
				}
			}
		}
	})
}

// FuzzLoadConfig feeds arbitrary config files to loadConfig. A file it
// refuses is a usage error (the user is told to fix it); a config it
// accepts is saved by saveConfig and loaded back the same.
func FuzzLoadConfig(f *testing.F) {
	full := fileConfig{
		Vault: "s3://music/vault", Endpoint: "https://s3.example.com", Paths: []string{"/Users/anna/Music", "C:\\Music"},
		Library: "/Users/anna/Music/iTunes/iTunes Music Library.xml", LimitUpload: "Mon-Fri 08:00 256KiB; 18:00 2MiB; 23:00 off",
		LimitDownload: "2Mbit", Windows: []string{"23:00-07:00", "idle 10m"},
		Copies: []copyTarget{{To: "/media/usb/tunesafe"}, {To: "s3://backup/music", Profile: "nas", Endpoint: "http://nas.local:7070"}},
	}
	for _, c := range []fileConfig{full, {Vault: "/srv/vault"}} {
		b, err := json.MarshalIndent(c, "", "  ")
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	for _, s := range []string{
		`{"vault": "/v", "paths": [], "copies": [{}], "unknown": 1}`,
		`{"vault": 1}`, `{"paths": "not a list"}`, `{"vault": "/v"} {}`, `null`, `[]`, ``,
	} {
		f.Add([]byte(s))
	}
	dir := f.TempDir()
	a := newApp(strings.NewReader(""), io.Discard, io.Discard)
	a.configPath = filepath.Join(dir, "config.json")
	f.Fuzz(func(t *testing.T, b []byte) {
		if err := os.WriteFile(a.configPath, b, 0o600); err != nil {
			t.Fatal(err)
		}
		c, err := a.loadConfig()
		if err != nil {
			var ue *usageError
			if c != nil || !errors.As(err, &ue) {
				t.Fatalf("loadConfig(%q) = %v, %v (%T); want a usage error", b, c, err, err)
			}
			return
		}
		want, err := json.Marshal(c)
		if err != nil {
			t.Fatal(err)
		}
		if err := a.saveConfig(c); err != nil {
			t.Fatal(err)
		}
		back, err := a.loadConfig()
		if err != nil {
			t.Fatalf("saved config does not load: %v", err)
		}
		if got, _ := json.Marshal(back); !bytes.Equal(got, want) {
			t.Fatalf("config changed on the way through the file:\n%s\n%s", want, got)
		}
	})
}
