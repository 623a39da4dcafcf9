package bwlimit

import (
	"io"
	"net/http"
)

// Transport returns an http.RoundTripper that sends request bodies no
// faster than up allows and receives response bodies no faster than down
// allows; either may be nil for no limit. A nil next means
// http.DefaultTransport.
//
// The request is not modified: the limited body goes on a shallow copy,
// whose GetBody (used by net/http to resend a body on a fresh connection)
// returns limited bodies too. Waits end when the request's context does,
// or when the body is closed.
func Transport(next http.RoundTripper, up, down *Limiter) http.RoundTripper {
	if next == nil {
		next = http.DefaultTransport
	}
	return &transport{next: next, up: up, down: down}
}

type transport struct {
	next     http.RoundTripper
	up, down *Limiter
}

func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	if t.up != nil && req.Body != nil && req.Body != http.NoBody {
		orig := req
		req = orig.WithContext(ctx) // a shallow copy
		req.Body = t.up.readCloser(ctx, orig.Body)
		if getBody := orig.GetBody; getBody != nil {
			req.GetBody = func() (io.ReadCloser, error) {
				b, err := getBody()
				if err != nil || b == nil || b == http.NoBody {
					return b, err
				}
				return t.up.readCloser(ctx, b), nil
			}
		}
	}
	resp, err := t.next.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	if t.down != nil && resp.Body != nil && resp.Body != http.NoBody {
		resp.Body = t.down.readCloser(ctx, resp.Body)
	}
	return resp, nil
}

// CloseIdleConnections passes the call on, so that
// http.Client.CloseIdleConnections keeps working through the wrapper.
func (t *transport) CloseIdleConnections() {
	if c, ok := t.next.(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
}
