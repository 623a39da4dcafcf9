package bwlimit

import (
	"context"
	"strings"
	"testing"
	"time"
)

const weekdays = "Mon-Fri 08:00 256KiB; 18:00 2MiB; 23:00 off; Sat-Sun off"

func mustParse(t *testing.T, s string) Timetable {
	t.Helper()
	tt, err := ParseTimetable(s)
	if err != nil {
		t.Fatal(err)
	}
	return tt
}

// at returns a time in the week of Monday 2026-11-23, in UTC.
func at(day time.Weekday, hhmm string) time.Time {
	m, err := parseClock(hhmm)
	if err != nil {
		panic(err)
	}
	offset := (int(day) + 6) % 7 // days since Monday
	return time.Date(2026, 11, 23+offset, m/60, m%60, 0, 0, time.UTC)
}

func TestParseCanonical(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"36KB", "36kB"},
		{"36kB", "36kB"},
		{"off", "off"},
		{"OFF", "off"},
		{"2Mbit", "250kB"},
		{"512KiB", "512KiB"},
		{"1.5MiB", "1536KiB"},
		{"36kB/s", "36kB"},
		{"36KiB/s", "36KiB"},
		{"Mon-Fri 08:00 256KiB/s; 23:00 off", "Mon-Fri 08:00 256KiB 23:00 off"},
		{"08:00,512KiB 18:00,2MiB 23:00,off", "08:00 512KiB 18:00 2MiB 23:00 off"},
		{"8:00 512KiB; 18:00 2MiB; 23:00 off", "08:00 512KiB 18:00 2MiB 23:00 off"},
		{weekdays, "Mon-Fri 08:00 256KiB 18:00 2MiB 23:00 off; Sat-Sun off"},
		{"Mon-Fri 08:00 256KiB 18:00 2MiB 23:00 off Sat-Sun off", "Mon-Fri 08:00 256KiB 18:00 2MiB 23:00 off; Sat-Sun off"},
		{"weekdays 08:00 256KiB 23:00 off; weekend off", "Mon-Fri 08:00 256KiB 23:00 off; Sat-Sun off"},
		{"Mon-08:00,512KiB Fri-18:00,off", "Mon 08:00 512KiB; Fri 18:00 off"},
		{"monday-friday-08:00,1MB", "1MB"}, // the only rate there is
		{"512KiB; Sat-Sun off", "Mon-Fri 512KiB; Sat-Sun off"},
		{"Fri-Mon 09:00 1MB 17:00 off", "Mon 09:00 1MB 17:00 off; Fri-Sun 09:00 1MB 17:00 off"},
		{"Mon Wed 10:00 1MB 11:00 off", "Mon 10:00 1MB 11:00 off; Wed 10:00 1MB 11:00 off"},
		{"daily 00:00 1MB 12:00 2MB", "00:00 1MB 12:00 2MB"},
		{"Mon-Fri 1MB 08:00 2MB", "Mon-Fri 00:00 1MB 08:00 2MB"},
		{"  08:00 , 1MB ;; 09:00, 2MB  ", "08:00 1MB 09:00 2MB"},
		{"10:00 1MB; 10:00 2MB", "2MB"}, // a later clause wins
		{"10:00 1MB 12:00 3MB; 10:00 2MB", "10:00 2MB 12:00 3MB"},
	} {
		tt, err := ParseTimetable(tc.in)
		if err != nil {
			t.Errorf("ParseTimetable(%q): %v", tc.in, err)
			continue
		}
		if got := tt.String(); got != tc.want {
			t.Errorf("ParseTimetable(%q).String() = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", "empty"},
		{"   ", "empty"},
		{"2 MiB", "without a blank, as 2MiB"},
		{"36", "has no unit"},
		{"0800 1MB", "has no unit"},
		{"0B", "is zero: write off"},
		{"0.1B", "is zero"},
		{"2TiB", "above 1TiB"},
		{"08:00", "time 08:00 has no rate after it"},
		{"08:00 Mon", "time 08:00 has no rate after it"},
		{"08:00 09:00 1MB", "time 08:00 has no rate after it"},
		{"Mon-Fri", "days \"Mon-Fri\" have no rate after them"},
		{"Mon-Fri; 1MB", "days \"Mon-Fri\" have no rate after them"},
		{"08:00 1MB 2MB", "rate 2MB has no time before it"},
		{"08:00 1MB 08:00 2MB", "08:00 is given twice"},
		{"24:00 1MB", "from 00:00 to 23:59"},
		{"08:60 1MB", "from 00:00 to 23:59"},
		{"8h 1MB", "unknown unit"},
		{"fast", "want days (Mon-Fri), a time (08:00) or a rate"},
		{"08:0 1MB", "want a time of day such as 08:00"},
		{"-1:00 1MB", "want a time of day"},
		{"Mo-Fr 1MB", "want days"},
		{"Mon-Foo 1MB", "want a time of day"},
		{"5 parsecs", "has no unit"},
		{"5XB", "unknown unit"},
	} {
		_, err := ParseTimetable(tc.in)
		if err == nil {
			t.Errorf("ParseTimetable(%q) succeeded", tc.in)
			continue
		}
		if !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ParseTimetable(%q): %q, want it to contain %q", tc.in, err, tc.want)
		}
		if !strings.HasPrefix(err.Error(), "bandwidth timetable ") {
			t.Errorf("error %q lacks context", err)
		}
	}
}

func TestRateAt(t *testing.T) {
	tt := mustParse(t, weekdays)
	for _, tc := range []struct {
		day  time.Weekday
		hhmm string
		want int64
	}{
		{time.Monday, "00:00", 0}, // since Friday 23:00
		{time.Monday, "07:59", 0},
		{time.Monday, "08:00", 256 << 10},
		{time.Monday, "17:59", 256 << 10},
		{time.Monday, "18:00", 2 << 20},
		{time.Monday, "22:59", 2 << 20},
		{time.Monday, "23:00", 0},
		{time.Tuesday, "03:00", 0},
		{time.Friday, "12:00", 256 << 10},
		{time.Saturday, "12:00", 0},
		{time.Sunday, "23:59", 0},
	} {
		rate, off := tt.RateAt(at(tc.day, tc.hhmm))
		if rate != tc.want || off != (tc.want == 0) {
			t.Errorf("%s %s: rate %d off %v, want %d", tc.day, tc.hhmm, rate, off, tc.want)
		}
	}

	night := mustParse(t, "08:00,512KiB 23:00,off")
	if r, _ := night.RateAt(at(time.Wednesday, "02:00")); r != 0 {
		t.Errorf("02:00 after 23:00,off: rate %d, want off", r)
	}
	if r, off := (Timetable{}).RateAt(time.Now()); r != 0 || !off {
		t.Error("the zero Timetable limits")
	}
	if r, _ := Constant(36_000).RateAt(time.Now()); r != 36_000 {
		t.Errorf("Constant(36000) rate %d", r)
	}
	// Lone day: the cycle wraps round the whole week.
	mon := mustParse(t, "Mon 10:00 1MB; Thu 10:00 off")
	if r, _ := mon.RateAt(at(time.Monday, "09:00")); r != 0 {
		t.Errorf("Monday 09:00: %d, want off (since Thursday)", r)
	}
	if r, _ := mon.RateAt(at(time.Wednesday, "09:00")); r != 1e6 {
		t.Errorf("Wednesday 09:00: %d, want 1MB (since Monday)", r)
	}
}

func TestNextChange(t *testing.T) {
	tt := mustParse(t, weekdays)
	for _, tc := range []struct {
		fromDay time.Weekday
		from    string
		wantDay time.Weekday
		want    string
	}{
		{time.Monday, "07:00", time.Monday, "08:00"},
		{time.Monday, "08:00", time.Monday, "18:00"},
		{time.Monday, "23:30", time.Tuesday, "08:00"},
		// Saturday and Sunday 00:00 keep "off": not changes.
		{time.Friday, "23:00", time.Monday, "08:00"},
		{time.Sunday, "12:00", time.Monday, "08:00"},
	} {
		from := at(tc.fromDay, tc.from)
		want := at(tc.wantDay, tc.want)
		if tc.wantDay == time.Monday && tc.fromDay != time.Monday {
			want = want.AddDate(0, 0, 7)
		}
		if got := tt.NextChange(from); !got.Equal(want) {
			t.Errorf("NextChange(%s %s) = %v, want %v", tc.fromDay, tc.from, got, want)
		}
	}
	if got := Constant(1000).NextChange(time.Now()); !got.IsZero() {
		t.Errorf("a constant timetable changes at %v", got)
	}
	if got := mustParse(t, "Mon 1MB; Thu 1MB").NextChange(time.Now()); !got.IsZero() {
		t.Errorf("a timetable with one rate changes at %v", got)
	}
	// Seconds: a change at 08:00 seen from 07:59:59.5.
	from := at(time.Monday, "07:59").Add(59500 * time.Millisecond)
	if got := tt.NextChange(from); !got.Equal(at(time.Monday, "08:00")) {
		t.Errorf("NextChange(07:59:59.5) = %v", got)
	}
}

func TestNextChangeDST(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Skip("no time zone database")
	}
	// 2026-03-29: clocks go from 02:00 to 03:00; 02:30 does not exist.
	tt := mustParse(t, "02:30 1MB; 12:00 off")
	from := time.Date(2026, 3, 29, 1, 0, 0, 0, berlin)
	got := tt.NextChange(from)
	if want := time.Date(2026, 3, 29, 3, 0, 0, 0, berlin); !got.Equal(want) {
		t.Errorf("NextChange across the spring jump = %v, want %v", got, want)
	}
	if r, _ := tt.RateAt(got); r != 1e6 {
		t.Errorf("rate at %v = %d", got, r)
	}
	// Autumn: 02:30 happens twice; the first one counts.
	from = time.Date(2026, 10, 25, 1, 0, 0, 0, berlin)
	got = tt.NextChange(from)
	if got.Sub(from) != 90*time.Minute {
		t.Errorf("NextChange across the autumn jump = %v, %v after %v", got, got.Sub(from), from)
	}
}

func TestFollow(t *testing.T) {
	tt := mustParse(t, "08:00,512KiB 18:00,2MiB 23:00,off")
	now := at(time.Monday, "07:59").Add(30 * time.Second)
	end := at(time.Tuesday, "09:00")
	l := New(12345)
	type step struct {
		at   time.Time
		rate int64
	}
	var seen []step
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	sleep := func(ctx context.Context, d time.Duration) error {
		if d <= 0 || d > recheck {
			t.Fatalf("Follow slept %v", d)
		}
		if len(seen) == 0 || seen[len(seen)-1].rate != l.Rate() {
			seen = append(seen, step{now, l.Rate()})
		}
		now = now.Add(d)
		if now.After(end) {
			cancel()
		}
		return ctx.Err()
	}
	follow(ctx, l, tt, func() time.Time { return now }, sleep)
	want := []step{
		{at(time.Monday, "07:59").Add(30 * time.Second), 0},
		{at(time.Monday, "08:00"), 512 << 10},
		{at(time.Monday, "18:00"), 2 << 20},
		{at(time.Monday, "23:00"), 0},
		{at(time.Tuesday, "08:00"), 512 << 10},
	}
	if len(seen) != len(want) {
		t.Fatalf("rates %v, want %v", seen, want)
	}
	for i := range want {
		if !seen[i].at.Equal(want[i].at) || seen[i].rate != want[i].rate {
			t.Errorf("step %d: %v at %v, want %v at %v", i, seen[i].rate, seen[i].at, want[i].rate, want[i].at)
		}
	}
}

func TestFollowStopsOnCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	l := New(0)
	done := make(chan struct{})
	go func() {
		Follow(ctx, l, Constant(36_000))
		close(done)
	}()
	cancel()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Follow did not return after cancel")
	}
	if l.Rate() != 36_000 {
		t.Errorf("Follow set rate %d", l.Rate())
	}
}
