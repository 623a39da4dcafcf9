package schedule

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Bounds of an idle condition.
const (
	MinIdle = time.Minute
	MaxIdle = 24 * time.Hour
)

// ParseWindows reads windows in the grammar of the package comment. Errors
// name the window and the word at fault.
func ParseWindows(s string) (Windows, error) {
	if strings.TrimSpace(s) == "" {
		return Windows{}, fmt.Errorf("schedule %q: empty: want windows such as \"23:00-07:00\", \"idle 10m\" or \"always\"", s)
	}
	var w Windows
	for _, text := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ';' }) {
		if strings.TrimSpace(text) == "" {
			continue // "a, b," and "a,, b" are fine
		}
		it, err := parseWindow(strings.Fields(text))
		if err != nil {
			return Windows{}, fmt.Errorf("schedule %q: window %q: %w", s, strings.TrimSpace(text), err)
		}
		if it == (window{}) {
			return Always(), nil // "always" opens everything else too
		}
		w.items = append(w.items, it)
	}
	if len(w.items) == 0 {
		return Windows{}, fmt.Errorf("schedule %q: no windows in it", s)
	}
	return w, nil
}

func parseWindow(words []string) (window, error) {
	var it window
	for i := 0; i < len(words); i++ {
		word := words[i]
		lower := strings.ToLower(word)
		switch {
		case lower == "always":
			// No condition: the window is open unless others say not.
		case lower == "ac" || lower == "on-ac":
			it.ac = true
		case lower == "idle":
			if it.idle != 0 {
				return window{}, errors.New("idle is given twice")
			}
			if i+1 == len(words) {
				return window{}, errors.New("idle needs a duration, as in \"idle 10m\"")
			}
			i++
			d, err := time.ParseDuration(words[i])
			if err != nil {
				return window{}, fmt.Errorf("idle %q: want a duration such as 10m", words[i])
			}
			if d < MinIdle || d > MaxIdle {
				return window{}, fmt.Errorf("idle %s: want from %s to %s", words[i], formatDuration(MinIdle), formatDuration(MaxIdle))
			}
			it.idle = d
		case strings.Contains(word, ":"):
			if it.timed {
				return window{}, errors.New("a window has one time range: separate two with a comma, as in \"09:00-12:00, 14:00-17:00\"")
			}
			from, to, ok := strings.Cut(word, "-")
			if !ok {
				return window{}, fmt.Errorf("%q: want a time range such as 23:00-07:00", word)
			}
			start, err := parseClock(from)
			if err != nil {
				return window{}, err
			}
			end, err := parseClock(to)
			if err != nil {
				return window{}, err
			}
			if start == 1440 {
				return window{}, fmt.Errorf("%q: a window cannot start at 24:00; start at 00:00", word)
			}
			if start == end || start == 0 && end == 1440 {
				return window{}, fmt.Errorf("%q: the window is empty or the whole day; leave the time out for the whole day", word)
			}
			if end == 0 {
				end = 1440 // "22:00-00:00" ends at midnight
			}
			it.timed, it.start, it.end = true, start, end
		default:
			days, ok := parseDays(word)
			if !ok {
				return window{}, fmt.Errorf("%q: want days (Mon-Fri), a time range (23:00-07:00), \"idle 10m\", \"ac\" or \"always\"", word)
			}
			it.days |= days
		}
	}
	if it.days == allDays {
		it.days = 0
	}
	return it, nil
}
