package weekday

import (
	"testing"
	"time"
)

func TestParse(t *testing.T) {
	for in, want := range map[string][]time.Weekday{
		"Mon": {time.Monday}, "sunday": {time.Sunday}, "Mon-Wed": {time.Monday, time.Tuesday, time.Wednesday},
		"Fri-Mon": {time.Friday, time.Saturday, time.Sunday, time.Monday}, "weekend": {time.Saturday, time.Sunday},
		"weekdays": {time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday},
	} {
		s, ok := Parse(in)
		if !ok {
			t.Fatalf("Parse(%q) failed", in)
		}
		var n int
		for _, d := range want {
			if !s.Has(d) {
				t.Errorf("Parse(%q) lacks %v", in, d)
			}
			n++
		}
		for d := time.Sunday; d <= time.Saturday; d++ {
			if s.Has(d) {
				n--
			}
		}
		if n != 0 {
			t.Errorf("Parse(%q) = %07b has extra days", in, s)
		}
	}
	if s, _ := Parse("daily"); s != All {
		t.Error("daily is not every day")
	}
	for _, bad := range []string{"", "Mo", "Mon-", "-Fri", "Funday", "Mon-Xyz"} {
		if _, ok := Parse(bad); ok {
			t.Errorf("Parse(%q) accepted", bad)
		}
	}
}
