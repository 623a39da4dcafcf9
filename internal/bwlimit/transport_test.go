package bwlimit

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tunesafe/tunesafe/internal/faultrelay"
)

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestTransportWrapsBodies(t *testing.T) {
	up, down := New(1<<30), New(1<<30)
	body := []byte("object bytes")
	var seen *http.Request
	next := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		seen = r
		return &http.Response{StatusCode: 200, Body: io.NopCloser(strings.NewReader("answer")), Request: r}, nil
	})
	req, err := http.NewRequestWithContext(t.Context(), "PUT", "http://127.0.0.1/b/k", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	origBody, origGetBody := req.Body, req.GetBody
	resp, err := Transport(next, up, down).RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	if req.Body != origBody {
		t.Error("the caller's request was modified")
	}
	if _, ok := seen.Body.(*readCloser); !ok {
		t.Errorf("request body not limited: %T", seen.Body)
	}
	if got, _ := io.ReadAll(seen.Body); !bytes.Equal(got, body) {
		t.Errorf("limited body reads %q", got)
	}
	// GetBody, used by net/http to resend, gives limited bodies too.
	if seen.GetBody == nil || origGetBody == nil {
		t.Fatal("GetBody lost")
	}
	again, err := seen.GetBody()
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := again.(*readCloser); !ok {
		t.Errorf("GetBody body not limited: %T", again)
	}
	if got, _ := io.ReadAll(again); !bytes.Equal(got, body) {
		t.Errorf("GetBody body reads %q", got)
	}
	if _, ok := resp.Body.(*readCloser); !ok {
		t.Errorf("response body not limited: %T", resp.Body)
	}
	if got, _ := io.ReadAll(resp.Body); string(got) != "answer" {
		t.Errorf("response reads %q", got)
	}
}

func TestTransportNoBody(t *testing.T) {
	var seen *http.Request
	next := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		seen = r
		return &http.Response{StatusCode: 204, Body: http.NoBody}, nil
	})
	req, _ := http.NewRequestWithContext(t.Context(), "GET", "http://127.0.0.1/", nil)
	resp, err := Transport(next, New(1000), New(1000)).RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	if seen != req || resp.Body != http.NoBody {
		t.Error("a request without a body was copied, or NoBody wrapped")
	}
}

// The tests below use real time through a real TCP relay. They assert
// only loose bounds: at least 80 % of the ideal duration, and never more
// bytes on the wire than the limit allows.

// slack is what the wire may carry beyond the limited body: HTTP headers.
const slack = 4 << 10

func TestTransportUploadOnTheWire(t *testing.T) {
	if testing.Short() {
		t.Skip("takes a second of real time")
	}
	const size, bps = 1_000_000, 1_000_000
	var received atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, _ := io.Copy(io.Discard, r.Body)
		received.Store(n)
	}))
	defer srv.Close()
	relay, err := faultrelay.Start(srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer relay.Close()

	start := time.Now()
	up := New(bps)
	client := &http.Client{Transport: Transport(nil, up, nil)}
	done := make(chan error, 1)
	go func() {
		resp, err := client.Post("http://"+relay.Addr()+"/put", "application/octet-stream", bytes.NewReader(make([]byte, size)))
		if err == nil {
			resp.Body.Close()
		}
		done <- err
	}()
	// Sample the bytes the relay has carried: never more than the bucket
	// plus the rate times the time since the limiter was made.
	samples := 0
	for finished := false; !finished; {
		select {
		case err := <-done:
			if err != nil {
				t.Fatal(err)
			}
			finished = true
		case <-time.After(50 * time.Millisecond):
		}
		onWire := relay.Stats().Up
		allowed := int64(BurstFor(bps)) + int64(time.Since(start).Seconds()*bps) + slack
		if onWire > allowed {
			t.Errorf("after %v, %d bytes on the wire, more than the %d the limit allows", time.Since(start), onWire, allowed)
		}
		samples++
	}
	elapsed := time.Since(start)
	if received.Load() != size {
		t.Errorf("server received %d bytes, want %d", received.Load(), size)
	}
	if elapsed < 800*time.Millisecond {
		t.Errorf("1 MB at 1 MB/s took %v", elapsed)
	}
	if samples < 5 {
		t.Logf("only %d samples", samples)
	}
}

func TestTransportDownload(t *testing.T) {
	if testing.Short() {
		t.Skip("takes a second of real time")
	}
	const size, bps = 1_000_000, 1_000_000
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write(make([]byte, size))
	}))
	defer srv.Close()
	client := &http.Client{Transport: Transport(srv.Client().Transport, nil, New(bps))}
	start := time.Now()
	resp, err := client.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	n, err := io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if err != nil || n != size {
		t.Fatalf("read %d, %v", n, err)
	}
	// Only a lower bound: TCP buffers let the server run ahead of the
	// reader, so the wire shows the limit only once they are full.
	if d := time.Since(start); d < 800*time.Millisecond {
		t.Errorf("1 MB at 1 MB/s took %v", d)
	}
}
