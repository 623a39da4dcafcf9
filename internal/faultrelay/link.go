package faultrelay

import (
	"errors"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"
)

// link is one relayed connection: the client's and the relay's own to the
// server.
type link struct {
	client, server *net.TCPConn
	done           chan struct{} // closed when the link is reset or closed
	once           sync.Once
}

// reset aborts both connections with a TCP reset, once. counted, when
// not nil, runs if this call is the one that resets, before either end
// can see it: a cut is then in Stats by the time a client notices it.
func (l *link) reset(counted func()) {
	l.once.Do(func() {
		if counted != nil {
			counted()
		}
		close(l.done)
		resetConn(l.client)
		resetConn(l.server)
	})
}

// close closes both connections normally, after both ways have ended.
func (l *link) close() {
	l.once.Do(func() {
		close(l.done)
		l.client.Close()
		l.server.Close()
	})
}

// resetConn closes c so that the peer gets a RST rather than a FIN.
func resetConn(c *net.TCPConn) {
	c.SetLinger(0)
	c.Close()
}

// direction is the traffic one way: its byte count and its rate limit.
type direction struct {
	bytes atomic.Int64
	lim   *rate.Limiter // nil: no limit; guarded by Relay.mu
}

// burstFor returns the token bucket size for a relay rate: a twentieth of
// a second of traffic, at least 1 KiB, at most one second's.
func burstFor(bps int64) int {
	return int(min(bps, max(bps/20, 1024), 1<<20))
}

func (r *Relay) setRate(d *direction, bps int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	d.lim = nil
	if bps > 0 {
		d.lim = rate.NewLimiter(rate.Limit(bps), burstFor(bps))
	}
	r.wakeLocked()
}

var errLinkDone = errors.New("link closed")

// pipe copies from src to dst through the faults until src ends or the
// link is reset. upstream marks the client-to-server way, which CutAfter
// counts.
func (r *Relay) pipe(l *link, d *direction, from io.Reader, dst *net.TCPConn, upstream bool, lat time.Duration) {
	src := from
	if lat > 0 {
		src = newDelayLine(from, lat, l.done)
	}
	buf := make([]byte, 32<<10)
	for {
		n, rerr := src.Read(buf[:r.chunk(d, len(buf))])
		data := buf[:n]
		for len(data) > 0 {
			if err := r.hold(l, d, len(data)); err != nil {
				return
			}
			k, cut := len(data), false
			if upstream {
				k, cut = r.spend(k)
			}
			w, err := dst.Write(data[:k])
			d.bytes.Add(int64(w))
			if cut {
				r.CutAll()
				return
			}
			if err != nil {
				l.reset(nil)
				return
			}
			data = data[k:]
		}
		if rerr != nil {
			if !errors.Is(rerr, io.EOF) {
				l.reset(nil)
				return
			}
			dst.CloseWrite() // pass the half-close on
			return
		}
	}
}

// chunk returns how much to read at a time: one token bucket, so a slow
// direction does not swallow more than it may send.
func (r *Relay) chunk(d *direction, max int) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	if d.lim == nil {
		return max
	}
	return min(max, d.lim.Burst())
}

// spend takes up to n bytes from the CutAfter budget and reports how many
// may be sent and whether the connections are to be cut after them.
func (r *Relay) spend(n int) (int, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.cutBudget < 0 {
		return n, false
	}
	k := int(min(int64(n), r.cutBudget))
	r.cutBudget -= int64(k)
	if r.cutBudget == 0 {
		r.cutBudget = -1
		return k, true
	}
	return k, false
}

// hold waits until n bytes may go on in direction d: no stall, and the
// rate's tokens. It returns errLinkDone if the link ends first.
func (r *Relay) hold(l *link, d *direction, n int) error {
	for n > 0 {
		r.mu.Lock()
		kick, until, lim := r.kick, r.stallUntil, d.lim
		r.mu.Unlock()
		now := time.Now()
		var res *rate.Reservation
		var wait time.Duration
		take := n
		switch {
		case now.Before(until):
			wait = until.Sub(now)
		case lim == nil:
			return nil
		default:
			take = min(n, lim.Burst())
			res = lim.ReserveN(now, take)
			wait = res.DelayFrom(now)
		}
		if wait > 0 {
			t := time.NewTimer(wait)
			select {
			case <-t.C:
				if res == nil {
					continue // the stall is over; now the rate
				}
			case <-kick:
				t.Stop()
				if res != nil {
					res.Cancel()
				}
				continue
			case <-l.done:
				t.Stop()
				return errLinkDone
			}
		}
		n -= take
	}
	return nil
}
