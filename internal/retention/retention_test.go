package retention

import (
	"fmt"
	"slices"
	"testing"
	"time"
)

var now = time.Date(2026, 11, 24, 12, 0, 0, 0, time.Local)

// daily makes one snapshot a day for n days, newest yesterday.
func daily(n int, group string) []Snapshot {
	var s []Snapshot
	for i := n; i >= 1; i-- {
		s = append(s, Snapshot{ID: fmt.Sprintf("%s-%03d", group, i), Time: now.AddDate(0, 0, -i), Group: group})
	}
	return s
}

func kept(ds []Decision) map[string]bool {
	m := map[string]bool{}
	for _, d := range ds {
		if d.Keep {
			m[d.ID] = true
		}
	}
	return m
}

func TestEmptyPolicyKeepsAll(t *testing.T) {
	ds := Apply(Policy{}, daily(10, "a"), now)
	if len(kept(ds)) != 10 {
		t.Fatal("empty policy forgot snapshots")
	}
}

func TestLastAndDaily(t *testing.T) {
	s := daily(30, "a")
	k := kept(Apply(Policy{Last: 3}, s, now))
	if len(k) != 3 || !k["a-001"] || !k["a-003"] || k["a-004"] {
		t.Fatalf("last 3 kept %v", k)
	}
	k = kept(Apply(Policy{Daily: 7, Monthly: 2}, s, now))
	// 7 days, plus the newest of the month(s) not already covered.
	for i := 1; i <= 7; i++ {
		if !k[fmt.Sprintf("a-%03d", i)] {
			t.Fatalf("daily: day %d forgotten", i)
		}
	}
	if len(k) < 7 || len(k) > 9 {
		t.Fatalf("daily 7 monthly 2 kept %d: %v", len(k), k)
	}
}

func TestGroupsAreIndependent(t *testing.T) {
	s := append(daily(5, "laptop"), daily(5, "nas")...)
	k := kept(Apply(Policy{Last: 1}, s, now))
	if len(k) != 2 || !k["laptop-001"] || !k["nas-001"] {
		t.Fatalf("kept %v", k)
	}
}

func TestNewestCheckpointKept(t *testing.T) {
	s := daily(5, "a")
	s = append(s, Snapshot{ID: "cp-new", Time: now.Add(-time.Hour), Group: "a", Partial: true})
	s = append(s, Snapshot{ID: "cp-old", Time: now.AddDate(0, 0, -3).Add(time.Hour), Group: "a", Partial: true})
	k := kept(Apply(Policy{Last: 1}, s, now))
	if !k["cp-new"] || k["cp-old"] || !k["a-001"] || len(k) != 2 {
		t.Fatalf("kept %v", k)
	}
}

func TestDeletedFor(t *testing.T) {
	s := daily(100, "a")
	ds := Apply(Policy{DeletedFor: 10 * 24 * time.Hour}, s, now)
	k := kept(ds)
	// a-011's successor a-010 is 10 days old: kept; a-012's successor is 11 days old.
	if !k["a-011"] || k["a-012"] || !k["a-001"] {
		t.Fatalf("kept %v", k)
	}
	// The reason says what the rule knows: when the snapshot was
	// replaced, not that it holds anything deleted.
	for _, d := range ds {
		if d.ID == "a-011" && !slices.Equal(d.Reasons, []string{"replaced within 10d: may hold tracks deleted or changed since"}) {
			t.Errorf("a-011 kept for %q", d.Reasons)
		}
	}
}

func TestParseDays(t *testing.T) {
	for in, want := range map[string]time.Duration{"90d": 90 * 24 * time.Hour, "2w": 14 * 24 * time.Hour, "36h": 36 * time.Hour, "1y": 365 * 24 * time.Hour} {
		if got, err := ParseDays(in); err != nil || got != want {
			t.Errorf("ParseDays(%q) = %v, %v", in, got, err)
		}
	}
	for _, bad := range []string{"", "d", "-3d", "3x"} {
		if _, err := ParseDays(bad); err == nil {
			t.Errorf("ParseDays(%q) accepted", bad)
		}
	}
}

// FormatDays writes what ParseDays reads back, in the unit a user writes.
func TestFormatDays(t *testing.T) {
	for in, want := range map[string]string{"90d": "90d", "1y": "1y", "730d": "2y", "2w": "14d", "36h": "36h", "90m": "1h30m0s"} {
		d, err := ParseDays(in)
		if err != nil {
			t.Fatal(err)
		}
		got := FormatDays(d)
		if got != want {
			t.Errorf("FormatDays(ParseDays(%q)) = %q, want %q", in, got, want)
		}
		if back, err := ParseDays(got); err != nil || back != d {
			t.Errorf("ParseDays(%q) = %v, %v; want %v", got, back, err, d)
		}
	}
}
