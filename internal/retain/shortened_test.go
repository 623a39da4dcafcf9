package retain

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/tunesafe/tunesafe/internal/s3test"
)

// cutShort reports key retained only until short, as after someone with
// the governance bypass shortened it, until the retention is extended.
type cutShort struct {
	Retainer
	key   string
	short time.Time
	mu    sync.Mutex
	fixed bool
}

func (c *cutShort) Retention(ctx context.Context, key string) (string, time.Time, error) {
	c.mu.Lock()
	fixed := c.fixed
	c.mu.Unlock()
	if key == c.key && !fixed {
		return "GOVERNANCE", c.short, nil
	}
	return c.Retainer.Retention(ctx, key)
}

func (c *cutShort) ExtendRetention(ctx context.Context, key, mode string, until time.Time) error {
	err := c.Retainer.ExtendRetention(ctx, key, mode, until)
	if key == c.key && err == nil {
		c.mu.Lock()
		c.fixed = true
		c.mu.Unlock()
	}
	return err
}

// A recheck that finds a retention shorter than this computer recorded
// reports it and extends it again, even when what is left is above the
// threshold.
func TestRecheckReportsShortenedRetention(t *testing.T) {
	srv := s3test.Servers(t)[0]
	ctx := t.Context()
	f := newFixture(t, srv)
	r := f.retainer(t)
	start := time.Now()
	if _, err := Run(ctx, f.v, r, Options{Cache: f.cache}); err != nil {
		t.Fatal(err)
	}
	key := f.needed[len(f.needed)-1]
	_, recorded := f.retention(t, key)
	short := recorded.Add(-time.Hour) // still above half the day: no routine extension
	cut := &cutShort{Retainer: r, key: key, short: short}
	r.reset()

	// A routine pass trusts the cache and asks nothing.
	res, err := Run(ctx, f.v, cut, Options{Cache: f.cache, Now: func() time.Time { return start }})
	if err != nil || len(res.Shortened) != 0 || res.Checked != 0 {
		t.Fatalf("routine pass: %+v, %v", res, err)
	}
	res, err = Run(ctx, f.v, cut, Options{Cache: f.cache, Recheck: true, Now: func() time.Time { return start }})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Shortened) != 1 || res.Shortened[0].Key != key || !res.Shortened[0].Recorded.Equal(recorded) || !res.Shortened[0].Found.Equal(short) {
		t.Fatalf("recheck: shortened %+v, want %s recorded %v found %v", res.Shortened, key, recorded, short)
	}
	if res.Extended != 1 || r.puts[key] != 1 {
		t.Fatalf("recheck extended %d (%v), want %s extended again", res.Extended, r.puts, key)
	}
	res, err = Run(ctx, f.v, cut, Options{Cache: f.cache, Recheck: true, Now: func() time.Time { return start }})
	if err != nil || len(res.Shortened) != 0 {
		t.Fatalf("recheck after the extension: %+v, %v", res.Shortened, err)
	}
}
