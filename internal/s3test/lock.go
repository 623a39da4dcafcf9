package s3test

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/tunesafe/tunesafe/internal/store/s3store"
)

// Client returns a minio-go client with the target's root credentials, for
// tests that act behind Tunesafe's back: delete an object version, read a
// retention, list versions. Tunesafe itself only talks to S3 through
// package s3store.
func (tg Target) Client(t testing.TB) *minio.Client {
	t.Helper()
	c, err := tg.client()
	if err != nil {
		t.Fatalf("s3test: %v", err)
	}
	return c
}

func (tg Target) client() (*minio.Client, error) {
	host := strings.TrimPrefix(strings.TrimPrefix(tg.Endpoint, "http://"), "https://")
	opts := &minio.Options{
		Creds:        credentials.NewStaticV4(tg.AccessKey, tg.SecretKey, ""),
		Secure:       strings.HasPrefix(tg.Endpoint, "https://"),
		Region:       "us-east-1",
		BucketLookup: minio.BucketLookupPath,
	}
	if tg.CABundle != "" {
		pem, err := os.ReadFile(tg.CABundle)
		if err != nil {
			return nil, err
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("no certificate in %s", tg.CABundle)
		}
		tr, err := minio.DefaultTransport(true)
		if err != nil {
			return nil, err
		}
		tr.TLSClientConfig = &tls.Config{MinVersion: tls.VersionTLS12, RootCAs: pool}
		opts.Transport = tr
	}
	return minio.New(host, opts)
}

// NewLockedBucket creates a bucket with Object Lock enabled, which also
// enables versioning (versitygw keeps the versions in the gateway's
// VersioningDir), and returns a store configuration for it. The bucket has
// no default retention: retention comes from each PUT.
//
// On an external target the bucket is removed when the test ends: every
// version is deleted with the governance bypass, so tests on external
// servers must lock objects in GOVERNANCE mode (COMPLIANCE versions cannot
// be removed by anyone before they expire).
func (tg Target) NewLockedBucket(t testing.TB) s3store.Config {
	t.Helper()
	var rnd [4]byte
	_, _ = rand.Read(rnd[:])
	name := fmt.Sprintf("ts-lock-%s-%d", hex.EncodeToString(rnd[:]), bucketSeq.Add(1))
	c := tg.Client(t)
	if err := c.MakeBucket(t.Context(), name, minio.MakeBucketOptions{Region: "us-east-1", ObjectLocking: true}); err != nil {
		t.Fatalf("s3test: making locked bucket on %s: %v", tg.Name, err)
	}
	if tg.External {
		t.Cleanup(func() {
			if err := removeLockedBucket(c, name); err != nil {
				t.Errorf("s3test: removing locked bucket %s from %s: %v", name, tg.Name, err)
			}
		})
	}
	return tg.Config(name)
}

// removeLockedBucket deletes every version and delete marker, bypassing
// governance retention, then the bucket.
func removeLockedBucket(c *minio.Client, bucket string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	for obj := range c.ListObjectsIter(ctx, bucket, minio.ListObjectsOptions{Recursive: true, WithVersions: true}) {
		if obj.Err != nil {
			return obj.Err
		}
		err := c.RemoveObject(ctx, bucket, obj.Key, minio.RemoveObjectOptions{VersionID: obj.VersionID, GovernanceBypass: true})
		if err != nil {
			return fmt.Errorf("%s (version %s): %w", obj.Key, obj.VersionID, err)
		}
	}
	return c.RemoveBucket(ctx, bucket)
}
