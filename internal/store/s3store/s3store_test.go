package s3store_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"net/http"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/tunesafe/tunesafe/internal/s3test"
	"github.com/tunesafe/tunesafe/internal/store"
	"github.com/tunesafe/tunesafe/internal/store/s3store"
	"github.com/tunesafe/tunesafe/internal/store/storetest"
)

func TestMain(m *testing.M) { s3test.Main(m) }

func newStore(t *testing.T, cfg s3store.Config) *s3store.Store {
	t.Helper()
	s, err := s3store.New(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestConformance runs the store suite on every S3 server available:
// versitygw always, MinIO when configured.
func TestConformance(t *testing.T) {
	for _, srv := range s3test.Servers(t) {
		t.Run(srv.Name, func(t *testing.T) {
			storetest.Run(t, func(t *testing.T) store.Store { return newStore(t, srv.NewBucket(t)) })
		})
	}
}

// TestConformancePrefix runs the suite on a store below a prefix, in a
// bucket that also holds objects just outside it, which must stay
// invisible and untouched.
func TestConformancePrefix(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		cfg := s3test.NewBucket(t)
		root := newStore(t, cfg)
		neighbours := []string{"a", "vault-one/x", "vault/on", "vault/one-", "vault/onf"}
		for _, k := range neighbours {
			if err := root.Put(t.Context(), k, []byte("neighbour")); err != nil {
				t.Fatal(err)
			}
		}
		t.Cleanup(func() {
			var keys []string
			for info, err := range root.List(context.Background(), "") {
				if err != nil {
					t.Fatal(err)
				}
				keys = append(keys, info.Key)
			}
			for _, k := range neighbours {
				if !slices.Contains(keys, k) {
					t.Errorf("the prefixed store removed its neighbour %s", k)
				}
			}
		})
		cfg.Prefix = "/vault/one/"
		s := newStore(t, cfg)
		if got, want := s.String(), "s3://"+cfg.Bucket+"/vault/one/"; got != want {
			t.Errorf("String() = %q, want %q", got, want)
		}
		return s
	})
}

// TestProviderChecksum checks that every Put leaves the provider with the
// object's SHA-256, which Stat reports, and that the provider refuses a body
// that does not match the checksum sent with it.
func TestProviderChecksum(t *testing.T) {
	for _, srv := range s3test.Servers(t) {
		t.Run(srv.Name, func(t *testing.T) {
			cfg := srv.NewBucket(t)
			s := newStore(t, cfg)
			data := bytes.Repeat([]byte("tunesafe"), 100_000)
			if err := s.Put(t.Context(), "sum/me", data); err != nil {
				t.Fatal(err)
			}
			info, err := s.Stat(t.Context(), "sum/me")
			if err != nil {
				t.Fatal(err)
			}
			if sum := sha256.Sum256(data); !bytes.Equal(info.SHA256, sum[:]) {
				t.Fatalf("Stat SHA256 = %x, want %x", info.SHA256, sum)
			}

			// The same request with a wrong checksum header, made with
			// the client directly: the server must refuse it.
			client, err := minio.New(hostOf(srv.Endpoint), &minio.Options{
				Creds:  credentials.NewStaticV4(srv.AccessKey, srv.SecretKey, ""),
				Region: "us-east-1", BucketLookup: minio.BucketLookupPath,
			})
			if err != nil {
				t.Fatal(err)
			}
			wrong := sha256.Sum256([]byte("something else"))
			_, err = minio.Core{Client: client}.PutObject(t.Context(), cfg.Bucket, "sum/bad", bytes.NewReader(data), int64(len(data)), "", "",
				minio.PutObjectOptions{UserMetadata: map[string]string{"x-amz-checksum-sha256": b64(wrong[:])}, DisableContentSha256: true})
			// AWS and versitygw say BadDigest, MinIO
			// XAmzContentChecksumMismatch.
			if code := minio.ToErrorResponse(err).Code; code != "BadDigest" && code != "XAmzContentChecksumMismatch" {
				t.Fatalf("PUT with a wrong x-amz-checksum-sha256: %v (code %q), want BadDigest", err, code)
			}
			if _, err := s.Stat(t.Context(), "sum/bad"); err == nil {
				t.Fatal("the object with the wrong checksum was stored")
			}
		})
	}
}

// TestListSkipsForeignObjects checks that objects in the bucket whose names
// are not keys, such as the "folder/" markers consoles create, are not
// listed.
func TestListSkipsForeignObjects(t *testing.T) {
	srv := s3test.Servers(t)[0]
	cfg := srv.NewBucket(t)
	client, err := minio.New(hostOf(srv.Endpoint), &minio.Options{
		Creds:  credentials.NewStaticV4(srv.AccessKey, srv.SecretKey, ""),
		Region: "us-east-1", BucketLookup: minio.BucketLookupPath,
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"folder/", "has space"} {
		if _, err := client.PutObject(t.Context(), cfg.Bucket, name, bytes.NewReader(nil), 0, minio.PutObjectOptions{DisableContentSha256: true}); err != nil {
			t.Fatalf("putting %q: %v", name, err)
		}
	}
	s := newStore(t, cfg)
	if err := s.Put(t.Context(), "folder/real", []byte("x")); err != nil {
		t.Fatal(err)
	}
	var keys []string
	for info, err := range s.List(t.Context(), "") {
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, info.Key)
	}
	if !slices.Equal(keys, []string{"folder/real"}) {
		t.Fatalf("List = %q, want [folder/real]", keys)
	}
}

func TestNewRejects(t *testing.T) {
	creds := credentials.NewStaticV4("a", "b", "")
	for _, c := range []struct {
		name string
		cfg  s3store.Config
		kind string
	}{
		{"no bucket", s3store.Config{Credentials: creds}, store.KindInvalid},
		{"bad bucket name", s3store.Config{Bucket: "a", Credentials: creds}, store.KindInvalid},
		{"no credentials", s3store.Config{Bucket: "bucket"}, store.KindCredentials},
		{"empty credentials", s3store.Config{Bucket: "bucket", Credentials: credentials.NewStaticV4("", "", "")}, store.KindCredentials},
		{"bad scheme", s3store.Config{Bucket: "bucket", Credentials: creds, Endpoint: "ftp://host"}, store.KindInvalid},
		{"endpoint path", s3store.Config{Bucket: "bucket", Credentials: creds, Endpoint: "http://host/bucket"}, store.KindInvalid},
		{"bad prefix", s3store.Config{Bucket: "bucket", Credentials: creds, Prefix: "a//b"}, store.KindInvalid},
		{"missing CA bundle", s3store.Config{Bucket: "bucket", Credentials: creds, CABundle: "/nonexistent/ca.pem"}, store.KindInvalid},
		{"CA bundle without certificates", s3store.Config{Bucket: "bucket", Credentials: creds, CABundle: "s3store_test.go"}, store.KindInvalid},
	} {
		_, err := s3store.New(t.Context(), c.cfg)
		if store.KindOf(err) != c.kind || !store.IsPermanent(err) {
			t.Errorf("%s: New = %v (kind %q), want a permanent %q error", c.name, err, store.KindOf(err), c.kind)
		}
	}
}

// TestEndpoint: the store names the server it talks to by host and port,
// lowercased, whatever the form of the configured endpoint; AWS's default
// is "".
func TestEndpoint(t *testing.T) {
	creds := credentials.NewStaticV4("a", "b", "")
	for _, c := range []struct{ endpoint, want string }{
		{"", ""},
		{"http://MinIO.Example:9000", "minio.example:9000"},
		{"https://s3.eu-west-1.amazonaws.com/", "s3.eu-west-1.amazonaws.com"},
		{"nas.local:9000", "nas.local:9000"},
	} {
		s, err := s3store.New(t.Context(), s3store.Config{Bucket: "bucket", Prefix: "vault", Endpoint: c.endpoint, Credentials: creds})
		if err != nil {
			t.Fatal(err)
		}
		if s.Endpoint() != c.want {
			t.Errorf("endpoint %q: Endpoint() = %q, want %q", c.endpoint, s.Endpoint(), c.want)
		}
		locked, err := s.WithObjectLock(s3store.ObjectLock{Mode: s3store.Governance, Period: 24 * time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		if locked.Endpoint() != s.Endpoint() {
			t.Errorf("endpoint %q: the locked store says %q", c.endpoint, locked.Endpoint())
		}
	}
}

// TestWrapTransport checks that every request goes through the wrapper
// (where the command line installs bandwidth limits).
func TestWrapTransport(t *testing.T) {
	cfg := s3test.NewBucket(t)
	var n atomic.Int64
	cfg.WrapTransport = func(next http.RoundTripper) http.RoundTripper {
		return roundTripFunc(func(req *http.Request) (*http.Response, error) {
			n.Add(1)
			return next.RoundTrip(req)
		})
	}
	s := newStore(t, cfg)
	if err := s.Put(t.Context(), "k", []byte("v")); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Stat(t.Context(), "k"); err != nil {
		t.Fatal(err)
	}
	if n.Load() != 2 {
		t.Fatalf("%d requests went through the wrapper, want 2", n.Load())
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(req *http.Request) (*http.Response, error) { return f(req) }
