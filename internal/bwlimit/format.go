package bwlimit

import (
	"fmt"
	"strconv"
	"time"
)

// formatRate writes a rate exactly, in the largest unit that divides it:
// "2MiB", "36kB", "250kB", "1234B", or "off" for 0.
func formatRate(bps int64) string {
	if bps <= 0 {
		return "off"
	}
	for _, u := range []struct {
		name string
		size int64
	}{
		{"TiB", 1 << 40}, {"TB", 1e12}, {"GiB", 1 << 30}, {"GB", 1e9},
		{"MiB", 1 << 20}, {"MB", 1e6}, {"KiB", 1 << 10}, {"kB", 1e3},
	} {
		if bps%u.size == 0 {
			return strconv.FormatInt(bps/u.size, 10) + u.name
		}
	}
	return strconv.FormatInt(bps, 10) + "B"
}

// formatMinute writes a minute of the day as HH:MM.
func formatMinute(m int) string {
	return fmt.Sprintf("%02d:%02d", m/60, m%60)
}

// dayName returns the three-letter English name of d.
func dayName(d time.Weekday) string {
	return d.String()[:3]
}
