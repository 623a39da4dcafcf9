package weekday

import (
	"strings"
	"testing"
	"time"
)

// FuzzParse checks that Parse returns a non-empty set of real days, that
// a range is the days from its first to its last, wrapping past Sunday,
// and that ParseDay reads only day names.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"Mon", "monday", "SUN", "Mon-Fri", "Fri-Mon", "Sat-Sat", "Sun-Sat", "daily", "Weekdays", "weekends",
		"Mo", "Mon-", "-Fri", "Mon-Tue-Wed", "Funday", "Mon-Xyz", "mond", "Thurs", "ſun", "",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, w string) {
		if d, ok := ParseDay(w); ok {
			name := d.String()
			if d < time.Sunday || d > time.Saturday || !strings.EqualFold(w, name) && !strings.EqualFold(w, name[:3]) {
				t.Fatalf("ParseDay(%q) = %v", w, d)
			}
		}

		set, ok := Parse(w)
		if !ok {
			if set != 0 {
				t.Fatalf("Parse(%q) = %07b, false", w, set)
			}
			return
		}
		if set == 0 || set&^All != 0 {
			t.Fatalf("Parse(%q) = %07b", w, set)
		}
		from, to, isRange := strings.Cut(w, "-")
		a, okA := ParseDay(from)
		b, okB := ParseDay(to)
		switch {
		case !okA:
			switch strings.ToLower(w) {
			case "daily", "weekdays", "weekend", "weekends":
			default:
				t.Fatalf("Parse(%q) = %07b, but %q is not a day", w, set, from)
			}
		case !isRange:
			if set != 1<<a {
				t.Fatalf("Parse(%q) = %07b, want %v alone", w, set, a)
			}
		case !okB:
			t.Fatalf("Parse(%q) = %07b, but %q is not a day", w, set, to)
		default:
			n := int(b-a+7)%7 + 1
			for i := range 7 {
				d := (a + time.Weekday(i)) % 7
				if set.Has(d) != (i < n) {
					t.Fatalf("Parse(%q) = %07b: %v in it is %v", w, set, d, set.Has(d))
				}
			}
		}
	})
}
