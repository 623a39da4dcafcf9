package faultrelay

import (
	"io"
	"time"
)

// SetLatency delays every byte by d each way on connections accepted from
// now on, as a line to a provider far away does: a request and its answer
// then take at least 2d, while bulk transfers keep their rate (the delay
// is a delay line, not a pause between reads). 0 removes it.
func (r *Relay) SetLatency(d time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.latency = max(d, 0)
}

// piece is what one read of the delayed side returned, and when.
type piece struct {
	data []byte
	at   time.Time
	err  error
}

// delayLine reads src in the background and hands on each piece lat after
// it was read. It holds at most delayPieces pieces in flight, so a
// receiver that stops reading stops the sender, as TCP would.
type delayLine struct {
	ch   <-chan piece
	lat  time.Duration
	cur  []byte
	err  error
	done <-chan struct{}
}

const delayPieces = 256

func newDelayLine(src io.Reader, lat time.Duration, done <-chan struct{}) *delayLine {
	ch := make(chan piece, delayPieces)
	go func() {
		defer close(ch)
		for {
			buf := make([]byte, 32<<10)
			n, err := src.Read(buf)
			select {
			case ch <- piece{buf[:n], time.Now(), err}:
			case <-done:
				return
			}
			if err != nil {
				return
			}
		}
	}()
	return &delayLine{ch: ch, lat: lat, done: done}
}

func (d *delayLine) Read(p []byte) (int, error) {
	for len(d.cur) == 0 {
		if d.err != nil {
			return 0, d.err
		}
		pc, ok := <-d.ch
		if !ok {
			return 0, errLinkDone
		}
		if wait := time.Until(pc.at.Add(d.lat)); wait > 0 {
			t := time.NewTimer(wait)
			select {
			case <-t.C:
			case <-d.done:
				t.Stop()
				return 0, errLinkDone
			}
		}
		d.cur, d.err = pc.data, pc.err
	}
	n := copy(p, d.cur)
	d.cur = d.cur[n:]
	return n, nil
}
