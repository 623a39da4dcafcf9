package bwlimit

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/tunesafe/tunesafe/internal/weekday"

	"github.com/tunesafe/tunesafe/internal/bytesize"
)

// MaxRate is the largest rate a timetable accepts, 1 TiB per second.
const MaxRate = 1 << 40

// ParseTimetable reads a timetable; see Timetable for the grammar. Errors
// name the word at fault and say what was expected there.
func ParseTimetable(s string) (Timetable, error) {
	p := parser{days: allDays}
	tt, err := p.parse(s)
	if err != nil {
		return Timetable{}, fmt.Errorf("bandwidth timetable %q: %w", s, err)
	}
	return tt, nil
}

// allDays is the set of every weekday, a bit per time.Weekday.
const allDays = 1<<7 - 1

type parser struct {
	days     uint8 // days of the current clause
	dayWords bool  // the previous word was days
	time     int   // pending time (minute of the day), or -1
	timeWord string
	// fresh is true at the start of a clause, where a rate without a
	// time means 00:00.
	fresh bool
	// set records the (day, minute) pairs the current clause has set.
	set   map[[2]int]bool
	table [7]map[int]int64
	prev  string // the previous word, for messages
	next  string // the next word, for hints
}

func (p *parser) parse(s string) (Timetable, error) {
	if strings.TrimSpace(s) == "" {
		return Timetable{}, errors.New("empty: want a rate such as 512KiB, or changes such as 08:00,512KiB 23:00,off")
	}
	p.time = -1
	p.newClause()
	ws := words(s)
	for i, w := range ws {
		p.next = ""
		if i+1 < len(ws) {
			p.next = ws[i+1]
		}
		if err := p.word(w); err != nil {
			return Timetable{}, err
		}
		p.prev = w
	}
	if err := p.endClause(); err != nil {
		return Timetable{}, err
	}
	var tt Timetable
	for d, m := range p.table {
		for minute, rate := range m {
			tt.week[d] = append(tt.week[d], change{minute, rate})
		}
		slices.SortFunc(tt.week[d], func(a, b change) int { return a.minute - b.minute })
	}
	return tt, nil
}

// words splits s at blanks and commas, keeping each ";" as a word.
func words(s string) []string {
	s = strings.ReplaceAll(s, ";", " ; ")
	return strings.FieldsFunc(s, func(r rune) bool {
		return r == ',' || r == ' ' || r == '\t' || r == '\n' || r == '\r'
	})
}

func (p *parser) newClause() {
	p.fresh = true
	p.set = map[[2]int]bool{}
}

// endClause checks that the clause did not end in the middle of a change.
func (p *parser) endClause() error {
	if p.time >= 0 {
		return fmt.Errorf("time %s has no rate after it", p.timeWord)
	}
	if p.dayWords {
		return fmt.Errorf("days %q have no rate after them", p.prev)
	}
	return nil
}

func (p *parser) word(w string) error {
	if w == ";" {
		if err := p.endClause(); err != nil {
			return err
		}
		p.newClause()
		return nil
	}
	if days, ok := parseDays(w); ok {
		return p.daysWord(days, w)
	}
	// rclone's "Mon-08:00" is a day and a time in one word.
	if i := strings.LastIndexByte(w, '-'); i > 0 {
		if days, ok := parseDays(w[:i]); ok {
			if err := p.daysWord(days, w[:i]); err != nil {
				return err
			}
			return p.timeWordOrErr(w[i+1:])
		}
	}
	if strings.Contains(w, ":") {
		return p.timeWordOrErr(w)
	}
	rate, err := parseRate(w, p.next)
	if err != nil {
		return err
	}
	return p.rateWord(rate, w)
}

func (p *parser) daysWord(days uint8, w string) error {
	if p.time >= 0 {
		return fmt.Errorf("time %s has no rate after it (found days %q)", p.timeWord, w)
	}
	if !p.dayWords {
		if !p.fresh {
			p.newClause() // days after a change start a new clause
		}
		p.days = 0
	}
	p.days |= days
	p.dayWords = true
	return nil
}

func (p *parser) timeWordOrErr(w string) error {
	if p.time >= 0 {
		return fmt.Errorf("time %s has no rate after it (found %q)", p.timeWord, w)
	}
	m, err := parseClock(w)
	if err != nil {
		return err
	}
	p.time, p.timeWord = m, w
	p.dayWords = false
	return nil
}

func (p *parser) rateWord(rate int64, w string) error {
	minute := p.time
	if minute < 0 {
		if !p.fresh {
			return fmt.Errorf("rate %s has no time before it (write a time such as 18:00 %s)", w, w)
		}
		minute = 0
	}
	for d := range 7 {
		if p.days&(1<<d) == 0 {
			continue
		}
		key := [2]int{d, minute}
		if p.set[key] {
			return fmt.Errorf("%s is given twice for %s in one clause", formatMinute(minute), dayName(time.Weekday(d)))
		}
		p.set[key] = true
		if p.table[d] == nil {
			p.table[d] = map[int]int64{}
		}
		p.table[d][minute] = rate
	}
	p.time = -1
	p.dayWords = false
	p.fresh = false
	return nil
}

// parseClock reads H:MM or HH:MM as a minute of the day.
func parseClock(w string) (int, error) {
	h, m, ok := strings.Cut(w, ":")
	hh, err1 := strconv.Atoi(h)
	mm, err2 := strconv.Atoi(m)
	if !ok || err1 != nil || err2 != nil || len(h) < 1 || len(h) > 2 || len(m) != 2 || h[0] == '+' || h[0] == '-' || m[0] == '+' || m[0] == '-' {
		return 0, fmt.Errorf("%q: want a time of day such as 08:00", w)
	}
	if hh > 23 || mm > 59 {
		return 0, fmt.Errorf("%q: want a time from 00:00 to 23:59", w)
	}
	return hh*60 + mm, nil
}

// parseRate reads "off" or a size with a unit as bytes per second (0 for
// off), with or without "/s" ("36kB/s", as 'tunesafe estimate --uplink'
// takes it). next, the word after, helps explain "2 MiB".
func parseRate(w, next string) (int64, error) {
	if strings.EqualFold(w, "off") {
		return 0, nil
	}
	if w == "" || !(w[0] >= '0' && w[0] <= '9' || w[0] == '.') {
		return 0, fmt.Errorf("%q: want days (Mon-Fri), a time (08:00) or a rate (512KiB, 2Mbit, off)", w)
	}
	if strings.TrimLeft(w, "0123456789.") == "" {
		if _, err := bytesize.ParseRate("1" + next); err == nil && next != "" && unicode.IsLetter(rune(next[0])) {
			return 0, fmt.Errorf("rate \"%s %s\": write it without a blank, as %s%s", w, next, w, next)
		}
		return 0, fmt.Errorf("rate %q has no unit (write 512KiB, 2MB or 2Mbit; a time is written 08:00)", w)
	}
	n, err := bytesize.ParseRate(w)
	if err != nil {
		if cause := errors.Unwrap(err); cause != nil {
			err = cause
		}
		return 0, fmt.Errorf("rate %s: %w", w, err)
	}
	switch {
	case n == 0:
		return 0, fmt.Errorf("rate %s is zero: write off for no limit; to pause backups, use a schedule", w)
	case n > MaxRate:
		return 0, fmt.Errorf("rate %s is above %s per second", w, formatRate(MaxRate))
	}
	return n, nil
}

// parseDays reads a day specification (package weekday) as a bit set over
// time.Weekday.
func parseDays(w string) (uint8, bool) {
	set, ok := weekday.Parse(w)
	return uint8(set), ok
}
