// Package weekday reads the day specifications people write in timetables
// and schedules: "Mon", "Monday", "Mon-Fri", "Fri-Mon" (wrapping past
// Sunday), "daily", "weekdays", "weekend".
package weekday

import (
	"strings"
	"time"
)

// Set is a set of days, one bit per time.Weekday.
type Set uint8

// All is every day of the week.
const All Set = 1<<7 - 1

// Has reports whether d is in the set.
func (s Set) Has(d time.Weekday) bool { return s&(1<<d) != 0 }

// Parse reads a day, a range of days or a name for a set of days.
func Parse(w string) (Set, bool) {
	switch strings.ToLower(w) {
	case "daily":
		return All, true
	case "weekdays":
		return 1<<time.Monday | 1<<time.Tuesday | 1<<time.Wednesday | 1<<time.Thursday | 1<<time.Friday, true
	case "weekend", "weekends":
		return 1<<time.Saturday | 1<<time.Sunday, true
	}
	from, to, isRange := strings.Cut(w, "-")
	a, ok := ParseDay(from)
	if !ok {
		return 0, false
	}
	if !isRange {
		return 1 << a, true
	}
	b, ok := ParseDay(to)
	if !ok {
		return 0, false
	}
	var set Set
	for d := a; ; d = (d + 1) % 7 {
		set |= 1 << d
		if d == b {
			return set, true
		}
	}
}

// ParseDay reads an English day name, whole or in three letters.
func ParseDay(w string) (time.Weekday, bool) {
	w = strings.ToLower(w)
	if len(w) < 3 {
		return 0, false
	}
	for d := time.Sunday; d <= time.Saturday; d++ {
		name := strings.ToLower(d.String())
		if w == name || w == name[:3] {
			return d, true
		}
	}
	return 0, false
}
