package agent

import (
	"time"

	"github.com/tunesafe/tunesafe/internal/schedule"
)

// horizon is how far ahead closeTime looks: past a week, every weekly
// window has shown whether it closes.
const horizon = 8 * 24 * time.Hour

// closeTime returns when windows w, open at now, close if the idle time
// and the power source stay as they are: the first minute boundary after
// now at which no window is open. It returns the zero Time if they stay
// open past the horizon ("always", or "idle 10m" while the user is away),
// since then only a change of idleness or power closes them.
//
// Holding the idle time still is the cautious guess: with "23:00-07:00,
// idle 10m" at 06:00 the pass stops cleanly at 07:00 even if the user then
// stays away, and the next pass carries on under the idle window, rather
// than running without a limit and being cut short if the user returns.
//
// Windows are made of whole minutes, so checking at minute boundaries
// finds the exact instant; schedule.Windows.Open reads the wall clock of
// t's location, so the answer is right across daylight-saving changes.
func closeTime(w schedule.Windows, now time.Time, idle time.Duration, onBattery bool) time.Time {
	t := now.Truncate(time.Minute)
	for t.Sub(now) < horizon {
		t = t.Add(time.Minute)
		if !w.Open(t, idle, onBattery) {
			return t
		}
	}
	return time.Time{}
}
