package schedule

import (
	"bufio"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// FuzzParseWindows checks that what the parser accepts prints in a form
// that parses back to the same windows, and that NextOpen is consistent
// with Open. The seed corpus is in testdata/fuzz/FuzzParseWindows.
func FuzzParseWindows(f *testing.F) {
	for _, s := range []string{
		"always", "23:00-07:00", "Mon-Fri 09:00-17:00", "idle 10m", "Sat-Sun",
		"23:00-07:00 ac, idle 15m ac", "Fri-Mon 22:00-00:00",
	} {
		f.Add(s)
	}
	from := time.Date(2026, 11, 25, 13, 37, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, s string) {
		w, err := ParseWindows(s)
		if err != nil {
			return
		}
		text := w.String()
		back, err := ParseWindows(text)
		if err != nil {
			t.Fatalf("%q printed as %q, which does not parse: %v", s, text, err)
		}
		if !reflect.DeepEqual(w, back) {
			t.Fatalf("%q printed as %q, which parses to %#v, not %#v", s, text, back, w)
		}
		next := w.NextOpen(from)
		if next.IsZero() || next.Before(from) || next.Sub(from) > 8*24*time.Hour {
			t.Fatalf("%q: NextOpen(%v) = %v", s, from, next)
		}
		if !w.Open(next, MaxIdle, false) {
			t.Fatalf("%q: not open at NextOpen %v", s, next)
		}
		if next.After(from) && w.Open(next.Add(-time.Minute), MaxIdle, false) {
			t.Fatalf("%q: already open a minute before NextOpen %v", s, next)
		}
	})
}

// addFixtures adds the files of testdata/dir, real outputs of the tools
// the parsers read, to a fuzz target's seeds.
func addFixtures(f *testing.F, dir string, add func([]byte)) {
	f.Helper()
	names, err := filepath.Glob(filepath.Join("testdata", dir))
	if err != nil || len(names) == 0 {
		f.Fatalf("no fixtures %s: %v", dir, err)
	}
	for _, name := range names {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		add(b)
	}
}

// FuzzParseListSessions checks that parseListSessions returns the first
// field of the lines whose second is the user's ID, every such line's
// when all is set, in order. The seed corpus is in
// testdata/fuzz/FuzzParseListSessions.
func FuzzParseListSessions(f *testing.F) {
	addFixtures(f, "loginctl/list-sessions-*.txt", func(b []byte) { f.Add(b, 1000) })
	addFixtures(f, "loginctl/no-systemd.txt", func(b []byte) { f.Add(b, 0) })
	f.Fuzz(func(t *testing.T, out []byte, uid int) {
		var mine, all []string
		for _, line := range strings.Split(string(out), "\n") {
			f := strings.Fields(line)
			if len(f) < 2 {
				continue
			}
			u, err := strconv.Atoi(f[1])
			if err != nil {
				continue
			}
			all = append(all, f[0])
			if u == uid {
				mine = append(mine, f[0])
			}
		}
		if len(out) > bufio.MaxScanTokenSize {
			return // a line may be too long to scan; the model above does not stop there
		}
		if got := parseListSessions(out, uid, false); !slices.Equal(got, mine) {
			t.Fatalf("sessions of %d: %q, want %q", uid, got, mine)
		}
		if got := parseListSessions(out, uid, true); !slices.Equal(got, all) {
			t.Fatalf("all sessions: %q, want %q", got, all)
		}
	})
}

// FuzzParseProperties checks that parseProperties reads each Key=Value
// line, that what it reads writes back as lines it reads the same, and
// that logindIdle copes with any answer. The seed corpus is in
// testdata/fuzz/FuzzParseProperties.
func FuzzParseProperties(f *testing.F) {
	addFixtures(f, "loginctl/*.txt", func(b []byte) { f.Add(b) })
	now := time.UnixMicro(1764000000000000).Add(25 * time.Minute)
	f.Fuzz(func(t *testing.T, out []byte) {
		props := parseProperties(out)
		var b strings.Builder
		for k, v := range props {
			if strings.Contains(k, "=") || strings.ContainsAny(k+v, "\n") || k != strings.TrimLeftFunc(k, isSpace) || v != strings.TrimRightFunc(v, isSpace) {
				t.Fatalf("property %q=%q cannot have come from a line", k, v)
			}
			if !strings.Contains(string(out), k+"="+v) {
				t.Fatalf("property %q=%q is not in the output", k, v)
			}
			fmt.Fprintf(&b, "%s=%s\n", k, v)
		}
		if back := parseProperties([]byte(b.String())); !maps.Equal(back, props) {
			t.Fatalf("properties %q written as %q read back as %q", props, b.String(), back)
		}
		d, err := logindIdle(props, now)
		if err == nil && d < 0 {
			t.Fatalf("logindIdle(%q) = %v", props, d)
		}
	})
}

func isSpace(r rune) bool { return strings.TrimSpace(string(r)) == "" }

// FuzzParseXprintidle checks that parseXprintidle returns the number of
// milliseconds xprintidle printed, exactly, or an error. The seed corpus
// is in testdata/fuzz/FuzzParseXprintidle.
func FuzzParseXprintidle(f *testing.F) {
	addFixtures(f, "xprintidle.txt", func(b []byte) { f.Add(b) })
	f.Fuzz(func(t *testing.T, out []byte) {
		d, err := parseXprintidle(out)
		if err != nil {
			if d != 0 {
				t.Fatalf("parseXprintidle(%q) = %v with error %v", out, d, err)
			}
			return
		}
		ms, perr := strconv.ParseInt(strings.TrimSpace(string(out)), 10, 64)
		if perr != nil || d < 0 || d%time.Millisecond != 0 || d.Milliseconds() != ms {
			t.Fatalf("parseXprintidle(%q) = %v", out, d)
		}
		if back, err := parseXprintidle([]byte(strconv.FormatInt(d.Milliseconds(), 10) + "\n")); err != nil || back != d {
			t.Fatalf("parseXprintidle(%q) = %v, which reads back as %v, %v", out, d, back, err)
		}
	})
}

// FuzzParseIoreg checks that parseIoreg returns the HIDIdleTime ioreg
// printed, or an error wrapping ErrUnknown. The seed corpus is in
// testdata/fuzz/FuzzParseIoreg.
func FuzzParseIoreg(f *testing.F) {
	addFixtures(f, "ioreg/*.txt", func(b []byte) { f.Add(b) })
	f.Fuzz(func(t *testing.T, out []byte) {
		d, err := parseIoreg(out)
		if err != nil {
			if d != 0 || !errors.Is(err, ErrUnknown) {
				t.Fatalf("parseIoreg(%q) = %v, %v; want 0 and ErrUnknown", out, d, err)
			}
			return
		}
		if d < 0 || !strings.Contains(string(out), `"HIDIdleTime"`) || !strings.Contains(string(out), strconv.FormatInt(int64(d), 10)) {
			t.Fatalf("parseIoreg(%q) = %v", out, d)
		}
		line := fmt.Sprintf("    | |   \"HIDIdleTime\" = %d\n", int64(d))
		if back, err := parseIoreg([]byte(line)); err != nil || back != d {
			t.Fatalf("parseIoreg(%q) = %v, which reads back as %v, %v", out, d, back, err)
		}
	})
}

// FuzzParsePmset checks that parsePmset reads the power source from the
// first line of pmset's output, and anything else is an error wrapping
// ErrUnknown. The seed corpus is in testdata/fuzz/FuzzParsePmset.
func FuzzParsePmset(f *testing.F) {
	addFixtures(f, "pmset/*.txt", func(b []byte) { f.Add(b) })
	f.Fuzz(func(t *testing.T, out []byte) {
		battery, err := parsePmset(out)
		if err != nil {
			if battery || !errors.Is(err, ErrUnknown) {
				t.Fatalf("parsePmset(%q) = %v, %v; want false and ErrUnknown", out, battery, err)
			}
			return
		}
		first, _, _ := strings.Cut(string(out), "\n")
		ac := strings.Contains(first, "drawing from 'AC Power'")
		onBattery := strings.Contains(first, "drawing from 'Battery Power'") || strings.Contains(first, "drawing from 'UPS Power'")
		if battery && !onBattery || !battery && !ac {
			t.Fatalf("parsePmset(%q) = %v", out, battery)
		}
	})
}
