package bwlimit

import (
	"slices"
	"strings"
	"time"
)

// A Timetable is a bandwidth limit that changes with the time of day and
// the day of the week. The zero Timetable means no limit at any time.
//
// # Grammar
//
// A timetable is a single rate, in force at all times:
//
//	36KB    512KiB    2Mbit    off
//
// or a list of changes, each a time of day and the rate from then on
//
//	08:00,512KiB 18:00,2MiB 23:00,off
//	08:00 512KiB; 18:00 2MiB; 23:00 off
//
// which days of the week may restrict:
//
//	Mon-Fri 08:00 256KiB; 18:00 2MiB; 23:00 off; Sat-Sun off
//	Mon-08:00,512KiB Fri-18:00,off              (rclone's form)
//
// Informally, with words separated by blanks or commas:
//
//	timetable = clause { ";" clause }
//	clause    = { days } [ rate ] { time rate }
//	days      = day | day "-" day | "daily" | "weekdays" | "weekend"
//	day       = Mon | Tue | Wed | Thu | Fri | Sat | Sun   (or full names; any case)
//	time      = H:MM | HH:MM                  24-hour local time, 00:00 to 23:59
//	rate      = "off" | a size with a unit    36KB, 512KiB, 2.5MB, 2Mbit
//
// Rates are read by package bytesize and are per second: decimal prefixes
// (k, M, G) are powers of 1000, binary ones (Ki, Mi, Gi) powers of 1024, and
// a unit ending in "bit" or a lower-case "b" counts bits ("2Mbit" is
// 250000 bytes per second). A rate needs a unit, because rclone reads a bare
// number as KiB and a misplaced "0800" should not become 800 B/s; and it is
// written without blanks ("2MiB", not "2 MiB").
//
// Rules:
//
//   - The days that start a clause (several may follow one another: "Mon
//     Wed Fri") apply to its changes. A clause without days applies to the
//     days of the clause before it, or to every day if it comes first, so
//     "; 18:00 2MiB" above belongs to Mon-Fri. Days met after a change
//     start a new clause, as in rclone's form.
//   - A rate with no time before it takes effect at 00:00: "Sat-Sun off".
//   - The rate at any moment is that of the most recent change, looking
//     back across midnight and across days as far as needed, so
//     "08:00,512KiB 23:00,off" is off from 23:00 until 08:00 the next
//     morning, and the first example above is off from Friday 23:00 until
//     Monday 08:00.
//   - A later clause replaces an earlier one at the same day and time, so
//     a default can come first: "512KiB; Sat-Sun off". The same time twice
//     in one clause is an error.
//   - "off" means no limit, as in rclone. It never pauses transfers; when
//     the agent may run at all is package schedule's business. A rate of
//     zero is refused rather than guessed at.
//   - Times are wall-clock times in the location of the time.Time given to
//     RateAt (Follow uses the local time zone). A change at a time that a
//     daylight-saving jump skips takes effect when the clock jumps.
type Timetable struct {
	// week[d] lists the changes on weekday d (time.Sunday = 0) in order
	// of time; nil when the day has none.
	week [7][]change
}

// change is one entry of a timetable: from minute (of the day) on, rate
// bytes per second, 0 for no limit.
type change struct {
	minute int
	rate   int64
}

// Constant returns a timetable with the same rate at all times; 0 or less
// means no limit.
func Constant(bytesPerSec int64) Timetable {
	var tt Timetable
	for d := range tt.week {
		tt.week[d] = []change{{0, max(bytesPerSec, 0)}}
	}
	return tt
}

// RateAt returns the limit in force at t: bytes per second, or off = true
// (and 0) when there is no limit.
func (tt Timetable) RateAt(t time.Time) (bytesPerSec int64, off bool) {
	r := tt.rateAt(t.Weekday(), t.Hour()*60+t.Minute())
	return r, r == 0
}

// rateAt finds the most recent change at or before minute m of weekday d.
func (tt Timetable) rateAt(d time.Weekday, m int) int64 {
	for back := range 8 {
		day := (int(d) - back + 7*2) % 7
		cs := tt.week[day]
		for i := len(cs) - 1; i >= 0; i-- {
			if back > 0 || cs[i].minute <= m {
				return cs[i].rate
			}
		}
	}
	return 0
}

// NextChange returns the first instant after t at which the rate differs
// from the rate at t, or the zero Time if it never does.
func (tt Timetable) NextChange(t time.Time) time.Time {
	now := tt.rateAt(t.Weekday(), t.Hour()*60+t.Minute())
	type candidate struct {
		at   time.Time
		rate int64
	}
	var cs []candidate
	y, mo, d := t.Date()
	for off := range 8 {
		day := time.Date(y, mo, d+off, 0, 0, 0, 0, t.Location())
		for _, c := range tt.week[day.Weekday()] {
			at := wallClock(y, mo, d+off, c.minute, t.Location())
			if at.After(t) {
				cs = append(cs, candidate{at, c.rate})
			}
		}
	}
	slices.SortStableFunc(cs, func(a, b candidate) int { return a.at.Compare(b.at) })
	for _, c := range cs {
		if c.rate != now {
			return c.at
		}
	}
	return time.Time{}
}

// wallClock returns the first instant at which the clocks of loc show
// minute m of the given day, or, if they skip it (the start of daylight
// saving time), the instant they jump past it.
func wallClock(y int, mo time.Month, d, m int, loc *time.Location) time.Time {
	t := time.Date(y, mo, d, m/60, m%60, 0, 0, loc)
	if t.Hour()*60+t.Minute() != m {
		// Skipped: time.Date moved it past the jump; the jump is where
		// the zone now in force began.
		start, _ := t.ZoneBounds()
		return start
	}
	// Shown twice (the end of daylight saving time): time.Date may pick
	// either; take the first.
	for _, back := range []time.Duration{time.Hour, 30 * time.Minute} {
		e := t.Add(-back)
		if e.Hour() == t.Hour() && e.Minute() == t.Minute() && e.Day() == t.Day() {
			return e
		}
	}
	return t
}

// IsConstant reports whether the rate is the same at all times.
func (tt Timetable) IsConstant() bool {
	var rate int64 = -1
	for _, cs := range tt.week {
		for _, c := range cs {
			if rate >= 0 && c.rate != rate {
				return false
			}
			rate = c.rate
		}
	}
	return true
}

// mondayFirst lists the weekdays in the order people write them.
var mondayFirst = [7]time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday, time.Saturday, time.Sunday}

// String returns the timetable in a canonical form that ParseTimetable
// reads back to the same timetable: a single rate when it never changes,
// otherwise clauses of consecutive days with the same changes, in Monday
// to Sunday order, e.g. "Mon-Fri 08:00 256KiB 23:00 off; Sat-Sun off".
func (tt Timetable) String() string {
	if tt.IsConstant() {
		r, _ := tt.RateAt(time.Time{})
		return formatRate(r)
	}
	same := true
	for _, d := range mondayFirst {
		same = same && slices.Equal(tt.week[d], tt.week[time.Monday])
	}
	if same {
		return formatChanges(tt.week[time.Monday])
	}
	var clauses []string
	for i := 0; i < 7; {
		j := i + 1
		for j < 7 && slices.Equal(tt.week[mondayFirst[j]], tt.week[mondayFirst[i]]) {
			j++
		}
		if cs := tt.week[mondayFirst[i]]; len(cs) > 0 {
			days := dayName(mondayFirst[i])
			if j-i > 1 {
				days += "-" + dayName(mondayFirst[j-1])
			}
			clauses = append(clauses, days+" "+formatChanges(cs))
		}
		i = j
	}
	return strings.Join(clauses, "; ")
}

// formatChanges writes a day's changes, "08:00 256KiB 23:00 off", leaving
// out the time of a lone change at midnight ("off").
func formatChanges(cs []change) string {
	if len(cs) == 1 && cs[0].minute == 0 {
		return formatRate(cs[0].rate)
	}
	parts := make([]string, 0, 2*len(cs))
	for _, c := range cs {
		parts = append(parts, formatMinute(c.minute), formatRate(c.rate))
	}
	return strings.Join(parts, " ")
}
