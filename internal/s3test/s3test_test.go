package s3test_test

import (
	"os"
	"testing"

	"github.com/tunesafe/tunesafe/internal/s3test"
	"github.com/tunesafe/tunesafe/internal/store/s3store"
)

func TestMain(m *testing.M) { s3test.Main(m) }

// TestWorkingDirectory checks that the gateway leaves this process's
// working directory alone (versitygw's posix backend changes its own), and
// keeps serving when a test changes it.
func TestWorkingDirectory(t *testing.T) {
	before, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	cfg := s3test.NewBucket(t)
	if after, _ := os.Getwd(); after != before {
		t.Fatalf("working directory changed from %s to %s", before, after)
	}
	t.Chdir(t.TempDir())
	s, err := s3store.New(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Put(t.Context(), "still/serving", []byte("yes")); err != nil {
		t.Fatalf("Put after t.Chdir: %v", err)
	}
}

func TestNewBucketIsFresh(t *testing.T) {
	a, b := s3test.NewBucket(t), s3test.NewBucket(t)
	if a.Bucket == b.Bucket {
		t.Fatalf("two NewBucket calls gave the same bucket %s", a.Bucket)
	}
	sa, err := s3store.New(t.Context(), a)
	if err != nil {
		t.Fatal(err)
	}
	if err := sa.Put(t.Context(), "only/in/a", []byte("x")); err != nil {
		t.Fatal(err)
	}
	sb, err := s3store.New(t.Context(), b)
	if err != nil {
		t.Fatal(err)
	}
	for info, err := range sb.List(t.Context(), "") {
		t.Fatalf("fresh bucket lists %v, %v", info, err)
	}
}

func TestServers(t *testing.T) {
	srvs := s3test.Servers(t)
	if srvs[0].Name != "versitygw" || srvs[0].External {
		t.Fatalf("first server = %+v, want the embedded versitygw", srvs[0])
	}
	endpoint, access, secret := s3test.Server(t)
	if endpoint != srvs[0].Endpoint || access != srvs[0].AccessKey || secret != srvs[0].SecretKey {
		t.Fatalf("Server() = %s %s %s, Servers()[0] = %+v", endpoint, access, secret, srvs[0])
	}
	for _, srv := range srvs {
		s, err := s3store.New(t.Context(), srv.NewBucket(t))
		if err != nil {
			t.Fatal(err)
		}
		if err := s.CheckBucket(t.Context()); err != nil {
			t.Fatalf("%s: %v", srv.Name, err)
		}
	}
}
