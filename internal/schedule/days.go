package schedule

import (
	"fmt"
	"strings"
	"time"

	"github.com/tunesafe/tunesafe/internal/weekday"
)

// allDays has a bit for every time.Weekday.
const allDays = 1<<7 - 1

// parseDays reads a day specification (package weekday) as a bit set over
// time.Weekday.
func parseDays(w string) (uint8, bool) {
	set, ok := weekday.Parse(w)
	return uint8(set), ok
}

// mondayFirst lists the weekdays in the order people write them.
var mondayFirst = [7]time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday, time.Saturday, time.Sunday}

// formatDays writes a day set as runs of consecutive days, Monday first:
// "Mon-Fri", "Mon Wed", "Mon Fri-Sun".
func formatDays(set uint8) string {
	var runs []string
	for i := 0; i < 7; {
		if set&(1<<mondayFirst[i]) == 0 {
			i++
			continue
		}
		j := i
		for j+1 < 7 && set&(1<<mondayFirst[j+1]) != 0 {
			j++
		}
		run := mondayFirst[i].String()[:3]
		if j > i {
			run += "-" + mondayFirst[j].String()[:3]
		}
		runs = append(runs, run)
		i = j + 1
	}
	return strings.Join(runs, " ")
}

// parseClock reads H:MM or HH:MM, 00:00 to 24:00, as a minute of the day.
func parseClock(w string) (int, error) {
	h, m, ok := strings.Cut(w, ":")
	if !ok || len(h) < 1 || len(h) > 2 || len(m) != 2 || !digits(h) || !digits(m) {
		return 0, fmt.Errorf("%q: want a time of day such as 08:00", w)
	}
	hh := int(h[0] - '0')
	if len(h) == 2 {
		hh = hh*10 + int(h[1]-'0')
	}
	mm := int(m[0]-'0')*10 + int(m[1]-'0')
	if mm > 59 || hh > 24 || hh == 24 && mm != 0 {
		return 0, fmt.Errorf("%q: want a time from 00:00 to 24:00", w)
	}
	return hh*60 + mm, nil
}

func digits(s string) bool {
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// formatMinute writes a minute of the day as HH:MM.
func formatMinute(m int) string { return fmt.Sprintf("%02d:%02d", m/60, m%60) }

// formatDuration writes d as ParseDuration reads it, without zero units:
// "10m", "1h30m", "90s".
func formatDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}
