// Package retention decides which snapshots a "forget" keeps, from a policy
// in the style of restic's: keep the last N, the newest of each of the last
// N hours, days, weeks, months and years, everything within a duration, and,
// particular to music, every snapshot needed so that a track deleted or
// changed in the library stays restorable for a while ("keep deleted tracks
// for 90 days").
//
// Snapshots are grouped by host and paths; each group is judged on its own,
// so forgetting the laptop's snapshots never touches the NAS's. Checkpoints
// (partial snapshots) are kept while they are the newest of their group,
// because a backup may still be running, and forgotten once a complete
// snapshot follows them.
package retention

import (
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Policy says what to keep. The zero Policy keeps everything.
type Policy struct {
	Last, Hourly, Daily, Weekly, Monthly, Yearly int
	// Within keeps every snapshot younger than this.
	Within time.Duration
	// DeletedFor keeps a snapshot while the snapshot after it is younger
	// than this: any file deleted or changed since is then restorable for
	// that long after the change.
	DeletedFor time.Duration
}

// Empty reports whether the policy keeps everything (no rule given).
func (p Policy) Empty() bool { return p == Policy{} }

// Snapshot is what the policy needs to know of a snapshot.
type Snapshot struct {
	ID      string
	Time    time.Time
	Group   string // host and paths
	Partial bool
}

// Decision is the verdict for one snapshot.
type Decision struct {
	Snapshot
	Keep    bool
	Reasons []string
}

// Apply decides for every snapshot, evaluated at time now.
func Apply(p Policy, snaps []Snapshot, now time.Time) []Decision {
	groups := map[string][]int{}
	out := make([]Decision, len(snaps))
	for i, s := range snaps {
		out[i].Snapshot = s
		groups[s.Group] = append(groups[s.Group], i)
	}
	if p.Empty() {
		for i := range out {
			out[i].Keep = true
			out[i].Reasons = []string{"no policy"}
		}
		return out
	}
	for _, idx := range groups {
		// Newest first.
		sort.SliceStable(idx, func(a, b int) bool { return snaps[idx[a]].Time.After(snaps[idx[b]].Time) })
		applyGroup(p, snaps, idx, out, now)
	}
	return out
}

func applyGroup(p Policy, snaps []Snapshot, idx []int, out []Decision, now time.Time) {
	keep := func(i int, why string) {
		out[i].Keep = true
		out[i].Reasons = append(out[i].Reasons, why)
	}
	// A checkpoint newer than every complete snapshot may belong to a
	// running backup.
	for _, i := range idx {
		if !snaps[i].Partial {
			break
		}
		keep(i, "newest checkpoint")
	}
	var complete []int
	for _, i := range idx {
		if !snaps[i].Partial {
			complete = append(complete, i)
		}
	}
	for n, i := range complete {
		if n < p.Last {
			keep(i, fmt.Sprintf("last %d", p.Last))
		}
		if p.Within > 0 && now.Sub(snaps[i].Time) <= p.Within {
			keep(i, "within "+FormatDays(p.Within))
		}
	}
	buckets := []struct {
		n    int
		name string
		key  func(time.Time) string
	}{
		{p.Hourly, "hourly", func(t time.Time) string { return t.Format("2006-01-02 15") }},
		{p.Daily, "daily", func(t time.Time) string { return t.Format("2006-01-02") }},
		{p.Weekly, "weekly", func(t time.Time) string { y, w := t.ISOWeek(); return fmt.Sprintf("%d-%02d", y, w) }},
		{p.Monthly, "monthly", func(t time.Time) string { return t.Format("2006-01") }},
		{p.Yearly, "yearly", func(t time.Time) string { return t.Format("2006") }},
	}
	for _, b := range buckets {
		if b.n <= 0 {
			continue
		}
		seen := map[string]bool{}
		for _, i := range complete {
			k := b.key(snaps[i].Time.Local())
			if seen[k] {
				continue
			}
			seen[k] = true
			if len(seen) > b.n {
				break
			}
			keep(i, b.name)
		}
	}
	if p.DeletedFor > 0 {
		for n, i := range complete {
			if n == 0 {
				keep(i, "newest")
				continue
			}
			next := snaps[complete[n-1]].Time
			if now.Sub(next) <= p.DeletedFor {
				keep(i, "replaced within "+FormatDays(p.DeletedFor)+": may hold tracks deleted or changed since")
			}
		}
	}
}

// FormatDays writes a duration as ParseDays reads it, in years, days or
// hours when it is a whole number of them ("1y", "90d", "36h"), so that a
// reason reads as the user typed it rather than "2160h0m0s".
func FormatDays(d time.Duration) string {
	const day = 24 * time.Hour
	switch {
	case d > 0 && d%(365*day) == 0:
		return fmt.Sprintf("%dy", d/(365*day))
	case d > 0 && d%day == 0:
		return fmt.Sprintf("%dd", d/day)
	case d > 0 && d%time.Hour == 0:
		return fmt.Sprintf("%dh", d/time.Hour)
	}
	return d.String()
}

// ParseDays reads durations with a day unit as well as Go's: "90d", "2w",
// "36h". A count of days, weeks or years is a whole number; no duration is
// negative or longer than a time.Duration holds (about 292 years).
func ParseDays(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	for suffix, unit := range map[string]time.Duration{"d": 24 * time.Hour, "w": 7 * 24 * time.Hour, "y": 365 * 24 * time.Hour} {
		if num, ok := strings.CutSuffix(s, suffix); ok {
			n, err := strconv.ParseInt(num, 10, 64)
			switch {
			case errors.Is(err, strconv.ErrRange) && n > 0, err == nil && n > math.MaxInt64/int64(unit):
				return 0, fmt.Errorf("duration %q is too long", s)
			case err != nil || n < 0:
				return 0, fmt.Errorf("invalid duration %q", s)
			}
			return time.Duration(n) * unit, nil
		}
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("invalid duration %q (use e.g. 90d, 2w, 36h)", s)
	}
	return d, nil
}
