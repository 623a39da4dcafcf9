package bwlimit

import (
	"bytes"
	"context"
	"errors"
	"io"
	"sync"
	"testing"
	"time"
)

// fakeLimiter returns a Limiter on a fake clock whose sleeps advance the
// clock at once, and a function returning the total fake time slept.
func fakeLimiter(bps int64) (*Limiter, func() time.Duration) {
	var mu sync.Mutex
	now := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	var slept time.Duration
	l := New(bps)
	l.now = func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		return now
	}
	l.sleep = func(ctx context.Context, d time.Duration, wake <-chan struct{}) (bool, error) {
		if err := ctx.Err(); err != nil {
			return false, err
		}
		mu.Lock()
		defer mu.Unlock()
		now = now.Add(d)
		slept += d
		return false, nil
	}
	return l, func() time.Duration {
		mu.Lock()
		defer mu.Unlock()
		return slept
	}
}

// near reports whether got is within 10ms of want: the token arithmetic is
// in float64 and rounds each wait down to the nanosecond.
func near(got, want time.Duration) bool {
	d := got - want
	return d > -10*time.Millisecond && d < 10*time.Millisecond
}

func seconds(f float64) time.Duration { return time.Duration(f * float64(time.Second)) }

func TestBurstFor(t *testing.T) {
	for _, tc := range []struct {
		bps  int64
		want int
	}{
		{0, 0},
		{-5, 0},
		{100, 100},           // one second of traffic
		{16 << 10, 16 << 10}, // one second, = MinBurst
		{36_000, 16 << 10},   // the 36 kB/s uplink: MinBurst
		{1_000_000, 100_000},
		{1 << 40, 64 << 20},
	} {
		if got := BurstFor(tc.bps); got != tc.want {
			t.Errorf("BurstFor(%d) = %d, want %d", tc.bps, got, tc.want)
		}
	}
}

func TestWaitNTokenArithmetic(t *testing.T) {
	for _, tc := range []struct {
		bps, n int64
	}{
		{36_000, 1_000_000},
		{36_000, 10_000}, // within the first bucket: no wait
		{1_000_000, 1_000_000},
		{100, 1000},
	} {
		l, slept := fakeLimiter(tc.bps)
		if err := l.WaitN(t.Context(), int(tc.n)); err != nil {
			t.Fatal(err)
		}
		// The bucket starts full; the rest comes at the rate.
		rest := max(tc.n-int64(BurstFor(tc.bps)), 0)
		want := seconds(float64(rest) / float64(tc.bps))
		if got := slept(); !near(got, want) {
			t.Errorf("%d bytes at %d B/s: waited %v, want %v", tc.n, tc.bps, got, want)
		}
	}
}

func TestBucketIsShared(t *testing.T) {
	l, slept := fakeLimiter(36_000)
	for range 4 {
		if err := l.WaitN(t.Context(), 50_000); err != nil {
			t.Fatal(err)
		}
	}
	want := seconds(float64(200_000-16<<10) / 36_000)
	if got := slept(); !near(got, want) {
		t.Errorf("4 × 50 kB on one limiter waited %v, want %v", got, want)
	}
}

func TestUnlimited(t *testing.T) {
	l, slept := fakeLimiter(0)
	if err := l.WaitN(t.Context(), 1<<30); err != nil || slept() != 0 {
		t.Errorf("unlimited WaitN: %v after %v", err, slept())
	}
	var nl *Limiter
	if err := nl.WaitN(t.Context(), 1<<30); err != nil || nl.Rate() != 0 {
		t.Errorf("nil Limiter: %v, rate %d", err, nl.Rate())
	}
	r := bytes.NewReader(nil)
	if nl.Reader(t.Context(), r) != io.Reader(r) {
		t.Error("nil Limiter wraps readers")
	}
}

// maxRead records the largest read asked of it.
type maxRead struct {
	r   io.Reader
	max int
}

func (m *maxRead) Read(p []byte) (int, error) {
	m.max = max(m.max, len(p))
	return m.r.Read(p)
}

func TestReader(t *testing.T) {
	l, slept := fakeLimiter(1_000_000)
	data := bytes.Repeat([]byte{7}, 1_000_000)
	src := &maxRead{r: bytes.NewReader(data)}
	got, err := io.ReadAll(l.Reader(t.Context(), src))
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("read %d bytes, %v", len(got), err)
	}
	if src.max > 100_000 {
		t.Errorf("read %d bytes at once from the source, more than a bucket", src.max)
	}
	if want := 900 * time.Millisecond; !near(slept(), want) {
		t.Errorf("waited %v, want %v", slept(), want)
	}
}

// maxWrite records the largest write.
type maxWrite struct {
	bytes.Buffer
	max int
}

func (m *maxWrite) Write(p []byte) (int, error) {
	m.max = max(m.max, len(p))
	return m.Buffer.Write(p)
}

func TestWriter(t *testing.T) {
	l, slept := fakeLimiter(1_000_000)
	data := bytes.Repeat([]byte{7}, 1_000_000)
	var dst maxWrite
	n, err := l.Writer(t.Context(), &dst).Write(data)
	if err != nil || n != len(data) || !bytes.Equal(dst.Bytes(), data) {
		t.Fatalf("wrote %d, %v", n, err)
	}
	if dst.max > 100_000 {
		t.Errorf("wrote %d bytes at once, more than a bucket", dst.max)
	}
	if want := 900 * time.Millisecond; !near(slept(), want) {
		t.Errorf("waited %v, want %v", slept(), want)
	}
}

func TestRateChangeMidway(t *testing.T) {
	l, slept := fakeLimiter(36_000)
	if err := l.WaitN(t.Context(), 16<<10+36_000); err != nil { // 1 s after the bucket
		t.Fatal(err)
	}
	l.SetRate(1_000_000) // a fresh, full 100 kB bucket
	if err := l.WaitN(t.Context(), 1_100_000); err != nil {
		t.Fatal(err)
	}
	if want := 2 * time.Second; !near(slept(), want) {
		t.Errorf("waited %v, want %v", slept(), want)
	}
	if l.Rate() != 1_000_000 {
		t.Errorf("Rate() = %d", l.Rate())
	}
}

// The next tests use the real clock but assert only that something
// happens long before it otherwise would.

func TestSetRateWakesWaiters(t *testing.T) {
	l := New(100) // 100 kB would take 1000 s
	done := make(chan error, 1)
	go func() { done <- l.WaitN(t.Context(), 100_000) }()
	time.Sleep(20 * time.Millisecond)
	l.SetRate(0)
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("SetRate(0) did not release a waiter")
	}
}

func TestWaitNCancel(t *testing.T) {
	l := New(100)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- l.WaitN(ctx, 100_000) }()
	time.Sleep(20 * time.Millisecond)
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("WaitN after cancel: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("cancel did not end WaitN")
	}
}

func TestReadCloserCloseEndsWait(t *testing.T) {
	l := New(100)
	rc := l.readCloser(t.Context(), io.NopCloser(bytes.NewReader(make([]byte, 1000))))
	if _, err := rc.Read(make([]byte, 100)); err != nil { // the first bucket
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := rc.Read(make([]byte, 100))
		done <- err
	}()
	time.Sleep(20 * time.Millisecond)
	rc.Close()
	select {
	case err := <-done:
		if err == nil {
			t.Error("Read after Close succeeded")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Close did not end a waiting Read")
	}
}

// Passed counts the bytes let through, limited or not, and not those of a
// wait that was given up.
func TestPassed(t *testing.T) {
	l, _ := fakeLimiter(36_000)
	w := l.Writer(context.Background(), io.Discard)
	if _, err := w.Write(make([]byte, 100_000)); err != nil {
		t.Fatal(err)
	}
	if got := l.Passed(); got != 100_000 {
		t.Fatalf("passed %d, want 100000", got)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	l.WaitN(ctx, 50_000)
	l.SetRate(0)
	l.WaitN(context.Background(), 1000)
	if got := l.Passed(); got != 101_000 {
		t.Fatalf("passed %d, want 101000", got)
	}
	if (*Limiter)(nil).Passed() != 0 {
		t.Fatal("a nil limiter counted")
	}
}
