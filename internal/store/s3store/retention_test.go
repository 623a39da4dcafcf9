package s3store_test

import (
	"errors"
	"io/fs"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"

	"github.com/tunesafe/tunesafe/internal/s3test"
	"github.com/tunesafe/tunesafe/internal/store"
	"github.com/tunesafe/tunesafe/internal/store/s3store"
)

// TestRetention checks, on every real server, that Retention reads the
// retention a locked Put gave, that ExtendRetention lengthens it and
// cannot shorten it, and what both say of objects without retention and
// of missing or hidden ones.
func TestRetention(t *testing.T) {
	for _, srv := range s3test.Servers(t) {
		t.Run(srv.Name, func(t *testing.T) {
			ctx := t.Context()
			cfg := srv.NewLockedBucket(t)
			cfg.Prefix = "vault"
			plain := newStore(t, cfg)
			locked, err := plain.WithObjectLock(s3store.ObjectLock{Mode: s3store.Governance, Period: time.Hour})
			if err != nil {
				t.Fatal(err)
			}

			before := time.Now()
			if err := locked.Put(ctx, "blobs/aa/locked", []byte("locked")); err != nil {
				t.Fatal(err)
			}
			mode, until, err := locked.Retention(ctx, "blobs/aa/locked")
			if err != nil || mode != "GOVERNANCE" || until.Before(before.Add(time.Hour).Truncate(time.Second)) || until.After(time.Now().Add(time.Hour+time.Second)) || until.Location() != time.UTC {
				t.Fatalf("Retention after a locked put = %q, %v, %v; want GOVERNANCE an hour from now", mode, until, err)
			}

			later := until.Add(24 * time.Hour)
			if err := locked.ExtendRetention(ctx, "blobs/aa/locked", mode, later); err != nil {
				t.Fatalf("ExtendRetention: %v", err)
			}
			if mode, got, err := plain.Retention(ctx, "blobs/aa/locked"); err != nil || mode != "GOVERNANCE" || !got.Equal(later) {
				t.Fatalf("Retention after extending to %v = %q, %v, %v", later, mode, got, err)
			}
			// The retention is what the server keeps, not only what it
			// reports: the version cannot be deleted.
			raw := srv.Client(t)
			oi, err := raw.StatObject(ctx, cfg.Bucket, "vault/blobs/aa/locked", minio.StatObjectOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if err := raw.RemoveObject(ctx, cfg.Bucket, "vault/blobs/aa/locked", minio.RemoveObjectOptions{VersionID: oi.VersionID}); err == nil {
				t.Fatal("deleting an extended version succeeded")
			}

			// Shortening is refused, for good, and changes nothing.
			err = locked.ExtendRetention(ctx, "blobs/aa/locked", mode, until)
			if err == nil || !store.IsPermanent(err) {
				t.Fatalf("ExtendRetention to an earlier date: %v, want a permanent error", err)
			}
			if _, got, err := plain.Retention(ctx, "blobs/aa/locked"); err != nil || !got.Equal(later) {
				t.Fatalf("Retention after a refused shortening = %v, %v, want %v", got, err, later)
			}
			if err := locked.ExtendRetention(ctx, "blobs/aa/locked", "FOREVER", later.Add(time.Hour)); err == nil || !store.IsPermanent(err) {
				t.Fatalf("ExtendRetention with an unknown mode: %v", err)
			}

			// An object put without a lock has no retention until one is
			// given.
			if err := plain.Put(ctx, "blobs/bb/unlocked", []byte("unlocked")); err != nil {
				t.Fatal(err)
			}
			if mode, got, err := plain.Retention(ctx, "blobs/bb/unlocked"); err != nil || mode != "" || !got.IsZero() {
				t.Fatalf("Retention of an object without one = %q, %v, %v", mode, got, err)
			}
			if err := plain.ExtendRetention(ctx, "blobs/bb/unlocked", "GOVERNANCE", later); err != nil {
				t.Fatalf("ExtendRetention of an object without retention: %v", err)
			}
			if mode, got, err := plain.Retention(ctx, "blobs/bb/unlocked"); err != nil || mode != "GOVERNANCE" || !got.Equal(later) {
				t.Fatalf("Retention after giving one = %q, %v, %v", mode, got, err)
			}

			// Missing, and hidden behind a delete marker: not found.
			if _, _, err := plain.Retention(ctx, "blobs/cc/missing"); !errors.Is(err, fs.ErrNotExist) {
				t.Fatalf("Retention of a missing object: %v", err)
			}
			if err := plain.Delete(ctx, "blobs/aa/locked"); err != nil {
				t.Fatal(err)
			}
			if _, _, err := plain.Retention(ctx, "blobs/aa/locked"); !errors.Is(err, fs.ErrNotExist) {
				t.Fatalf("Retention of an object behind a delete marker: %v", err)
			}
			if err := plain.ExtendRetention(ctx, "blobs/aa/locked", "GOVERNANCE", later.Add(time.Hour)); err == nil {
				t.Fatal("ExtendRetention of an object behind a delete marker succeeded")
			}
		})
	}
}
