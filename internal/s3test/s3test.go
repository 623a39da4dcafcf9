// Package s3test gives tests real S3 servers: an embedded versitygw that
// every test process can start, and an external MinIO when CI provides one.
// Tests talk to them with the real client code (package s3store); nothing is
// mocked.
//
// A test package that uses s3test routes its TestMain through Main, then
// asks for a fresh bucket per test:
//
//	func TestMain(m *testing.M) { s3test.Main(m) }
//
//	func TestUpload(t *testing.T) {
//		s, err := s3store.New(t.Context(), s3test.NewBucket(t))
//		…
//	}
//
// To run a test against every server there is, loop over Servers:
//
//	for _, srv := range s3test.Servers(t) {
//		t.Run(srv.Name, func(t *testing.T) { cfg := srv.NewBucket(t); … })
//	}
//
// # Why a child process
//
// versitygw's posix backend changes the process's working directory to its
// root and then opens objects by relative path, and embedgw allows one
// gateway per process. Inside a test process that would break every test
// reading testdata/ (and t.Chdir would break the gateway). So Main re-runs
// the test binary as a child that only serves the gateway (versitygw's
// embedgw, backend/posix with xattr or sidecar metadata) on a free
// 127.0.0.1 port. The child stops, and removes its data, when the parent
// exits or closes its standard input, so no server outlives the tests.
// TLSServer starts a second child that serves HTTPS with a self-signed
// certificate generated for the run.
//
// # External servers
//
// TUNESAFE_MINIO_ENDPOINT (a URL such as http://127.0.0.1:9000, or
// host:port for plain HTTP), TUNESAFE_MINIO_ACCESS_KEY and
// TUNESAFE_MINIO_SECRET_KEY add a MinIO target to Servers; .ci/minio.sh
// starts one and prints them. In CI (TUNESAFE_CI=1) their absence fails the
// tests that call Servers, so that MinIO coverage cannot vanish silently.
package s3test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/tunesafe/tunesafe/internal/store/s3store"
	"github.com/tunesafe/tunesafe/internal/testenv"
)

// Target is one S3 server tests can use.
type Target struct {
	// Name is "versitygw", "versitygw-tls" or "minio".
	Name string
	// Endpoint is the server's URL, "http://127.0.0.1:port".
	Endpoint string
	// AccessKey and SecretKey are the root account's credentials.
	AccessKey, SecretKey string
	// CABundle is the PEM file of the CA that signed the server's
	// certificate, for TLS targets; "" otherwise.
	CABundle string
	// External marks a server that outlives the test process; buckets
	// made on it are emptied and removed when their test ends.
	External bool
}

var (
	mainCalled atomic.Bool

	mu       sync.Mutex
	children = map[bool]*child{} // by TLS
)

// Main runs the tests of a package that uses s3test and stops the servers
// afterwards. Call it from TestMain. When the test binary runs as a gateway
// child, Main serves the gateway instead and never runs the tests.
func Main(m *testing.M) {
	if isChild() {
		os.Exit(runChild())
	}
	mainCalled.Store(true)
	code := m.Run()
	stopAll()
	os.Exit(code)
}

// Server returns the embedded versitygw's endpoint URL and root
// credentials, starting it on first use.
func Server(t testing.TB) (endpoint, access, secret string) {
	t.Helper()
	tg := versitygw(t)
	return tg.Endpoint, tg.AccessKey, tg.SecretKey
}

// TLSServer returns a versitygw target that serves HTTPS on 127.0.0.1 with a
// self-signed certificate; Target.CABundle names the certificate.
func TLSServer(t testing.TB) Target {
	t.Helper()
	tg, err := start(true)
	if err != nil {
		t.Fatalf("s3test: %v", err)
	}
	return tg
}

// Servers returns every S3 server the tests can use: the embedded
// versitygw always, and MinIO when TUNESAFE_MINIO_ENDPOINT is set. In CI a
// missing MinIO fails the test.
func Servers(t testing.TB) []Target {
	t.Helper()
	targets := []Target{versitygw(t)}
	if tg, ok := minioTarget(); ok {
		targets = append(targets, tg)
	} else if testenv.Strict() {
		testenv.SkipOrFail(t, "TUNESAFE_MINIO_ENDPOINT, TUNESAFE_MINIO_ACCESS_KEY and TUNESAFE_MINIO_SECRET_KEY are not set (run .ci/minio.sh)")
	}
	return targets
}

// NewBucket creates a fresh bucket on the embedded versitygw and returns a
// store configuration for it, with no prefix; set Prefix on the result to
// put the vault below one.
func NewBucket(t testing.TB) s3store.Config {
	t.Helper()
	return versitygw(t).NewBucket(t)
}

// Config returns a store configuration for bucket on the target.
func (tg Target) Config(bucket string) s3store.Config {
	return s3store.Config{
		Bucket:      bucket,
		Endpoint:    tg.Endpoint,
		Region:      "us-east-1",
		PathStyle:   s3store.PathStyleOn,
		Credentials: credentials.NewStaticV4(tg.AccessKey, tg.SecretKey, ""),
		CABundle:    tg.CABundle,
	}
}

var bucketSeq atomic.Int64

// NewBucket creates a bucket with a fresh name on the target, through
// s3store's MakeBucket, and returns a store configuration for it. On an
// external target the bucket and its objects are removed when the test
// ends; the embedded gateway's data goes with its process.
func (tg Target) NewBucket(t testing.TB) s3store.Config {
	t.Helper()
	var rnd [4]byte
	_, _ = rand.Read(rnd[:])
	name := fmt.Sprintf("ts-%s-%d", hex.EncodeToString(rnd[:]), bucketSeq.Add(1))
	cfg := tg.Config(name)
	s, err := s3store.New(t.Context(), cfg)
	if err != nil {
		t.Fatalf("s3test: %v", err)
	}
	if err := s.MakeBucket(t.Context()); err != nil {
		t.Fatalf("s3test: on %s: %v", tg.Name, err)
	}
	if tg.External {
		t.Cleanup(func() {
			if err := removeBucket(tg, name); err != nil {
				t.Errorf("s3test: removing bucket %s from %s: %v", name, tg.Name, err)
			}
		})
	}
	return cfg
}

func versitygw(t testing.TB) Target {
	t.Helper()
	tg, err := start(false)
	if err != nil {
		t.Fatalf("s3test: %v", err)
	}
	return tg
}

// start returns the gateway child of the given kind, starting it once per
// process.
func start(tls bool) (Target, error) {
	if !mainCalled.Load() {
		return Target{}, fmt.Errorf("the test package must run its tests through s3test: add\n\tfunc TestMain(m *testing.M) { s3test.Main(m) }")
	}
	mu.Lock()
	defer mu.Unlock()
	c := children[tls]
	if c == nil {
		c = startChild(tls)
		children[tls] = c
	}
	if c.err != nil {
		return Target{}, c.err
	}
	return c.target, nil
}

func minioTarget() (Target, bool) {
	endpoint := os.Getenv("TUNESAFE_MINIO_ENDPOINT")
	access, secret := os.Getenv("TUNESAFE_MINIO_ACCESS_KEY"), os.Getenv("TUNESAFE_MINIO_SECRET_KEY")
	if endpoint == "" || access == "" || secret == "" {
		return Target{}, false
	}
	if !strings.Contains(endpoint, "://") {
		endpoint = "http://" + endpoint
	}
	return Target{Name: "minio", Endpoint: endpoint, AccessKey: access, SecretKey: secret, External: true}, true
}

// removeBucket empties and removes a bucket, with the client directly:
// s3store deliberately has no way to remove a bucket.
func removeBucket(tg Target, bucket string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	host := strings.TrimPrefix(strings.TrimPrefix(tg.Endpoint, "http://"), "https://")
	client, err := minio.New(host, &minio.Options{
		Creds:        credentials.NewStaticV4(tg.AccessKey, tg.SecretKey, ""),
		Secure:       strings.HasPrefix(tg.Endpoint, "https://"),
		Region:       "us-east-1",
		BucketLookup: minio.BucketLookupPath,
	})
	if err != nil {
		return err
	}
	objects := client.ListObjects(ctx, bucket, minio.ListObjectsOptions{Recursive: true})
	for rerr := range client.RemoveObjects(ctx, bucket, objects, minio.RemoveObjectsOptions{}) {
		return fmt.Errorf("%s: %w", rerr.ObjectName, rerr.Err)
	}
	// MinIO accepts objects it does not list (a key below another key),
	// so ask it to remove whatever is left as well; other servers ignore
	// the request header.
	return client.RemoveBucketWithOptions(ctx, bucket, minio.RemoveBucketOptions{ForceDelete: true})
}
