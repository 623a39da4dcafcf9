package schedule

import (
	"strings"
	"testing"
	"time"
)

// at returns a time in the week of Monday 2026-11-23, in UTC.
func at(day time.Weekday, hhmm string) time.Time {
	m, err := parseClock(hhmm)
	if err != nil {
		panic(err)
	}
	offset := (int(day) + 6) % 7
	return time.Date(2026, 11, 23+offset, 0, m, 0, 0, time.UTC)
}

func mustParse(t *testing.T, s string) Windows {
	t.Helper()
	w, err := ParseWindows(s)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func TestParseCanonical(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"always", "always"},
		{"ALWAYS", "always"},
		{"daily", "always"},
		{"23:00-07:00", "23:00-07:00"},
		{"23:00-7:00", "23:00-07:00"},
		{"Mon-Fri 09:00-17:00", "Mon-Fri 09:00-17:00"},
		{"weekdays 09:00-17:00", "Mon-Fri 09:00-17:00"},
		{"idle 10m", "idle 10m"},
		{"idle 1h30m", "idle 1h30m"},
		{"idle 90m", "idle 1h30m"},
		{"idle 60m", "idle 1h"},
		{"idle 90s", "idle 1m30s"},
		{"Sat-Sun", "Sat-Sun"},
		{"Fri-Mon", "Mon Fri-Sun"},
		{"Mon Wed Fri 22:00-00:00", "Mon Wed Fri 22:00-24:00"},
		{"23:00-07:00 ac, idle 15m ac", "23:00-07:00 ac, idle 15m ac"},
		{"23:00-07:00; idle 10m", "23:00-07:00, idle 10m"},
		{"always ac", "ac"},
		{"23:00-07:00, always", "always"},
		{"  Mon-Fri   09:00-17:00 , ", "Mon-Fri 09:00-17:00"},
	} {
		w, err := ParseWindows(tc.in)
		if err != nil {
			t.Errorf("ParseWindows(%q): %v", tc.in, err)
			continue
		}
		if got := w.String(); got != tc.want {
			t.Errorf("ParseWindows(%q).String() = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", "empty"},
		{" , ", "no windows"},
		{"sometimes", "want days (Mon-Fri), a time range"},
		{"09:00", "want a time range such as 23:00-07:00"},
		{"09:00-", "want a time of day"},
		{"09:00-25:00", "from 00:00 to 24:00"},
		{"24:00-07:00", "cannot start at 24:00"},
		{"09:00-09:00", "empty or the whole day"},
		{"00:00-24:00", "empty or the whole day"},
		{"09:00-12:00 14:00-17:00", "one time range"},
		{"idle", "idle needs a duration"},
		{"idle ten", "want a duration"},
		{"idle 10s", "want from 1m to 24h"},
		{"idle 10m idle 20m", "idle is given twice"},
		{"Mo-Fr 09:00-17:00", "\"Mo-Fr\""},
	} {
		_, err := ParseWindows(tc.in)
		if err == nil {
			t.Errorf("ParseWindows(%q) succeeded", tc.in)
			continue
		}
		if !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "schedule ") {
			t.Errorf("ParseWindows(%q): %q, want it to contain %q", tc.in, err, tc.want)
		}
	}
}

func TestOpen(t *testing.T) {
	type check struct {
		day       time.Weekday
		hhmm      string
		idle      time.Duration
		onBattery bool
		want      bool
	}
	for _, tc := range []struct {
		spec   string
		checks []check
	}{
		{"always", []check{{time.Monday, "12:00", 0, true, true}}},
		{"23:00-07:00", []check{
			{time.Monday, "22:59", 0, false, false},
			{time.Monday, "23:00", 0, false, true},
			{time.Tuesday, "00:00", 0, false, true},
			{time.Tuesday, "06:59", 0, false, true},
			{time.Tuesday, "07:00", 0, false, false},
		}},
		{"Fri 23:00-07:00", []check{
			{time.Friday, "23:30", 0, false, true},
			{time.Saturday, "06:00", 0, false, true}, // belongs to Friday
			{time.Saturday, "23:30", 0, false, false},
			{time.Friday, "06:00", 0, false, false}, // Thursday's night is not in it
		}},
		{"Mon-Fri 09:00-17:00", []check{
			{time.Wednesday, "09:00", 0, false, true},
			{time.Wednesday, "16:59", 0, false, true},
			{time.Wednesday, "17:00", 0, false, false},
			{time.Saturday, "12:00", 0, false, false},
		}},
		{"22:00-24:00", []check{
			{time.Sunday, "23:59", 0, false, true},
			{time.Monday, "00:00", 0, false, false},
		}},
		{"Sat-Sun", []check{
			{time.Saturday, "00:00", 0, false, true},
			{time.Sunday, "23:59", 0, false, true},
			{time.Monday, "00:00", 0, false, false},
		}},
		{"idle 10m", []check{
			{time.Monday, "12:00", 9 * time.Minute, false, false},
			{time.Monday, "12:00", 10 * time.Minute, false, true},
			{time.Monday, "12:00", time.Hour, true, true},
		}},
		{"23:00-07:00 ac, idle 15m ac", []check{
			{time.Monday, "23:30", 0, false, true},
			{time.Monday, "23:30", 0, true, false},
			{time.Monday, "12:00", 20 * time.Minute, false, true},
			{time.Monday, "12:00", 20 * time.Minute, true, false},
			{time.Monday, "12:00", 5 * time.Minute, false, false},
		}},
		{"Mon-Fri 09:00-17:00 idle 5m", []check{
			{time.Monday, "10:00", 5 * time.Minute, false, true},
			{time.Monday, "10:00", time.Minute, false, false},
			{time.Monday, "18:00", time.Hour, false, false},
		}},
	} {
		w := mustParse(t, tc.spec)
		for _, c := range tc.checks {
			if got := w.Open(at(c.day, c.hhmm), c.idle, c.onBattery); got != c.want {
				t.Errorf("%q at %s %s, idle %v, battery %v: open %v, want %v", tc.spec, c.day, c.hhmm, c.idle, c.onBattery, got, c.want)
			}
		}
	}
	if !(Windows{}).Open(time.Now(), 0, true) {
		t.Error("the zero Windows is not open")
	}
}

func TestNextOpen(t *testing.T) {
	for _, tc := range []struct {
		spec     string
		fromDay  time.Weekday
		from     string
		wantDay  time.Weekday
		want     string
		nextWeek bool
	}{
		{"23:00-07:00", time.Monday, "12:00", time.Monday, "23:00", false},
		{"23:00-07:00", time.Monday, "23:30", time.Monday, "23:30", false}, // open now
		{"23:00-07:00", time.Tuesday, "03:00", time.Tuesday, "03:00", false},
		{"Mon-Fri 09:00-17:00", time.Friday, "17:00", time.Monday, "09:00", true},
		{"Mon-Fri 09:00-17:00", time.Wednesday, "08:00", time.Wednesday, "09:00", false},
		{"Sat-Sun", time.Wednesday, "08:00", time.Saturday, "00:00", false},
		{"Mon 10:00-11:00", time.Monday, "11:00", time.Monday, "10:00", true},
		{"Mon-Fri 09:00-17:00, Sat 12:00-13:00", time.Friday, "18:00", time.Saturday, "12:00", false},
		{"idle 10m", time.Monday, "12:00", time.Monday, "12:00", false}, // the clock allows it
	} {
		w := mustParse(t, tc.spec)
		from := at(tc.fromDay, tc.from)
		want := at(tc.wantDay, tc.want)
		if tc.nextWeek {
			want = want.AddDate(0, 0, 7)
		}
		if got := w.NextOpen(from); !got.Equal(want) {
			t.Errorf("%q NextOpen(%s %s) = %v, want %v", tc.spec, tc.fromDay, tc.from, got, want)
		}
	}
}

func TestNextOpenDST(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Skip("no time zone database")
	}
	w := mustParse(t, "02:30-04:00")
	// 2026-03-29: 02:00 becomes 03:00, so the window opens at the jump.
	got := w.NextOpen(time.Date(2026, 3, 29, 1, 0, 0, 0, berlin))
	if want := time.Date(2026, 3, 29, 3, 0, 0, 0, berlin); !got.Equal(want) {
		t.Errorf("NextOpen across the spring jump = %v, want %v", got, want)
	}
	if !w.Open(got, 0, false) {
		t.Error("not open at NextOpen")
	}
}

func TestNeeds(t *testing.T) {
	for _, tc := range []struct {
		spec        string
		idle, power bool
	}{
		{"always", false, false},
		{"23:00-07:00", false, false},
		{"23:00-07:00, idle 10m", true, false},
		{"23:00-07:00 ac", false, true},
		{"idle 5m ac", true, true},
	} {
		w := mustParse(t, tc.spec)
		if w.NeedsIdle() != tc.idle || w.NeedsPower() != tc.power {
			t.Errorf("%q: NeedsIdle %v NeedsPower %v", tc.spec, w.NeedsIdle(), w.NeedsPower())
		}
	}
}
