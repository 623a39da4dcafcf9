package retry

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/tunesafe/tunesafe/internal/store"
)

// errBitrot is what MinIO answers for an object whose disks fail its
// bitrot check: a server error, while HEAD still succeeds.
var errBitrot = store.Transient(store.KindServer, errors.New("Resource requested is unreadable (S3 SlowDownRead, HTTP 503)"))

// TestGetUnreadable: an object whose GETs keep failing with server errors
// while its Stat succeeds is given up as unreadable after UnreadableAfter,
// not retried for the whole MaxElapsed and then called unreachable.
func TestGetUnreadable(t *testing.T) {
	f, c, l := newFake(), newClock(), &retryLog{}
	f.objects["blobs/ab/ab01"] = []byte("damaged on the server's disks")
	f.fail["get"], f.failErr = 1<<30, errBitrot
	p := testPolicy(c, l)
	start := c.Now()
	_, err := Wrap(f, p).Get(t.Context(), "blobs/ab/ab01", 0, -1)
	if err == nil {
		t.Fatal("Get succeeded against an object that cannot be read")
	}
	if store.KindOf(err) != store.KindUnreadable || !store.IsPermanent(err) {
		t.Fatalf("Get = %v (kind %q, transient %v), want a permanent %q error", err, store.KindOf(err), store.IsTransient(err), store.KindUnreadable)
	}
	if !errors.Is(err, errBitrot) || !strings.Contains(err.Error(), "blobs/ab/ab01") {
		t.Errorf("the error %q lost the key or the server's answer", err)
	}
	waited := c.Now().Sub(start)
	if waited < DefaultUnreadableAfter || waited >= DefaultMaxElapsed {
		t.Errorf("gave up after %v, want between %v and %v", waited, DefaultUnreadableAfter, DefaultMaxElapsed)
	}
	if f.count("stat") == 0 {
		t.Error("the object was called unreadable without asking whether the server still knows it")
	}
}

// TestGetNotUnreadable: the failures that say nothing about the object
// itself are retried for as long as the policy says, and so is a server
// that does not answer a Stat for the object either.
func TestGetNotUnreadable(t *testing.T) {
	for _, c := range []struct {
		name      string
		err       error
		statFails bool
	}{
		{"throttled", store.Transient(store.KindThrottled, errors.New("SlowDown")), false},
		{"network", errReset, false},
		{"server down for HEAD too", errBitrot, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			f, clk, l := newFake(), newClock(), &retryLog{}
			f.objects["k"] = []byte("v")
			f.fail["get"], f.failErr = 1<<30, c.err
			if c.statFails {
				f.fail["stat"] = 1 << 30
			}
			p := testPolicy(clk, l)
			p.MaxElapsed = 5 * time.Minute
			start := clk.Now()
			_, err := Wrap(f, p).Get(t.Context(), "k", 0, -1)
			if !store.IsTransient(err) || store.KindOf(err) == store.KindUnreadable {
				t.Fatalf("Get = %v (kind %q), want the transient error after the whole policy", err, store.KindOf(err))
			}
			if got := clk.Now().Sub(start); got != p.MaxElapsed {
				t.Errorf("gave up after %v, want MaxElapsed %v", got, p.MaxElapsed)
			}
		})
	}
}

// TestGetUnreadableRecovers: an object that becomes readable before
// UnreadableAfter is returned, and a negative UnreadableAfter turns the
// rule off.
func TestGetUnreadableRecovers(t *testing.T) {
	f, c, l := newFake(), newClock(), &retryLog{}
	f.objects["k"] = []byte("v")
	f.fail["get"], f.failErr = 6, errBitrot
	rc, err := Wrap(f, testPolicy(c, l)).Get(t.Context(), "k", 0, -1)
	if err != nil {
		t.Fatalf("Get after 6 failures within the policy: %v", err)
	}
	rc.Close()

	f.fail["get"] = 1 << 30
	p := testPolicy(c, l)
	p.UnreadableAfter, p.MaxElapsed = -1, 10*time.Minute
	_, err = Wrap(f, p).Get(t.Context(), "k", 0, -1)
	if store.KindOf(err) == store.KindUnreadable {
		t.Errorf("UnreadableAfter < 0 still gave up as unreadable: %v", err)
	}
}
