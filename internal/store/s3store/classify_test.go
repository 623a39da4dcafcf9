package s3store_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/url"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/tunesafe/tunesafe/internal/s3test"
	"github.com/tunesafe/tunesafe/internal/store"
	"github.com/tunesafe/tunesafe/internal/store/s3store"
)

// ops runs every store operation that reaches the server and returns the
// errors by name. The 5 MiB Put is repeated: a server that refuses it may
// close the connection before the client has sent the body.
func ops(t *testing.T, s *s3store.Store) map[string]error {
	ctx := t.Context()
	errs := map[string]error{"CheckBucket": s.CheckBucket(ctx)}
	errs["Put"] = s.Put(ctx, "k", []byte("small"))
	for i := range 3 {
		errs[fmt.Sprintf("Put 5 MiB #%d", i)] = s.Put(ctx, "big", bytes.Repeat([]byte{7}, 5<<20))
	}
	_, errs["Get"] = s.Get(ctx, "k", 0, -1)
	_, errs["Stat"] = s.Stat(ctx, "k")
	errs["Delete"] = s.Delete(ctx, "k")
	for _, err := range s.List(ctx, "") {
		errs["List"] = err
	}
	return errs
}

func wantClass(t *testing.T, errs map[string]error, kind string, transient bool, except ...string) {
	t.Helper()
	for op, err := range errs {
		if slices.Contains(except, op) {
			continue
		}
		if err == nil || store.KindOf(err) != kind || store.IsTransient(err) != transient {
			t.Errorf("%s: %v (kind %q, transient %v), want kind %q, transient %v",
				op, err, store.KindOf(err), store.IsTransient(err), kind, transient)
		}
	}
}

func TestClassifyWrongCredentials(t *testing.T) {
	for _, srv := range s3test.Servers(t) {
		t.Run(srv.Name, func(t *testing.T) {
			cfg := srv.NewBucket(t)
			for _, c := range []struct {
				name  string
				creds *credentials.Credentials
			}{
				{"wrong secret", credentials.NewStaticV4(srv.AccessKey, "not-the-secret", "")},
				{"unknown access key", credentials.NewStaticV4("NOSUCHACCESSKEY", srv.SecretKey, "")},
			} {
				cfg.Credentials = c.creds
				errs := ops(t, newStore(t, cfg))
				// HEAD answers carry no error code: a refused Stat is
				// access-denied (403), or on versitygw, which answers
				// an unknown key with 404, not-found. CheckBucket is
				// the diagnostic.
				wantClass(t, errs, store.KindCredentials, false, "Stat")
				if err := errs["Stat"]; err == nil || store.IsTransient(err) {
					t.Errorf("%s: Stat: %v, want a permanent error", c.name, err)
				}
			}
		})
	}
}

func TestClassifyMissingBucket(t *testing.T) {
	for _, srv := range s3test.Servers(t) {
		t.Run(srv.Name, func(t *testing.T) {
			cfg := srv.Config("no-such-bucket-tunesafe")
			errs := ops(t, newStore(t, cfg))
			// A HEAD on a missing bucket may look like one on a
			// missing object (404, no body: versitygw); MinIO names
			// the bucket in a header. CheckBucket is the diagnostic.
			wantClass(t, errs, store.KindNoBucket, false, "Stat")
			if err := errs["Stat"]; !errors.Is(err, fs.ErrNotExist) && store.KindOf(err) != store.KindNoBucket {
				t.Errorf("Stat: %v, want not-found or %q", err, store.KindNoBucket)
			}
		})
	}
}

func TestClassifyClosedPort(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	s := newStore(t, s3store.Config{
		Bucket: "closed-port", Endpoint: "http://" + addr,
		Credentials: credentials.NewStaticV4("a", "b", ""),
	})
	errs := ops(t, s)
	wantClass(t, errs, store.KindUnreachable, true)
	// Said in words, without Go's chain and the request's URL.
	for op, err := range errs {
		if msg := err.Error(); !strings.Contains(msg, "cannot connect to "+addr+": connection refused") || strings.Contains(msg, "http://") || strings.Contains(msg, "dial tcp") {
			t.Errorf("%s: %q, want 'cannot connect to %s: connection refused' without the URL", op, msg, addr)
		}
	}
	if !errors.Is(errs["Get"], syscall.ECONNREFUSED) {
		t.Errorf("Get: %v does not unwrap to ECONNREFUSED", errs["Get"])
	}
}

// TestClassifyNotTLS points an HTTPS client at the plain-HTTP gateway.
func TestClassifyNotTLS(t *testing.T) {
	cfg := s3test.NewBucket(t)
	u, err := url.Parse(cfg.Endpoint)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Endpoint = "https://" + u.Host
	err = newStore(t, cfg).CheckBucket(t.Context())
	if store.KindOf(err) != store.KindTLS || !store.IsPermanent(err) || !strings.Contains(err.Error(), "use an http:// endpoint") {
		t.Fatalf("HTTPS to an HTTP server: %v (kind %q), want permanent %q saying to use http://", err, store.KindOf(err), store.KindTLS)
	}
}

// TestClassifyResponses covers answers no test server can be made to give.
func TestClassifyResponses(t *testing.T) {
	ctx := t.Context()
	for _, c := range []struct {
		err       error
		kind      string
		transient bool
		notFound  bool
	}{
		{minio.ErrorResponse{Code: "SlowDown", StatusCode: 503}, store.KindThrottled, true, false},
		{minio.ErrorResponse{Code: "SlowDownRead", StatusCode: 503}, store.KindServer, true, false},
		{minio.ErrorResponse{Code: "Throttling", StatusCode: 400}, store.KindThrottled, true, false},
		{minio.ErrorResponse{Code: "ServiceUnavailable", StatusCode: 503}, store.KindServer, true, false},
		{minio.ErrorResponse{Code: "InternalError", StatusCode: 500}, store.KindServer, true, false},
		{minio.ErrorResponse{StatusCode: 502}, store.KindServer, true, false},
		{minio.ErrorResponse{Code: "TooManyRequests", StatusCode: 429}, store.KindThrottled, true, false},
		{minio.ErrorResponse{StatusCode: 429}, store.KindThrottled, true, false},
		{minio.ErrorResponse{Code: "BadDigest", StatusCode: 400}, store.KindServer, true, false},
		{minio.ErrorResponse{Code: "XAmzContentSHA256Mismatch", StatusCode: 400}, store.KindServer, true, false},
		{minio.ErrorResponse{Code: "XAmzContentChecksumMismatch", StatusCode: 400}, store.KindServer, true, false},
		{minio.ErrorResponse{Code: "ExpiredToken", StatusCode: 400}, store.KindCredentials, false, false},
		// A malformed Authorization header is a signing problem, unless
		// the server names the bucket's region: then it is the region.
		{minio.ErrorResponse{Code: "AuthorizationHeaderMalformed", StatusCode: 400}, store.KindCredentials, false, false},
		{minio.ErrorResponse{Code: "AuthorizationHeaderMalformed", StatusCode: 400, Region: "eu-central-1"}, store.KindRegion, false, false},
		{minio.ErrorResponse{Code: "InvalidRegion", StatusCode: 400}, store.KindRegion, false, false},
		{minio.ErrorResponse{Code: "RequestTimeTooSkewed", StatusCode: 403}, store.KindClock, false, false},
		{minio.ErrorResponse{Code: "AccessDenied", StatusCode: 403}, store.KindAccessDenied, false, false},
		{minio.ErrorResponse{Code: "NoSuchBucket", StatusCode: 404}, store.KindNoBucket, false, false},
		{minio.ErrorResponse{Code: "NoSuchKey", StatusCode: 404}, "", false, true},
		{minio.ErrorResponse{Code: "XMinioStorageFull", StatusCode: 507}, store.KindDiskFull, false, false},
		{minio.ErrorResponse{Code: "ObjectParentIsFile", StatusCode: 409}, store.KindInvalid, false, false},
		{minio.ErrorResponse{Code: "InvalidArgument"}, store.KindInvalid, false, false},
		{&url.Error{Op: "Put", URL: "https://s3.example", Err: &net.DNSError{Err: "no such host", Name: "s3.example", IsNotFound: true}},
			store.KindUnreachable, true, false},
		{&url.Error{Op: "Get", URL: "https://s3.example", Err: context.DeadlineExceeded}, store.KindUnreachable, true, false},
		// Not from S3: a missing file must not pass for a missing object.
		{fmt.Errorf("open ca.pem: %w", fs.ErrNotExist), "", false, false},
	} {
		err := s3store.Classify(ctx, "op", c.err)
		if store.KindOf(err) != c.kind || store.IsTransient(err) != c.transient || errors.Is(err, fs.ErrNotExist) != c.notFound {
			t.Errorf("%#v: %v (kind %q, transient %v, not-found %v), want kind %q, transient %v, not-found %v",
				c.err, err, store.KindOf(err), store.IsTransient(err), errors.Is(err, fs.ErrNotExist), c.kind, c.transient, c.notFound)
		}
	}
	// The region the server names is kept for the hint.
	var re *s3store.RegionError
	if err := s3store.Classify(ctx, "list", minio.ErrorResponse{Code: "AuthorizationHeaderMalformed", StatusCode: 400, Region: "eu-central-1"}); !errors.As(err, &re) || re.Want != "eu-central-1" {
		t.Errorf("region error: %v, want a RegionError naming eu-central-1", err)
	}
	// A refused write says so: a key that may read but not write.
	if err := s3store.Classify(ctx, "put locks/x", minio.ErrorResponse{Code: "AccessDenied", StatusCode: 403}); !strings.Contains(err.Error(), "may not write") {
		t.Errorf("refused put: %v, want it to say the key may not write", err)
	}
	if err := s3store.Classify(ctx, "get tunesafe.json", minio.ErrorResponse{Code: "AccessDenied", StatusCode: 403}); strings.Contains(err.Error(), "may not write") {
		t.Errorf("refused get: %v, says the key may not write", err)
	}
	// A cancelled caller gets its context's error, whatever the cause.
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	err := s3store.Classify(cctx, "op", minio.ErrorResponse{Code: "SlowDown", StatusCode: 503})
	if !errors.Is(err, context.Canceled) || store.IsTransient(err) {
		t.Errorf("with a cancelled context: %v, want context.Canceled", err)
	}
}
