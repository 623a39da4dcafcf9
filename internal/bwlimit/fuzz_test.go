package bwlimit

import (
	"testing"
	"time"
)

// FuzzParseTimetable checks that every timetable the parser accepts prints
// in a form it reads back to the same limits at every minute of the week,
// and that printing is stable. The seed corpus is in
// testdata/fuzz/FuzzParseTimetable.
func FuzzParseTimetable(f *testing.F) {
	for _, s := range []string{
		"36KB", "off", "2Mbit", "08:00,512KiB 18:00,2MiB 23:00,off", weekdays,
		"Mon-08:00,512KiB Fri-18:00,off", "512KiB; Sat-Sun off", "Fri-Mon 1MB",
	} {
		f.Add(s)
	}
	monday := time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, s string) {
		tt, err := ParseTimetable(s)
		if err != nil {
			return
		}
		text := tt.String()
		back, err := ParseTimetable(text)
		if err != nil {
			t.Fatalf("%q printed as %q, which does not parse: %v", s, text, err)
		}
		if again := back.String(); again != text {
			t.Fatalf("%q printed as %q, then as %q", s, text, again)
		}
		for m := range 7 * 24 * 60 {
			at := monday.Add(time.Duration(m) * time.Minute)
			r1, off1 := tt.RateAt(at)
			r2, _ := back.RateAt(at)
			if r1 != r2 {
				t.Fatalf("%q and its printed form %q differ at %v: %d, %d", s, text, at, r1, r2)
			}
			if r1 < 0 || r1 > MaxRate || off1 != (r1 == 0) {
				t.Fatalf("%q at %v: rate %d off %v", s, at, r1, off1)
			}
		}
		from := monday.Add(36 * time.Hour)
		if next := tt.NextChange(from); !next.IsZero() {
			r0, _ := tt.RateAt(from)
			r1, _ := tt.RateAt(next)
			if !next.After(from) || r0 == r1 {
				t.Fatalf("%q: NextChange(%v) = %v, rates %d → %d", s, from, next, r0, r1)
			}
		}
	})
}
