package backup

import (
	"context"
	"errors"
	"slices"
	"sync/atomic"
	"testing"
	"time"
)

// fakeClock is a window's clock that moves only when told.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time          { return c.t }
func (c *fakeClock) advance(d time.Duration) { c.t = c.t.Add(d) }
func testWindow(max int64) (*window, *fakeClock) {
	c := &fakeClock{t: time.Unix(1_700_000_000, 0)}
	w := newWindow(max)
	w.now = c.now
	return w, c
}

// fits reports whether acquiring n bytes succeeds without waiting; the
// bytes stay acquired when it does.
func fits(t *testing.T, w *window, n int64) bool {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := w.acquire(ctx, n, nil)
	if err != nil && !errors.Is(err, context.Canceled) {
		t.Fatal(err)
	}
	return err == nil
}

const mib = 1 << 20

// A line nothing has crossed yet gets one job at a time, however small
// the pieces: a kill then loses that one alone. The job goes whatever its
// size.
func TestWindowStartsWithOneBlob(t *testing.T) {
	w, _ := testWindow(16 * mib)
	if !fits(t, w, 4*mib) {
		t.Fatal("a 4 MiB job did not go alone")
	}
	if fits(t, w, 1) {
		t.Fatal("a second job went beside a first one larger than the bound")
	}
	w.cancel(4 * mib)
	if !fits(t, w, 256<<10) {
		t.Fatal("a 256 KiB job did not go alone")
	}
	if fits(t, w, 256<<10) {
		t.Fatal("two pieces in flight before anything completed")
	}
}

// What completes within the horizon is what may be in flight next: on a
// fast line the bound doubles with every round trip, up to max.
func TestWindowGrowsWithCompletions(t *testing.T) {
	w, c := testWindow(16 * mib)
	// 1 blob, 1 completed; 1 more, 2 completed; 2 more, 4; 4, 8...
	for round, want := range []int{1, 1, 2, 4, 8, 16, 16, 16} {
		n := countFits(t, w, mib)
		if n != want {
			t.Fatalf("round %d: %d blobs of 1 MiB in flight, want %d", round, n, want)
		}
		c.advance(30 * time.Millisecond) // a round trip
		for range n {
			w.release(mib, 30*time.Millisecond)
		}
	}
}

// On a line slower than one blob per horizon the bound falls back to one
// blob, so that a kill loses only that one.
func TestWindowShrinksOnASlowLine(t *testing.T) {
	w, c := testWindow(16 * mib)
	for range 8 {
		if !fits(t, w, mib) {
			t.Fatal("a job did not fit")
		}
		c.advance(10 * time.Millisecond)
		w.release(mib, 10*time.Millisecond)
	}
	if n := countFits(t, w, mib); n != 8 {
		t.Fatalf("%d blobs fit after 8 MiB completed within the horizon, want 8", n)
	}
	w.cancel(8 * mib)
	c.advance(horizon + time.Millisecond)
	if n := countFits(t, w, mib); n != 1 {
		t.Fatalf("%d blobs fit after the horizon passed with nothing completed, want 1", n)
	}
	w.cancel(mib)
	if n := countFits(t, w, 256<<10); n != 1 {
		t.Fatalf("%d pieces of 256 KiB fit after the horizon passed with nothing completed, want 1", n)
	}
}

// On a slow line small blobs (tags, covers) share the window: as many go
// side by side as the line carried in the last horizon, and no more.
func TestWindowSmallBlobsOnASlowLine(t *testing.T) {
	w, c := testWindow(16 * mib)
	// 36 kB/s: a 72 kB blob completes after 2 s, just within the horizon.
	if !fits(t, w, 72_000) {
		t.Fatal("first job did not go")
	}
	c.advance(horizon)
	w.release(72_000, horizon)
	if n := countFits(t, w, 8_000); n != 9 {
		t.Fatalf("%d tag blobs of 8 kB fit after 72 kB completed within the horizon, want 9", n)
	}
}

func countFits(t *testing.T, w *window, n int64) int {
	t.Helper()
	k := 0
	for fits(t, w, n) {
		k++
	}
	return k
}

// A job waiting for room goes as soon as a job in flight completes, and
// gives up when its context ends.
func TestWindowWaitsForRoom(t *testing.T) {
	w, _ := testWindow(16 * mib)
	if !fits(t, w, mib) {
		t.Fatal("first job did not go")
	}
	got := make(chan error, 1)
	go func() { got <- w.acquire(context.Background(), mib, nil) }()
	select {
	case err := <-got:
		t.Fatalf("second job went while the first was in flight (%v)", err)
	case <-time.After(20 * time.Millisecond):
	}
	w.release(mib, 0)
	if err := <-got; err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithCancelCause(context.Background())
	stop := errors.New("stopped")
	go func() { got <- w.acquire(ctx, 2*mib, nil) }()
	cancel(stop)
	if err := <-got; !errors.Is(err, stop) {
		t.Fatalf("acquire after cancel = %v, want %v", err, stop)
	}
}

// A job waiting for room gives up once its stop function says so, though
// nothing in flight completes: a limit reached while a slow line carries
// one blob stops the pass now. One that finds the limit reached before it
// waits does not go either.
func TestWindowStopsWaiting(t *testing.T) {
	w, _ := testWindow(16 * mib)
	w.poll = time.Millisecond
	if !fits(t, w, mib) {
		t.Fatal("first job did not go")
	}
	var stopped atomic.Bool
	stop := func() error {
		if stopped.Load() {
			return errLimit
		}
		return nil
	}
	got := make(chan error, 1)
	go func() { got <- w.acquire(context.Background(), mib, stop) }()
	select {
	case err := <-got:
		t.Fatalf("second job went while the first was in flight (%v)", err)
	case <-time.After(20 * time.Millisecond):
	}
	stopped.Store(true)
	if err := <-got; !errors.Is(err, errLimit) {
		t.Fatalf("acquire after stop = %v, want errLimit", err)
	}
	w.release(mib, 0)
	if err := w.acquire(context.Background(), mib, stop); !errors.Is(err, errLimit) {
		t.Fatalf("acquire with an empty window after stop = %v, want errLimit", err)
	}
	if w.used != 0 {
		t.Fatalf("a stopped acquire left %d bytes acquired", w.used)
	}
}

// idle returns once nothing is in flight.
func TestWindowIdle(t *testing.T) {
	w, _ := testWindow(16 * mib)
	if !fits(t, w, mib) {
		t.Fatal("first job did not go")
	}
	got := make(chan error, 1)
	go func() { got <- w.idle(context.Background()) }()
	select {
	case err := <-got:
		t.Fatalf("idle returned with a job in flight (%v)", err)
	case <-time.After(20 * time.Millisecond):
	}
	w.release(mib, 0)
	if err := <-got; err != nil {
		t.Fatal(err)
	}
}

// A piece that took longer than the horizon counts for the share of it
// within the horizon: after a 600 kB piece that took 17 s at 36 kB/s, the
// next two pieces of 250 kB go one at a time, not side by side (both
// would be lost to a kill, and sent again).
func TestWindowLongUploadCountsItsRate(t *testing.T) {
	w, c := testWindow(16 * mib)
	if !fits(t, w, 600_000) {
		t.Fatal("first job did not go")
	}
	c.advance(17 * time.Second)
	w.release(600_000, 17*time.Second)
	if n := countFits(t, w, 250_000); n != 1 {
		t.Fatalf("%d pieces of 250 kB fit after a 600 kB piece took 17 s, want 1", n)
	}
	w.cancel(250_000)
	if n := countFits(t, w, 10_000); n != 7 {
		t.Fatalf("%d tag blobs of 10 kB fit after a 600 kB piece took 17 s, want 7 (70 kB: 2 s at its rate)", n)
	}
}

// On a line many uploads share, the bound settles where the line carries
// the window in about the horizon: a line of 1 MiB/s carrying pieces of
// 1 MiB keeps about two in flight, each taking about 2 s, and stays busy.
func TestWindowSharedLineSettles(t *testing.T) {
	w, c := testWindow(64 * mib)
	type job struct {
		left    float64 // bytes still to send
		started time.Time
	}
	var flying []*job
	const step = 10 * time.Millisecond
	const rate = float64(mib) // bytes per second, shared by the jobs in flight
	var sent float64
	var inFlight []int
	for i := range 6000 { // 60 s
		for fits(t, w, mib) {
			flying = append(flying, &job{left: mib, started: c.t})
		}
		c.advance(step)
		share := rate * step.Seconds() / float64(len(flying))
		var still []*job
		for _, j := range flying {
			j.left -= share
			sent += share
			if j.left > 0 {
				still = append(still, j)
				continue
			}
			w.release(mib, c.t.Sub(j.started))
		}
		flying = still
		if i >= 3000 {
			inFlight = append(inFlight, len(flying))
		}
	}
	most := slices.Max(inFlight)
	if most < 2 || most > 4 {
		t.Errorf("at most %d pieces in flight in the last 30 s, want 2 to 4 (about 2 s of the line)", most)
	}
	if sent < 0.99*rate*60 {
		t.Errorf("the line carried %.0f bytes in 60 s, want it busy (%.0f)", sent, rate*60)
	}
}
