package s3store_test

import (
	"bytes"
	"crypto/sha256"
	"strings"
	"testing"

	"github.com/tunesafe/tunesafe/internal/s3test"
	"github.com/tunesafe/tunesafe/internal/store"
	"github.com/tunesafe/tunesafe/internal/store/s3store"
	"github.com/tunesafe/tunesafe/internal/store/storetest"
)

// TestTLSWithCABundle reaches a versitygw that serves HTTPS with a
// self-signed certificate, trusting it through AWS_CA_BUNDLE.
func TestTLSWithCABundle(t *testing.T) {
	isolateEnv(t)
	srv := s3test.TLSServer(t)
	bucket := srv.NewBucket(t).Bucket
	t.Setenv("AWS_ACCESS_KEY_ID", srv.AccessKey)
	t.Setenv("AWS_SECRET_ACCESS_KEY", srv.SecretKey)
	t.Setenv("AWS_ENDPOINT_URL", srv.Endpoint)
	t.Setenv("AWS_CA_BUNDLE", srv.CABundle)
	cfg, err := s3store.ConfigFromEnv(mustURL(t, "s3://"+bucket+"/tls"), "")
	if err != nil {
		t.Fatal(err)
	}
	s := newStore(t, cfg)
	if err := s.CheckBucket(t.Context()); err != nil {
		t.Fatal(err)
	}
	data := bytes.Repeat([]byte("over TLS "), 1000)
	if err := s.Put(t.Context(), "k", data); err != nil {
		t.Fatal(err)
	}
	info, err := s.Stat(t.Context(), "k")
	if sum := sha256.Sum256(data); err != nil || !bytes.Equal(info.SHA256, sum[:]) {
		t.Fatalf("Stat = %+v, %v; want SHA256 %x", info, err, sum)
	}

	// Without the bundle the certificate is not trusted: a permanent
	// error, not a network hiccup to retry.
	cfg.CABundle = ""
	err = newStore(t, cfg).CheckBucket(t.Context())
	if store.KindOf(err) != store.KindTLS || !store.IsPermanent(err) || !strings.Contains(err.Error(), "AWS_CA_BUNDLE") || strings.Contains(err.Error(), "http") {
		t.Fatalf("without AWS_CA_BUNDLE: %v (kind %q), want a permanent %q error naming AWS_CA_BUNDLE, without the request's URL", err, store.KindOf(err), store.KindTLS)
	}
}

// TestConformanceTLS runs the store suite over HTTPS, where requests are
// signed the same way but the transport differs.
func TestConformanceTLS(t *testing.T) {
	srv := s3test.TLSServer(t)
	storetest.Run(t, func(t *testing.T) store.Store { return newStore(t, srv.NewBucket(t)) })
}
