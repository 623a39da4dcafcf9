package retention

import (
	"math"
	"strconv"
	"strings"
	"testing"
	"time"
)

// FuzzParseDays checks that ParseDays returns a duration that is not
// negative, that a count of days, weeks or years is read whole (not a
// prefix of it, and without wrapping around), and that what it returns
// reads back from Go's own spelling.
func FuzzParseDays(f *testing.F) {
	for _, s := range []string{
		"90d", "2w", "1y", "36h", "1h30m", "0d", " 7d ", "+3d", "007d",
		"-3d", "-36h", "1.5d", "12h1d", "3 d", "3xd", "d", "", "3x",
		"106751d", "106752d", "300y", "9223372036854775807d", "99999999999999999999d", "2562047h",
	} {
		f.Add(s)
	}
	units := map[byte]time.Duration{'d': 24 * time.Hour, 'w': 7 * 24 * time.Hour, 'y': 365 * 24 * time.Hour}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDays(s)
		if err != nil {
			if d != 0 {
				t.Fatalf("ParseDays(%q) = %v with error %v", s, d, err)
			}
			return
		}
		if d < 0 {
			t.Fatalf("ParseDays(%q) = %v, a negative duration", s, d)
		}
		trimmed := strings.TrimSpace(s)
		if unit, ok := units[trimmed[len(trimmed)-1]]; ok {
			n, err := strconv.ParseInt(trimmed[:len(trimmed)-1], 10, 64)
			if err != nil || n < 0 || n > math.MaxInt64/int64(unit) || time.Duration(n)*unit != d {
				t.Fatalf("ParseDays(%q) = %v, not a whole count of %v", s, d, unit)
			}
		}
		back, err := ParseDays(d.String())
		if err != nil || back != d {
			t.Fatalf("ParseDays(%q) = %v, which reads back as %v, %v", s, d, back, err)
		}
	})
}
