package retry

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/tunesafe/tunesafe/internal/store"
)

// Once a call has given up after MaxElapsed, the calls that follow make
// DownAttempts attempts each, not MaxElapsed's worth, until one succeeds:
// the run's cleanup on its way out does not wait the whole period again,
// once per object.
func TestOneGiveUpBoundsTheRest(t *testing.T) {
	f, c, l := newFake(), newClock(), &retryLog{}
	p := testPolicy(c, l)
	p.MaxElapsed = time.Minute
	s := Wrap(f, p)
	f.fail["put"], f.fail["delete"] = 1<<30, 1<<30
	if err := s.Put(t.Context(), "blobs/a", nil); err == nil {
		t.Fatal("Put succeeded against a store that always fails")
	}
	full := f.count("put")
	if full <= DownAttempts {
		t.Fatalf("the first Put made %d attempts; the test needs more than %d", full, DownAttempts)
	}
	err := s.Delete(t.Context(), "locks/backup-x")
	if got := f.count("delete"); got != DownAttempts {
		t.Errorf("Delete after a give-up made %d attempts, want %d", got, DownAttempts)
	}
	if !store.IsTransient(err) || !strings.Contains(err.Error(), "gave up after 2 attempts: the storage stopped answering earlier in this run") {
		t.Errorf("Delete after a give-up: %v", err)
	}
	if err := s.Put(t.Context(), "log/writer/x", nil); err == nil || f.count("put") != full+DownAttempts {
		t.Errorf("a second Put made %d attempts (%v), want %d", f.count("put")-full, err, DownAttempts)
	}

	// The storage answers again: the next failures get the whole period.
	f.fail["put"] = 0
	if err := s.Put(t.Context(), "blobs/b", nil); err != nil {
		t.Fatal(err)
	}
	before := f.count("delete")
	s.Delete(t.Context(), "locks/backup-x")
	if got := f.count("delete") - before; got != full {
		t.Errorf("Delete after the storage answered again made %d attempts, want %d, as many as the first Put", got, full)
	}
}

// A listing that yields an object is an answer too.
func TestListingClearsDown(t *testing.T) {
	f, c, l := newFake(), newClock(), &retryLog{}
	p := testPolicy(c, l)
	p.MaxElapsed = time.Minute
	s := Wrap(f, p)
	f.objects["locks/a"] = []byte("{}")
	f.fail["stat"] = 1 << 30
	if _, err := s.Stat(t.Context(), "k"); err == nil {
		t.Fatal("Stat succeeded against a store that always fails")
	}
	full := f.count("stat")
	for _, err := range s.List(t.Context(), "locks/") {
		if err != nil {
			t.Fatal(err)
		}
	}
	s.Stat(t.Context(), "k")
	if got := f.count("stat") - full; got != full {
		t.Errorf("Stat after a listing made %d attempts, want %d", got, full)
	}
}

// Calls already retrying when another gives up stop at their next retry.
func TestGiveUpStopsCallsUnderWay(t *testing.T) {
	f, c, l := newFake(), newClock(), &retryLog{}
	p := testPolicy(c, l)
	p.MaxElapsed = time.Minute
	f.fail["get"], f.fail["put"] = 1<<30, 1<<30
	t0 := c.Now()
	var s store.Store
	started := false
	putWaits, gaveUp, done := make(chan struct{}), make(chan struct{}), make(chan error)
	// Near the end of the Get's retries a Put starts, and waits in its
	// first retry until the Get has given up.
	p.OnRetry = func(op, key string, attempt int, err error) {
		switch {
		case op == "get" && !started && c.Now().Sub(t0) > 30*time.Second:
			started = true
			go func() { done <- s.Put(context.Background(), "blobs/a", nil) }()
			<-putWaits
		case op == "put" && attempt == 1:
			close(putWaits)
			<-gaveUp
		}
	}
	s = Wrap(f, p)
	if _, err := s.Get(t.Context(), "blobs/b", 0, -1); err == nil || !started {
		t.Fatalf("Get: %v; the Put started: %v", err, started)
	}
	close(gaveUp)
	if err := <-done; err == nil || !errors.Is(err, errReset) {
		t.Fatalf("Put: %v", err)
	}
	if got := f.count("put"); got != DownAttempts {
		t.Errorf("the Put under way made %d attempts, want %d", got, DownAttempts)
	}
}

// AtMost bounds one call's attempts, whatever the policy says.
func TestAtMost(t *testing.T) {
	f, c, l := newFake(), newClock(), &retryLog{}
	p := testPolicy(c, l)
	p.MaxElapsed = -1 // never give up
	f.fail["delete"] = 1 << 30
	err := Wrap(f, p).Delete(AtMost(t.Context(), 3), "locks/backup-x")
	if got := f.count("delete"); got != 3 {
		t.Errorf("Delete made %d attempts, want 3", got)
	}
	if !store.IsTransient(err) || !strings.Contains(err.Error(), "gave up after 3 attempts in ") {
		t.Errorf("Delete: %v", err)
	}
	// Policy.Do too; at least one attempt.
	n := 0
	p.Do(AtMost(t.Context(), 0), "check", "", func() error { n++; return errReset })
	if n != 1 {
		t.Errorf("Do under AtMost(0) made %d attempts, want 1", n)
	}
	// A giving up by AtMost is no evidence that the storage is down.
	f.fail["delete"] = 4
	s := Wrap(f, p)
	s.Delete(AtMost(t.Context(), 1), "k")
	if err := s.Delete(t.Context(), "k"); err != nil {
		t.Errorf("Delete after an AtMost give-up: %v", err)
	}
}
