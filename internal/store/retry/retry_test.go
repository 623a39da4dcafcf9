package retry

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tunesafe/tunesafe/internal/store"
	"github.com/tunesafe/tunesafe/internal/store/memstore"
	"github.com/tunesafe/tunesafe/internal/store/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		return Wrap(new(memstore.Store), Policy{})
	})
}

func TestPutRetriesTransient(t *testing.T) {
	f, c, l := newFake(), newClock(), &retryLog{}
	f.fail["put"] = 3
	s := Wrap(f, testPolicy(c, l))
	if err := s.Put(t.Context(), "k", []byte("v")); err != nil {
		t.Fatal(err)
	}
	if got := f.count("put"); got != 4 {
		t.Errorf("next.Put called %d times, want 4", got)
	}
	if want := []int{1, 2, 3}; !equal(l.nums, want) {
		t.Errorf("OnRetry attempts %v, want %v", l.nums, want)
	}
	if l.calls[0] != "put k" {
		t.Errorf("OnRetry got %q, want \"put k\"", l.calls[0])
	}
	want := []time.Duration{500*time.Millisecond - 1, time.Second - 1, 2*time.Second - 1}
	if !equal(c.sleeps, want) {
		t.Errorf("slept %v, want %v", c.sleeps, want)
	}
	if string(f.objects["k"]) != "v" {
		t.Error("object not stored")
	}
}

func TestNotRetried(t *testing.T) {
	perm := store.Permanent(store.KindCredentials, errors.New("invalid access key"))
	plain := errors.New("unclassified")
	for _, tc := range []struct {
		name string
		err  error
	}{
		{"permanent", perm},
		{"unclassified", plain},
		{"not found", store.NotFound("k")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, c, l := newFake(), newClock(), &retryLog{}
			f.fail["put"], f.fail["stat"] = 5, 5
			f.failErr = tc.err
			s := Wrap(f, testPolicy(c, l))
			if err := s.Put(t.Context(), "k", nil); err != tc.err {
				t.Errorf("Put returned %v, want the store's error unchanged", err)
			}
			if _, err := s.Stat(t.Context(), "k"); err != tc.err {
				t.Errorf("Stat returned %v, want the store's error unchanged", err)
			}
			if f.count("put") != 1 || f.count("stat") != 1 || len(c.sleeps) != 0 || len(l.nums) != 0 {
				t.Errorf("retried: calls %v, sleeps %v", f.calls, c.sleeps)
			}
		})
	}
}

func TestGetMissingNotRetried(t *testing.T) {
	f, c, l := newFake(), newClock(), &retryLog{}
	s := Wrap(f, testPolicy(c, l))
	_, err := s.Get(t.Context(), "missing", 0, -1)
	if !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Get of a missing key: %v, want fs.ErrNotExist", err)
	}
	if f.count("get") != 1 {
		t.Errorf("Get called %d times", f.count("get"))
	}
}

func TestGiveUpAfterMaxElapsed(t *testing.T) {
	f, c, l := newFake(), newClock(), &retryLog{}
	f.fail["delete"] = 1 << 30
	p := testPolicy(c, l)
	p.MaxElapsed = 10 * time.Second
	start := c.Now()
	err := Wrap(f, p).Delete(t.Context(), "k")
	if err == nil {
		t.Fatal("Delete succeeded against a store that always fails")
	}
	if !store.IsTransient(err) || !errors.Is(err, errReset) {
		t.Errorf("giving up lost the class or the cause: %v", err)
	}
	if !strings.Contains(err.Error(), "gave up after 6 attempts in 10s") {
		t.Errorf("error %q does not say how many attempts", err)
	}
	// Ceilings 0.5, 1, 2, 4 s (minus 1ns each), then the fifth delay is
	// clipped to the deadline, then one last attempt.
	if got := c.Now().Sub(start); got != 10*time.Second {
		t.Errorf("gave up after %v of fake time, want exactly MaxElapsed", got)
	}
	if f.count("delete") != 6 {
		t.Errorf("next.Delete called %d times, want 6", f.count("delete"))
	}
}

func TestNeverGiveUp(t *testing.T) {
	f, c, l := newFake(), newClock(), &retryLog{}
	f.fail["stat"] = 200
	f.objects["k"] = []byte("v")
	p := testPolicy(c, l)
	p.MaxElapsed = -1
	if _, err := Wrap(f, p).Stat(t.Context(), "k"); err != nil {
		t.Fatal(err)
	}
	if c.Now().Sub(newClock().Now()) < time.Hour {
		t.Error("expected retries well past the default MaxElapsed")
	}
}

func TestCancelDuringBackoff(t *testing.T) {
	f, c, l := newFake(), newClock(), &retryLog{}
	f.fail["put"] = 1 << 30
	ctx, cancel := context.WithCancel(t.Context())
	p := testPolicy(c, l)
	p.OnRetry = func(op, key string, attempt int, err error) {
		if attempt == 2 {
			cancel()
		}
	}
	err := Wrap(f, p).Put(ctx, "k", nil)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Put returned %v, want context.Canceled", err)
	}
	if store.IsTransient(err) || !store.IsPermanent(err) {
		t.Errorf("cancellation must read as permanent, not transient: %v", err)
	}
	if !strings.Contains(err.Error(), "connection reset") {
		t.Errorf("error %q lost the last failure's text", err)
	}
	if f.count("put") != 2 {
		t.Errorf("next.Put called %d times after cancel, want 2", f.count("put"))
	}
}

func TestCancelledContextNotRetried(t *testing.T) {
	f, c, l := newFake(), newClock(), &retryLog{}
	f.fail["put"] = 5
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	err := Wrap(f, testPolicy(c, l)).Put(ctx, "k", nil)
	if !errors.Is(err, context.Canceled) || f.count("put") != 1 {
		t.Errorf("Put with a cancelled context: %v after %d calls", err, f.count("put"))
	}
}

func TestGetRetriesOpenOnly(t *testing.T) {
	f, c, l := newFake(), newClock(), &retryLog{}
	f.objects["k"] = []byte("0123456789")
	f.fail["get"] = 2
	s := Wrap(f, testPolicy(c, l))
	data, err := store.ReadAll(t.Context(), s, "k")
	if err != nil || string(data) != "0123456789" {
		t.Fatalf("ReadAll = %q, %v", data, err)
	}
	if f.count("get") != 3 {
		t.Errorf("next.Get called %d times, want 3", f.count("get"))
	}

	// A failure while reading goes to the caller; Get is not called again.
	f.readFailAt = 4
	rc, err := s.Get(t.Context(), "k", 0, -1)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	got, err := io.ReadAll(rc)
	if !errors.Is(err, errReset) || string(got) != "0123" {
		t.Errorf("read %q, %v; want \"0123\" and the read error", got, err)
	}
	if f.count("get") != 4 {
		t.Errorf("next.Get called %d times, want 4", f.count("get"))
	}
}

func TestCeiling(t *testing.T) {
	var p Policy
	for _, tc := range []struct {
		n    int
		want time.Duration
	}{
		{1, 500 * time.Millisecond},
		{2, time.Second},
		{7, 32 * time.Second},
		{8, 60 * time.Second},
		{1000, 60 * time.Second},
	} {
		if got := p.Ceiling(tc.n); got != tc.want {
			t.Errorf("Ceiling(%d) = %v, want %v", tc.n, got, tc.want)
		}
	}
	q := Policy{Initial: time.Hour, Max: time.Second}
	if got := q.Ceiling(1); got != time.Hour {
		t.Errorf("Max below Initial: Ceiling(1) = %v, want Initial", got)
	}
}

func TestDefaultJitterInRange(t *testing.T) {
	p := Policy{}.withDefaults()
	var below, above int
	for range 1000 {
		d := p.jitter(time.Second)
		if d < 0 || d >= time.Second {
			t.Fatalf("jitter(1s) = %v, outside [0, 1s)", d)
		}
		if d < 500*time.Millisecond {
			below++
		} else {
			above++
		}
	}
	// Loose: uniform jitter puts about half on each side.
	if below < 300 || above < 300 {
		t.Errorf("jitter looks skewed: %d below 0.5s, %d above", below, above)
	}
	if p.jitter(0) != 0 {
		t.Error("jitter(0) != 0")
	}
}

func TestRealSleepHonoursContext(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := sleep(ctx, time.Hour); !errors.Is(err, context.Canceled) {
		t.Errorf("sleep with a cancelled context = %v", err)
	}
	if err := sleep(t.Context(), time.Millisecond); err != nil {
		t.Errorf("sleep(1ms) = %v", err)
	}
}

func TestUnwrapAndString(t *testing.T) {
	f := newFake()
	s := Wrap(f, Policy{})
	if s.String() != "fake" {
		t.Errorf("String() = %q", s.String())
	}
	u, ok := s.(interface{ Unwrap() store.Store })
	if !ok || u.Unwrap() != store.Store(f) {
		t.Error("Unwrap does not return the wrapped store")
	}
}

func equal[T comparable](a, b []T) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// Do retries a request outside the store interface like the store's own:
// transient failures again, anything else at once.
func TestDo(t *testing.T) {
	c, l := newClock(), &retryLog{}
	p := testPolicy(c, l)
	calls := 0
	err := p.Do(t.Context(), "put-retention", "blobs/aa/x", func() error {
		calls++
		if calls < 3 {
			return store.Transient(store.KindServer, errors.New("503 SlowDown"))
		}
		return nil
	})
	if err != nil || calls != 3 || !equal(l.calls, []string{"put-retention blobs/aa/x", "put-retention blobs/aa/x"}) {
		t.Fatalf("Do = %v after %d calls, retries %v", err, calls, l.calls)
	}
	perm := store.Permanent(store.KindAccessDenied, errors.New("denied"))
	calls = 0
	if err := p.Do(t.Context(), "put-retention", "k", func() error { calls++; return perm }); err != perm || calls != 1 {
		t.Fatalf("Do of a permanent failure = %v after %d calls", err, calls)
	}
}

// OnRecover hears of each call that succeeds after retries, and of no
// other: the storage answers again.
func TestOnRecover(t *testing.T) {
	f, c := newFake(), newClock()
	var recovered []string
	p := testPolicy(c, &retryLog{})
	p.OnRecover = func(op, key string, retries int) {
		recovered = append(recovered, fmt.Sprintf("%s %s %d", op, key, retries))
	}
	s := Wrap(f, p)
	ctx := t.Context()
	if err := s.Put(ctx, "a", []byte("1")); err != nil {
		t.Fatal(err)
	}
	f.fail["put"] = 2
	if err := s.Put(ctx, "b", []byte("2")); err != nil {
		t.Fatal(err)
	}
	f.fail["get"] = 1
	rc, err := s.Get(ctx, "a", 0, -1)
	if err != nil {
		t.Fatal(err)
	}
	rc.Close()
	f.listFailAt = []int{1}
	var keys []string
	for info, err := range s.List(ctx, "") {
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, info.Key)
	}
	if _, err := s.Stat(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	want := []string{"put b 2", "get a 1", "list  1"}
	if !slices.Equal(recovered, want) || !slices.Equal(keys, []string{"a", "b"}) {
		t.Fatalf("recovered %q, listed %q; want %q", recovered, keys, want)
	}
}
