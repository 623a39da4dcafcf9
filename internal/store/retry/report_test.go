package retry

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tunesafe/tunesafe/internal/store"
	"github.com/tunesafe/tunesafe/internal/store/memstore"
)

// outageStore fails every call with errReset until its clock reaches
// until: a vault disk unplugged, then plugged in again.
type outageStore struct {
	store.Store
	now   func() time.Time
	until time.Time
	mu    sync.Mutex
	calls int
}

func (s *outageStore) Get(ctx context.Context, key string, offset, length int64) (_ io.ReadCloser, err error) {
	s.mu.Lock()
	s.calls++
	s.mu.Unlock()
	if s.now().Before(s.until) {
		return nil, errReset
	}
	return s.Store.Get(ctx, key, offset, length)
}

// lockedBuffer is a log's output written from many goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (w *lockedBuffer) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

// Many requests retrying through an outage of ten minutes are told in one
// line as it starts, at most one a minute while it lasts, and one when the
// storage answers again; each retry is only at debug level.
func TestReporterCollapsesAnOutage(t *testing.T) {
	c := newClock()
	var out lockedBuffer
	rep := &Reporter{Log: slog.New(slog.NewTextHandler(&out, &slog.HandlerOptions{Level: slog.LevelDebug})), Now: c.Now}
	mem := &memstore.Store{}
	ctx := t.Context()
	const requests = 40
	for i := range requests {
		mem.Put(ctx, fmt.Sprintf("blobs/%02d", i), []byte("x"))
	}
	start := c.Now()
	down := &outageStore{Store: mem, now: c.Now, until: start.Add(10 * time.Minute)}
	p := testPolicy(c, &retryLog{})
	p.MaxElapsed = -1
	// The requests wait side by side: the clock moves by a share of each
	// one's delay, once every request has failed a first time.
	var failed sync.WaitGroup
	failed.Add(requests)
	p.Sleep = func(ctx context.Context, d time.Duration) error {
		failed.Wait()
		return c.Sleep(ctx, d/requests)
	}
	p.OnRetry = func(op, key string, attempt int, err error) {
		rep.Retry(op, key, attempt, err)
		if attempt == 1 {
			failed.Done()
		}
	}
	p.OnRecover = rep.Recover
	s := Wrap(down, p)
	var wg sync.WaitGroup
	for i := range requests {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, err := s.Get(ctx, fmt.Sprintf("blobs/%02d", i), 0, -1)
			if err != nil {
				t.Error(err)
				return
			}
			r.Close()
		}()
	}
	wg.Wait()

	var warns, debugs []string
	for _, l := range strings.Split(strings.TrimSpace(out.b.String()), "\n") {
		switch {
		case strings.Contains(l, "level=WARN"):
			warns = append(warns, l)
		case strings.Contains(l, "level=DEBUG"):
			debugs = append(debugs, l)
		}
	}
	minutes := int(c.Now().Sub(start) / time.Minute)
	if len(debugs) < 2*requests {
		t.Fatalf("only %d retries: the test needs many", len(debugs))
	}
	if len(warns) < 3 || len(warns) > minutes+2 {
		t.Fatalf("%d warnings for %d retries over %d minutes, want at most %d:\n%s", len(warns), len(debugs), minutes, minutes+2, strings.Join(warns, "\n"))
	}
	if !strings.Contains(warns[0], "retrying get blobs/") || !strings.Contains(warns[0], "connection reset by peer") {
		t.Errorf("first warning: %s", warns[0])
	}
	if !strings.Contains(warns[1], "the storage has failed for ") || !strings.Contains(warns[1], " requests waited for it, retried ") {
		t.Errorf("second warning: %s", warns[1])
	}
	if last := warns[len(warns)-1]; !strings.Contains(last, "the storage answers again after 10m") || !strings.Contains(last, fmt.Sprintf("; %d requests had been retried", requests)) {
		t.Errorf("last warning: %s\n%s", last, strings.Join(warns, "\n"))
	}
}

// A retry of another cause, or soon after the storage answered again,
// is told by the next summary, a minute after the last line.
func TestReporterOutages(t *testing.T) {
	c := newClock()
	var out lockedBuffer
	rep := &Reporter{Log: slog.New(slog.NewTextHandler(&out, nil)), Now: c.Now}
	throttled := store.Transient(store.KindThrottled, fmt.Errorf("slow down"))
	rep.Retry("get", "blobs/a", 1, errReset)
	rep.Retry("get", "blobs/b", 1, errReset)
	rep.Retry("put", "blobs/c", 1, throttled)
	c.Sleep(t.Context(), 30*time.Second)
	rep.Retry("get", "blobs/a", 2, errReset)
	c.Sleep(t.Context(), 31*time.Second)
	rep.Retry("get", "blobs/b", 2, errReset)
	rep.Recover("get", "blobs/b", 2)
	rep.Recover("get", "blobs/a", 2)
	rep.Retry("get", "blobs/d", 1, errReset)
	rep.Recover("get", "blobs/d", 1) // ends before anything told of it
	c.Sleep(t.Context(), 30*time.Second)
	rep.Retry("get", "blobs/e", 1, errReset)
	c.Sleep(t.Context(), 30*time.Second)
	rep.Retry("get", "blobs/e", 2, errReset)
	rep.Retry("put", "blobs/f", 1, throttled)
	c.Sleep(t.Context(), 30*time.Second)
	rep.Recover("put", "blobs/f", 1)
	want := []string{
		"retrying get blobs/a (attempt 1)",
		"the storage has failed for 1m1s; in the last 1m1s, 2 requests waited for it, retried 3 times",
		"the storage answers again after 1m1s; 3 requests had been retried",
		"the storage has failed for 30s; in the last 1m0s, 1 request waited for it, retried 2 times",
		"the storage answers again after 1m0s; 2 requests had been retried",
	}
	lines := strings.Split(strings.TrimSpace(out.b.String()), "\n")
	if len(lines) != len(want) {
		t.Fatalf("%d lines, want %d:\n%s", len(lines), len(want), out.b.String())
	}
	for i, w := range want {
		if !strings.Contains(lines[i], w) {
			t.Errorf("line %d: %s\nwant %q in it", i+1, lines[i], w)
		}
	}
}
