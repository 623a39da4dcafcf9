package faultrelay

import (
	"bytes"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"
)

// echoServer starts a TCP server on loopback that echoes what it reads.
func echoServer(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				io.Copy(c, c)
			}()
		}
	}()
	return ln.Addr().String()
}

func startRelay(t *testing.T) *Relay {
	t.Helper()
	r, err := Start(echoServer(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

func dial(t *testing.T, r *Relay) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", r.Addr())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(20 * time.Second))
	return c
}

// roundTrip writes msg and reads back as many bytes.
func roundTrip(c net.Conn, msg []byte) ([]byte, error) {
	errc := make(chan error, 1)
	go func() {
		_, err := c.Write(msg)
		errc <- err
	}()
	got := make([]byte, len(msg))
	_, err := io.ReadFull(c, got)
	if werr := <-errc; err == nil {
		err = werr
	}
	return got, err
}

func TestRelayEchoAndStats(t *testing.T) {
	r := startRelay(t)
	c := dial(t, r)
	msg := bytes.Repeat([]byte("tunesafe"), 64<<10) // 512 KiB
	got, err := roundTrip(c, msg)
	if err != nil || !bytes.Equal(got, msg) {
		t.Fatalf("echo through the relay: %v", err)
	}
	// The relay counts a write after it returns, which may be after the
	// client has read the bytes.
	want := int64(len(msg))
	waitFor(t, func() bool { st := r.Stats(); return st.Up == want && st.Down == want })
	if st := r.Stats(); st.Accepted != 1 || st.Active != 1 {
		t.Errorf("stats %+v, want 1 active connection", st)
	}
	c.Close()
	waitFor(t, func() bool { return r.Stats().Active == 0 })
}

func TestOnlyLoopback(t *testing.T) {
	for _, target := range []string{"192.0.2.1:80", "example.com:443", "0.0.0.0:80", "nonsense"} {
		if r, err := Start(target); err == nil {
			r.Close()
			t.Errorf("Start(%q) accepted a non-loopback target", target)
		}
	}
	for _, target := range []string{"127.0.0.1:1", "[::1]:1", "localhost:1"} {
		r, err := Start(target)
		if err != nil {
			t.Errorf("Start(%q): %v", target, err)
			continue
		}
		if !strings.HasPrefix(r.Addr(), "127.0.0.1:") {
			t.Errorf("relay listens on %s", r.Addr())
		}
		r.Close()
	}
}

func TestCutAll(t *testing.T) {
	r := startRelay(t)
	c := dial(t, r)
	if _, err := roundTrip(c, []byte("hello")); err != nil {
		t.Fatal(err)
	}
	r.CutAll()
	_, err := c.Read(make([]byte, 1))
	if !isReset(err) {
		t.Errorf("read after CutAll: %v, want a connection reset", err)
	}
	if st := r.Stats(); st.Cut != 1 {
		t.Errorf("Cut = %d, want 1", st.Cut)
	}
	// New connections still work.
	if _, err := roundTrip(dial(t, r), []byte("again")); err != nil {
		t.Errorf("after CutAll, a new connection: %v", err)
	}
}

func TestCutAfter(t *testing.T) {
	r := startRelay(t)
	c := dial(t, r)
	r.CutAfter(1000)
	go c.Write(make([]byte, 100_000))
	n, err := io.Copy(io.Discard, c)
	if !isReset(err) {
		t.Errorf("reading: %v, want a connection reset", err)
	}
	if n > 1000 {
		t.Errorf("echoed %d bytes, want at most 1000", n)
	}
	if st := r.Stats(); st.Up != 1000 || st.Cut != 1 {
		t.Errorf("stats %+v, want exactly 1000 bytes up and 1 cut", st)
	}
	// The cut happens once.
	if _, err := roundTrip(dial(t, r), make([]byte, 5000)); err != nil {
		t.Errorf("after the cut, a new connection: %v", err)
	}
}

func TestCutAfterCancelled(t *testing.T) {
	r := startRelay(t)
	r.CutAfter(10)
	r.CutAfter(-1)
	if _, err := roundTrip(dial(t, r), make([]byte, 100)); err != nil {
		t.Errorf("cancelled CutAfter still cut: %v", err)
	}
}

func TestRefuse(t *testing.T) {
	r := startRelay(t)
	open := dial(t, r)
	r.Refuse(true)
	// The reset may come before the dial returns, or at the first read.
	c, err := net.Dial("tcp", r.Addr())
	if err == nil {
		defer c.Close()
		c.SetDeadline(time.Now().Add(20 * time.Second))
		_, err = roundTrip(c, []byte("x"))
	}
	if err == nil {
		t.Error("a connection made while refusing worked")
	}
	if _, err := roundTrip(open, []byte("still")); err != nil {
		t.Errorf("an open connection stopped working: %v", err)
	}
	r.Refuse(false)
	if _, err := roundTrip(dial(t, r), []byte("y")); err != nil {
		t.Errorf("after Refuse(false): %v", err)
	}
	if st := r.Stats(); st.Refused != 1 {
		t.Errorf("Refused = %d, want 1", st.Refused)
	}
}

// Timing tests are loose: they check that the fault happens, with wide
// margins, never that it lasts an exact time.

func TestStall(t *testing.T) {
	r := startRelay(t)
	c := dial(t, r)
	r.Stall(300 * time.Millisecond)
	start := time.Now()
	if _, err := roundTrip(c, []byte("held")); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < 250*time.Millisecond {
		t.Errorf("round trip during a 300ms stall took %v", d)
	}
}

func TestStallEnded(t *testing.T) {
	r := startRelay(t)
	c := dial(t, r)
	r.Stall(time.Hour)
	go func() {
		time.Sleep(50 * time.Millisecond)
		r.Stall(0)
	}()
	if _, err := roundTrip(c, []byte("released")); err != nil {
		t.Fatal(err)
	}
}

func TestUpRate(t *testing.T) {
	r := startRelay(t)
	c := dial(t, r)
	r.SetUpRate(400_000)
	start := time.Now()
	if _, err := roundTrip(c, make([]byte, 200_000)); err != nil {
		t.Fatal(err)
	}
	// The first bucket (20 kB) goes at once: (200 − 20) kB at 400 kB/s ≥ 0.45 s.
	if d := time.Since(start); d < 400*time.Millisecond {
		t.Errorf("200 kB at 400 kB/s took %v", d)
	}
	r.SetUpRate(0)
	start = time.Now()
	if _, err := roundTrip(c, make([]byte, 200_000)); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("unlimited again, 200 kB took %v", d)
	}
}

func TestDownRateChangeWakes(t *testing.T) {
	r := startRelay(t)
	c := dial(t, r)
	r.SetDownRate(1000) // 100 kB would take 100 s
	go func() {
		time.Sleep(100 * time.Millisecond)
		r.SetDownRate(0)
	}()
	start := time.Now()
	if _, err := roundTrip(c, make([]byte, 100_000)); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("removing the limit did not take effect: %v", d)
	}
}

func TestCloseResetsConnections(t *testing.T) {
	r, err := Start(echoServer(t))
	if err != nil {
		t.Fatal(err)
	}
	c := dial(t, r)
	if _, err := roundTrip(c, []byte("hi")); err != nil {
		t.Fatal(err)
	}
	r.Close()
	if _, err := c.Read(make([]byte, 1)); err == nil {
		t.Error("connection survived Close")
	}
	if _, err := net.DialTimeout("tcp", r.Addr(), time.Second); err == nil {
		t.Error("relay still accepts after Close")
	}
	if err := r.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

func TestBurstFor(t *testing.T) {
	for _, tc := range []struct {
		bps  int64
		want int
	}{{100, 100}, {36_000, 1800}, {10_000, 1024}, {1e9, 1 << 20}} {
		if got := burstFor(tc.bps); got != tc.want {
			t.Errorf("burstFor(%d) = %d, want %d", tc.bps, got, tc.want)
		}
	}
}

func isReset(err error) bool {
	return err != nil && (errors.Is(err, io.EOF) == false) && strings.Contains(err.Error(), "reset")
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 10s")
		}
		time.Sleep(5 * time.Millisecond)
	}
}
