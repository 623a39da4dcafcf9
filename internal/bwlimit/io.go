package bwlimit

import (
	"context"
	"io"
	"sync"
)

// Reader returns a reader that reads from r no faster than l allows,
// waiting under ctx. Each Read reads at most one bucket from r and then
// waits for the tokens of what it read, so a download is slowed by TCP
// flow control rather than buffered. A nil l returns r itself.
func (l *Limiter) Reader(ctx context.Context, r io.Reader) io.Reader {
	if l == nil {
		return r
	}
	return &reader{ctx: ctx, r: r, l: l}
}

// Writer returns a writer that writes to w no faster than l allows,
// waiting under ctx before each slice of at most one bucket. A nil l
// returns w itself.
func (l *Limiter) Writer(ctx context.Context, w io.Writer) io.Writer {
	if l == nil {
		return w
	}
	return &writer{ctx: ctx, w: w, l: l}
}

type reader struct {
	ctx context.Context
	r   io.Reader
	l   *Limiter
}

func (r *reader) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return r.r.Read(p)
	}
	n, err := r.r.Read(p[:r.l.chunk(len(p))])
	if n > 0 {
		if werr := r.l.WaitN(r.ctx, n); werr != nil {
			// The bytes were read: hand them over with the error.
			return n, werr
		}
	}
	return n, err
}

type writer struct {
	ctx context.Context
	w   io.Writer
	l   *Limiter
}

func (w *writer) Write(p []byte) (int, error) {
	written := 0
	for len(p) > 0 {
		k := w.l.chunk(len(p))
		if err := w.l.WaitN(w.ctx, k); err != nil {
			return written, err
		}
		n, err := w.w.Write(p[:k])
		written += n
		if err != nil {
			return written, err
		}
		p = p[k:]
	}
	return written, nil
}

// readCloser limits an io.ReadCloser. Closing it also ends any wait in
// progress, so a body closed by another goroutine (as net/http does when
// a server answers before the request body is sent) does not keep a
// Read asleep.
type readCloser struct {
	reader
	c      io.Closer
	cancel context.CancelFunc
	once   sync.Once
	err    error
}

func (l *Limiter) readCloser(ctx context.Context, rc io.ReadCloser) io.ReadCloser {
	if l == nil {
		return rc
	}
	ctx, cancel := context.WithCancel(ctx)
	return &readCloser{reader: reader{ctx: ctx, r: rc, l: l}, c: rc, cancel: cancel}
}

func (r *readCloser) Close() error {
	r.once.Do(func() {
		r.cancel()
		r.err = r.c.Close()
	})
	return r.err
}
