// Package bytesize parses and prints byte counts and transfer rates the way
// people write them: "36KB", "2.5 GiB", "2Mbit" (bits, for line speeds).
// Decimal prefixes (k, M, G, T) are powers of 1000 and binary ones (Ki, Mi,
// Gi, Ti) powers of 1024, as in rclone and the IEC standard; a trailing "b"
// or "bit" counts bits, "B" or nothing counts bytes.
package bytesize

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode"
)

// Parse reads a size such as "1500", "36KB", "2 MiB", "2Mbit" and returns
// bytes. Fractions are allowed ("1.5G"); the result is rounded down.
func Parse(s string) (int64, error) {
	orig := s
	s = strings.TrimSpace(s)
	i := strings.IndexFunc(s, func(r rune) bool { return !(unicode.IsDigit(r) || r == '.') })
	num, unit := s, ""
	if i >= 0 {
		num, unit = s[:i], strings.TrimSpace(s[i:])
	}
	if num == "" {
		return 0, fmt.Errorf("invalid size %q: no number", orig)
	}
	f, err := strconv.ParseFloat(num, 64)
	if err != nil || f < 0 {
		return 0, fmt.Errorf("invalid size %q", orig)
	}
	mult, err := multiplier(unit)
	if err != nil {
		return 0, fmt.Errorf("invalid size %q: %w", orig, err)
	}
	v := f * mult
	if v > math.MaxInt64/2 {
		return 0, fmt.Errorf("invalid size %q: too large", orig)
	}
	return int64(v), nil
}

// ParseRate reads a transfer rate such as "36kB/s", "36KiB/s", "2Mbit/s",
// "2Mbps", "36kBps" or "36KB" and returns bytes per second: a size (see
// Parse) per second, with "/s", "/sec" or "ps" after the unit, or nothing.
func ParseRate(s string) (int64, error) {
	v := strings.TrimSpace(s)
	for _, suffix := range []string{"/s", "/sec", "ps"} {
		if strings.HasSuffix(v, suffix) && !strings.HasSuffix(v, "bps") {
			v = strings.TrimSuffix(v, suffix)
			break
		}
	}
	return Parse(v)
}

func multiplier(unit string) (float64, error) {
	bits := false
	u := unit
	switch {
	case strings.HasSuffix(u, "bit"), strings.HasSuffix(u, "bits"):
		bits = true
		u = strings.TrimSuffix(strings.TrimSuffix(u, "s"), "bit")
	case strings.HasSuffix(u, "bps"):
		bits = true
		u = strings.TrimSuffix(u, "bps")
	case strings.HasSuffix(u, "b"):
		bits = true
		u = strings.TrimSuffix(u, "b")
	case strings.HasSuffix(u, "B"):
		u = strings.TrimSuffix(u, "B")
	}
	var m float64
	switch strings.ToLower(u) {
	case "":
		m = 1
	case "k":
		m = 1e3
	case "m":
		m = 1e6
	case "g":
		m = 1e9
	case "t":
		m = 1e12
	case "ki":
		m = 1 << 10
	case "mi":
		m = 1 << 20
	case "gi":
		m = 1 << 30
	case "ti":
		m = 1 << 40
	default:
		return 0, fmt.Errorf("unknown unit %q (use B, KB, MB, GB, KiB, MiB, GiB, or kbit, Mbit)", unit)
	}
	if bits {
		m /= 8
	}
	return m, nil
}

// Format prints n bytes with a binary prefix, e.g. "1.5 GiB".
func Format(n int64) string {
	const unit = 1024
	if n < unit && n > -unit {
		return fmt.Sprintf("%d B", n)
	}
	f := float64(n)
	for _, p := range []string{"KiB", "MiB", "GiB", "TiB", "PiB"} {
		f /= unit
		if math.Abs(f) < unit || p == "PiB" {
			if f >= 100 {
				return fmt.Sprintf("%.0f %s", f, p)
			}
			return fmt.Sprintf("%.1f %s", f, p)
		}
	}
	return fmt.Sprintf("%d B", n)
}
