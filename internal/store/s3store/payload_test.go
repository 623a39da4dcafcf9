package s3store_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"sync"
	"testing"

	"github.com/tunesafe/tunesafe/internal/s3test"
)

// payloadSpy records the x-amz-content-sha256 of every PUT, and can strip
// the checksum from answers (a server that ignores the header) or damage
// the next body on its way (after the request was signed).
type payloadSpy struct {
	mu          sync.Mutex
	sent        []string
	hideEcho    bool
	damageNext  bool
	damageCount int
}

func (p *payloadSpy) wrap(next http.RoundTripper) http.RoundTripper {
	return roundTripFunc(func(req *http.Request) (*http.Response, error) {
		if req.Method != http.MethodPut {
			return next.RoundTrip(req)
		}
		p.mu.Lock()
		p.sent = append(p.sent, req.Header.Get("X-Amz-Content-Sha256"))
		damage := p.damageNext
		p.damageNext = false
		p.mu.Unlock()
		if damage && req.Body != nil {
			body, err := io.ReadAll(req.Body)
			if err != nil {
				return nil, err
			}
			body[len(body)/2] ^= 0x01
			req = req.Clone(req.Context())
			req.Body = io.NopCloser(bytes.NewReader(body))
			p.mu.Lock()
			p.damageCount++
			p.mu.Unlock()
		}
		resp, err := next.RoundTrip(req)
		if err == nil && p.hideEcho {
			resp.Header.Del("X-Amz-Checksum-Sha256")
		}
		return resp, err
	})
}

// TestPayloadSigning checks that the store signs the payload hash until the
// server has echoed a checksum, then sends UNSIGNED-PAYLOAD; that a body
// damaged after signing is still refused then; and that a server that never
// echoes the checksum gets every payload signed.
func TestPayloadSigning(t *testing.T) {
	for _, srv := range s3test.Servers(t) {
		t.Run(srv.Name, func(t *testing.T) {
			spy := &payloadSpy{}
			cfg := srv.NewBucket(t)
			cfg.WrapTransport = spy.wrap
			s := newStore(t, cfg)
			var datas [][]byte
			for i := range 3 {
				data := bytes.Repeat([]byte(fmt.Sprintf("object %d ", i)), 20_000)
				datas = append(datas, data)
				if err := s.Put(t.Context(), fmt.Sprintf("o/%d", i), data); err != nil {
					t.Fatal(err)
				}
			}
			first := sha256.Sum256(datas[0])
			if spy.sent[0] != hex.EncodeToString(first[:]) {
				t.Errorf("first PUT sent x-amz-content-sha256 %q, want the signed payload hash", spy.sent[0])
			}
			for i, h := range spy.sent[1:] {
				if h != "UNSIGNED-PAYLOAD" {
					t.Errorf("PUT %d sent x-amz-content-sha256 %q after the server echoed a checksum, want UNSIGNED-PAYLOAD", i+2, h)
				}
			}
			for i, data := range datas {
				info, err := s.Stat(t.Context(), fmt.Sprintf("o/%d", i))
				if err != nil {
					t.Fatal(err)
				}
				if sum := sha256.Sum256(data); !bytes.Equal(info.SHA256, sum[:]) {
					t.Errorf("object %d: stored checksum %x, want %x", i, info.SHA256, sum)
				}
			}

			// Unsigned, a body damaged on the way is refused by the
			// signed checksum header, and nothing is stored.
			spy.damageNext = true
			err := s.Put(t.Context(), "o/damaged", datas[0])
			if spy.damageCount != 1 {
				t.Fatalf("the spy damaged %d bodies, want 1", spy.damageCount)
			}
			if err == nil {
				t.Fatal("a damaged unsigned body was stored")
			}
			if _, err := s.Stat(t.Context(), "o/damaged"); !errors.Is(err, fs.ErrNotExist) {
				t.Fatalf("Stat of the refused object: %v, want not found", err)
			}

			// A server that does not echo the checksum may not check
			// it: every payload stays signed.
			quiet := &payloadSpy{hideEcho: true}
			cfg.WrapTransport = quiet.wrap
			q := newStore(t, cfg)
			for i := range 3 {
				if err := q.Put(t.Context(), fmt.Sprintf("q/%d", i), datas[i]); err != nil {
					t.Fatal(err)
				}
				if sum := sha256.Sum256(datas[i]); quiet.sent[i] != hex.EncodeToString(sum[:]) {
					t.Errorf("PUT %d to a server that does not echo checksums sent %q, want the signed payload hash", i+1, quiet.sent[i])
				}
			}
		})
	}
}
