package backup

import (
	"sync/atomic"
	"testing"
	"time"
)

// The time a window was busy leaves out the time nothing was in flight
// (the scan, the readers between files) and what was in flight after the
// last upload completed (uploads cancelled with the pass): the bytes of
// the completed uploads over it are the line's rate. The bytes in flight
// are mirrored for the progress.
func TestWindowBusyTime(t *testing.T) {
	w, c := testWindow(16 * mib)
	var inFlight atomic.Int64
	w.inFlight = &inFlight
	c.advance(time.Minute) // scanning: idle
	if !fits(t, w, mib) || inFlight.Load() != mib {
		t.Fatalf("one blob in flight: mirror %d", inFlight.Load())
	}
	c.advance(30 * time.Second)
	w.release(mib, 0)
	c.advance(10 * time.Second) // reading the next file: idle
	if !fits(t, w, mib) {
		t.Fatal("a blob did not go on an idle line")
	}
	c.advance(20 * time.Second)
	w.release(mib, 0)
	if !fits(t, w, mib) {
		t.Fatal("a blob did not go on an idle line")
	}
	c.advance(15 * time.Second) // cancelled before it completed
	w.cancel(mib)
	if got := w.busyTime(); got != 50*time.Second || inFlight.Load() != 0 {
		t.Fatalf("busy %v, in flight %d; want 50s and 0", got, inFlight.Load())
	}
}
