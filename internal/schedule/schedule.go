// Package schedule decides when the backup agent may run: in time windows
// ("23:00-07:00", "Mon-Fri 09:00-17:00"), while the user is away ("idle
// 10m"), only on mains power ("ac"), or always. It also tells how long the
// user has been idle and whether the computer runs on battery, asking the
// operating system the way its own tools do (see Idle and Power).
//
// # Windows
//
// ParseWindows reads a list of windows separated by commas or semicolons.
// The agent may run when any window is open; a window is open when all of
// its conditions hold:
//
//	always                      no condition: always open
//	23:00-07:00                 every night; a window may cross midnight
//	Mon-Fri 09:00-17:00         office hours
//	Sat-Sun                     all weekend
//	idle 10m                    the user has touched nothing for 10 minutes
//	ac                          the computer is not running on battery
//	23:00-07:00 ac, idle 15m ac nights or breaks, never on battery
//
// Days are Mon … Sun (or full English names, any case), ranges of them
// ("Mon-Fri", "Fri-Mon" wraps) and "daily", "weekdays", "weekend"; several
// may follow one another ("Mon Wed Fri"). A time range is HH:MM-HH:MM in
// local time, end excluded; an end of 24:00 means midnight, and an end
// before the start means the next day, the window belonging to the day it
// starts on ("Fri 23:00-07:00" ends on Saturday morning). Durations are Go
// durations ("10m", "1h30m"). Each window has at most one time range;
// write two ranges as two windows: "09:00-12:00, 14:00-17:00".
//
// # The agent's loop
//
// Open answers for one moment, given the idle time and the power source.
// NextOpen says when the clock next lets a window open; it cannot foresee
// idleness or the power source, so while NeedsIdle or NeedsPower is true
// the agent polls (every minute is plenty):
//
//	for {
//		idle, err := idler.IdleTime(ctx)   // on error: idle = 0, windows that need idleness stay shut
//		bat, err := power.OnBattery(ctx)   // on error: bat = false, so an unknown source does not block
//		if w.Open(time.Now(), idle, bat) { run() }
//		sleep until w.NextOpen(now), or a minute if w.NeedsIdle() || w.NeedsPower()
//	}
package schedule

import (
	"strings"
	"time"
)

// Windows is a set of windows in which the agent may run. The zero Windows
// is always open.
type Windows struct {
	items []window
}

// window is one window: the conjunction of its conditions.
type window struct {
	days       uint8 // bit per time.Weekday; 0 means every day
	timed      bool  // has a time range
	start, end int   // minutes of the day; end ≤ start crosses midnight; end may be 1440
	idle       time.Duration
	ac         bool
}

// Always returns windows that are always open.
func Always() Windows { return Windows{} }

// Open reports whether the agent may run at now, when the user has been
// idle for idle and the computer runs on battery or not.
func (w Windows) Open(now time.Time, idle time.Duration, onBattery bool) bool {
	if len(w.items) == 0 {
		return true
	}
	for _, it := range w.items {
		if it.ac && onBattery {
			continue
		}
		if it.idle > 0 && idle < it.idle {
			continue
		}
		if it.clockOpen(now) {
			return true
		}
	}
	return false
}

// NextOpen returns the first instant from now on (now itself if the clock
// allows it already) at which the clock lets some window open, ignoring
// idle and power conditions, which cannot be foreseen. It returns the zero
// Time only for windows that can never open, which ParseWindows does not
// produce.
func (w Windows) NextOpen(now time.Time) time.Time {
	if len(w.items) == 0 {
		return now
	}
	var best time.Time
	for _, it := range w.items {
		if it.clockOpen(now) {
			return now
		}
		if t := it.nextStart(now); !t.IsZero() && (best.IsZero() || t.Before(best)) {
			best = t
		}
	}
	return best
}

// NeedsIdle reports whether some window depends on the user's idle time,
// so that the agent must ask for it.
func (w Windows) NeedsIdle() bool {
	for _, it := range w.items {
		if it.idle > 0 {
			return true
		}
	}
	return false
}

// NeedsPower reports whether some window depends on the power source.
func (w Windows) NeedsPower() bool {
	for _, it := range w.items {
		if it.ac {
			return true
		}
	}
	return false
}

func (it window) onDay(d time.Weekday) bool {
	return it.days == 0 || it.days&(1<<d) != 0
}

// clockOpen reports whether the day and time conditions hold at t.
func (it window) clockOpen(t time.Time) bool {
	today := t.Weekday()
	if !it.timed {
		return it.onDay(today)
	}
	m := t.Hour()*60 + t.Minute()
	if it.start < it.end {
		return it.onDay(today) && it.start <= m && m < it.end
	}
	yesterday := (today + 6) % 7
	return it.onDay(today) && m >= it.start || it.onDay(yesterday) && m < it.end
}

// nextStart returns the first start of the window after t, or zero.
func (it window) nextStart(t time.Time) time.Time {
	y, mo, d := t.Date()
	for off := range 8 {
		day := time.Date(y, mo, d+off, 12, 0, 0, 0, t.Location())
		if !it.onDay(day.Weekday()) {
			continue
		}
		start := 0
		if it.timed {
			start = it.start
		}
		if at := wallClock(y, mo, d+off, start, t.Location()); at.After(t) {
			return at
		}
	}
	return time.Time{}
}

// wallClock returns the first instant at which the clocks of loc show
// minute m of the given day or, if they skip it (the start of daylight
// saving time), the instant they jump past it.
func wallClock(y int, mo time.Month, d, m int, loc *time.Location) time.Time {
	t := time.Date(y, mo, d, m/60, m%60, 0, 0, loc)
	if t.Hour()*60+t.Minute() != m {
		start, _ := t.ZoneBounds()
		return start
	}
	for _, back := range []time.Duration{time.Hour, 30 * time.Minute} {
		if e := t.Add(-back); e.Hour() == t.Hour() && e.Minute() == t.Minute() && e.Day() == t.Day() {
			return e
		}
	}
	return t
}

// String returns the windows in the canonical form ParseWindows reads back.
func (w Windows) String() string {
	if len(w.items) == 0 {
		return "always"
	}
	parts := make([]string, len(w.items))
	for i, it := range w.items {
		parts[i] = it.String()
	}
	return strings.Join(parts, ", ")
}

func (it window) String() string {
	var words []string
	if it.days != 0 {
		words = append(words, formatDays(it.days))
	}
	if it.timed {
		words = append(words, formatMinute(it.start)+"-"+formatMinute(it.end))
	}
	if it.idle > 0 {
		words = append(words, "idle", formatDuration(it.idle))
	}
	if it.ac {
		words = append(words, "ac")
	}
	if len(words) == 0 {
		return "always"
	}
	return strings.Join(words, " ")
}
