// Package faultrelay is a TCP relay for tests and benchmarks that puts a
// bad network between a client and a server on the same machine: a slow
// uplink, connections reset in the middle of an upload, traffic held for a
// while, a server that refuses connections. Tests point a client (an S3
// store, an HTTP client) at the relay's address instead of the server's,
// then switch faults on and off while the client works:
//
//	r, err := faultrelay.Start(server.Listener.Addr().String())
//	...
//	defer r.Close()
//	r.SetUpRate(36_000)   // a 36 kB/s uplink
//	r.SetLatency(20 * time.Millisecond) // a provider 40 ms away (new connections)
//	r.CutAfter(1 << 20)   // reset every connection after 1 MiB more upstream
//	... run the upload, expect the retry decorator to finish it ...
//	st := r.Stats()       // bytes that went each way
//
// "Up" is from the client to the server, "down" from the server to the
// client. Rates are shared by all connections, like one physical line, and
// are counted in payload bytes (TCP/IP headers are not seen by the relay).
// Byte counts are of bytes the relay has written to the other side.
//
// The relay listens on 127.0.0.1 and relays only to loopback addresses, so
// a test cannot use it to reach, or be reached from, another machine.
package faultrelay

import (
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// Stats counts what a relay has done since it started.
type Stats struct {
	Up, Down int64 // bytes relayed each way
	Accepted int64 // connections accepted and relayed
	Refused  int64 // connections reset at once while refusing
	Cut      int64 // connections reset by CutAll or CutAfter
	Active   int   // connections open now
}

// Relay forwards TCP connections to one target with faults. Its methods
// may be called from any goroutine while connections are open.
type Relay struct {
	ln          net.Listener
	target      string
	dialTimeout time.Duration
	wg          sync.WaitGroup

	up, down          direction
	accepted, refused atomic.Int64
	cuts              atomic.Int64
	refusing          atomic.Bool

	mu         sync.Mutex // guards what follows and the directions' limits
	links      map[*link]struct{}
	closed     bool
	stallUntil time.Time
	cutBudget  int64         // upstream bytes left before a cut; < 0: none
	latency    time.Duration // each way, for new connections
	// kick is closed, and replaced, when a rate or a stall changes, to wake
	// the goroutines waiting on them.
	kick chan struct{}
}

// Start listens on a free port of 127.0.0.1 and relays every connection to
// target, a loopback host:port ("127.0.0.1:9000", "[::1]:9000",
// "localhost:9000").
func Start(target string) (*Relay, error) {
	host, _, err := net.SplitHostPort(target)
	if err != nil {
		return nil, fmt.Errorf("faultrelay: target %q: %w", target, err)
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return nil, fmt.Errorf("faultrelay: target %q is not a loopback address", target)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("faultrelay: %w", err)
	}
	r := &Relay{
		ln:          ln,
		target:      target,
		dialTimeout: 5 * time.Second,
		links:       map[*link]struct{}{},
		cutBudget:   -1,
		kick:        make(chan struct{}),
	}
	r.wg.Add(1)
	go r.accept()
	return r, nil
}

// Addr returns the relay's address, "127.0.0.1:port".
func (r *Relay) Addr() string { return r.ln.Addr().String() }

// Stats returns the counters.
func (r *Relay) Stats() Stats {
	r.mu.Lock()
	active := len(r.links)
	r.mu.Unlock()
	return Stats{
		Up:       r.up.bytes.Load(),
		Down:     r.down.bytes.Load(),
		Accepted: r.accepted.Load(),
		Refused:  r.refused.Load(),
		Cut:      r.cuts.Load(),
		Active:   active,
	}
}

// SetUpRate limits client-to-server traffic to bytesPerSec, shared by all
// connections; 0 or less removes the limit.
func (r *Relay) SetUpRate(bytesPerSec int64) { r.setRate(&r.up, bytesPerSec) }

// SetDownRate limits server-to-client traffic to bytesPerSec, shared by all
// connections; 0 or less removes the limit.
func (r *Relay) SetDownRate(bytesPerSec int64) { r.setRate(&r.down, bytesPerSec) }

// Stall holds all traffic, both ways, for d from now; connections stay
// open and new ones are accepted but carry nothing until the stall ends.
// Stall(0) ends a stall.
func (r *Relay) Stall(d time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.stallUntil = time.Now().Add(d)
	r.wakeLocked()
}

// Refuse makes the relay reset new connections as soon as it accepts them
// (on) or relay them again (off). A client sees "connection reset by peer"
// or EOF. Open connections are not affected; use CutAll for them.
func (r *Relay) Refuse(on bool) { r.refusing.Store(on) }

// CutAll resets every open connection: both the client and the server see
// a TCP reset, as when a home router reboots.
func (r *Relay) CutAll() {
	r.mu.Lock()
	links := make([]*link, 0, len(r.links))
	for l := range r.links {
		links = append(links, l)
	}
	r.cutBudget = -1
	r.mu.Unlock()
	for _, l := range links {
		l.reset(func() { r.cuts.Add(1) })
	}
}

// CutAfter lets n more bytes go upstream, counted over all connections,
// then resets every open connection (once). n == 0 cuts at once; n < 0
// cancels a pending cut.
func (r *Relay) CutAfter(n int64) {
	if n == 0 {
		r.CutAll()
		return
	}
	r.mu.Lock()
	r.cutBudget = max(n, -1)
	r.mu.Unlock()
}

// Close stops listening, resets open connections and waits for the
// relay's goroutines to end.
func (r *Relay) Close() error {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return nil
	}
	r.closed = true
	r.wakeLocked()
	r.mu.Unlock()
	err := r.ln.Close()
	r.CutAll()
	r.wg.Wait()
	return err
}

// wakeLocked wakes every goroutine waiting on a stall or a rate, so that
// it looks at the new settings; r.mu is held.
func (r *Relay) wakeLocked() {
	close(r.kick)
	r.kick = make(chan struct{})
}

func (r *Relay) accept() {
	defer r.wg.Done()
	for {
		c, err := r.ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			time.Sleep(10 * time.Millisecond) // e.g. out of file descriptors
			continue
		}
		client := c.(*net.TCPConn)
		if r.refusing.Load() {
			resetConn(client)
			r.refused.Add(1)
			continue
		}
		r.wg.Add(1)
		go r.serve(client)
	}
}

// serve dials the target for client and relays until both ways end.
func (r *Relay) serve(client *net.TCPConn) {
	defer r.wg.Done()
	c, err := net.DialTimeout("tcp", r.target, r.dialTimeout)
	if err != nil {
		resetConn(client)
		return
	}
	l := &link{client: client, server: c.(*net.TCPConn), done: make(chan struct{})}
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		l.reset(nil)
		return
	}
	r.links[l] = struct{}{}
	lat := r.latency
	r.mu.Unlock()
	r.accepted.Add(1)

	var both sync.WaitGroup
	both.Add(2)
	go func() { defer both.Done(); r.pipe(l, &r.up, l.client, l.server, true, lat) }()
	go func() { defer both.Done(); r.pipe(l, &r.down, l.server, l.client, false, lat) }()
	both.Wait()
	l.close()
	r.mu.Lock()
	delete(r.links, l)
	r.mu.Unlock()
}
