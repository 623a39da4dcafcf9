package schedule

import (
	"reflect"
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
