package faultrelay

import (
	"bytes"
	"crypto/rand"
	"testing"
	"time"
)

// TestLatency: with a latency set, a small exchange takes at least two
// delays (there and back), bulk data arrives intact, and connections made
// before the setting keep their old line.
func TestLatency(t *testing.T) {
	r := startRelay(t)
	before := dial(t, r)
	const lat = 30 * time.Millisecond
	r.SetLatency(lat)
	c := dial(t, r)

	for range 3 {
		start := time.Now()
		if got, err := roundTrip(c, []byte("ping")); err != nil || string(got) != "ping" {
			t.Fatalf("round trip: %q, %v", got, err)
		}
		if d := time.Since(start); d < 2*lat {
			t.Fatalf("a round trip took %v, less than twice the latency %v", d, lat)
		}
	}

	bulk := make([]byte, 4<<20)
	rand.Read(bulk)
	got, err := roundTrip(c, bulk)
	if err != nil || !bytes.Equal(got, bulk) {
		t.Fatalf("bulk through the delay line: %v", err)
	}

	// The connection made before keeps no delay: it answers while a
	// delayed exchange would still be on its way, which only shows as
	// being faster than the delay in the common case; assert only that
	// it works.
	if got, err := roundTrip(before, []byte("old line")); err != nil || string(got) != "old line" {
		t.Fatalf("old connection: %q, %v", got, err)
	}

	// A reset while data sits in the line ends the link's goroutines.
	r.SetLatency(time.Hour)
	slow := dial(t, r)
	if _, err := slow.Write([]byte("never delivered")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { return r.Stats().Active == 3 })
	r.CutAll()
	waitFor(t, func() bool { return r.Stats().Active == 0 })
}
