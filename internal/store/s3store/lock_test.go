package s3store_test

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"

	"github.com/tunesafe/tunesafe/internal/s3test"
	"github.com/tunesafe/tunesafe/internal/store"
	"github.com/tunesafe/tunesafe/internal/store/s3store"
)

// TestObjectLock checks, on every real server, that a store with an
// ObjectLock gives each object it puts that retention, that the locked
// version then survives a delete by the same credentials, and that a plain
// Delete only hides it behind a delete marker.
func TestObjectLock(t *testing.T) {
	for _, srv := range s3test.Servers(t) {
		t.Run(srv.Name, func(t *testing.T) {
			ctx := t.Context()
			raw := srv.Client(t)
			cfg := srv.NewLockedBucket(t)
			cfg.Prefix = "vault"
			cfg.ObjectLock = s3store.ObjectLock{Mode: s3store.Governance, Period: time.Hour}
			s := newStore(t, cfg)

			if on, err := s.ObjectLockEnabled(ctx); err != nil || !on {
				t.Fatalf("ObjectLockEnabled on a locked bucket = %v, %v", on, err)
			}
			if on, err := newStore(t, srv.NewBucket(t)).ObjectLockEnabled(ctx); err != nil || on {
				t.Fatalf("ObjectLockEnabled on a plain bucket = %v, %v", on, err)
			}

			data := []byte("a locked blob")
			before := time.Now()
			if err := s.Put(ctx, "blobs/aa/locked", data); err != nil {
				t.Fatal(err)
			}
			after := time.Now()
			oi, err := raw.StatObject(ctx, cfg.Bucket, "vault/blobs/aa/locked", minio.StatObjectOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if m := oi.Metadata.Get("X-Amz-Object-Lock-Mode"); m != "GOVERNANCE" {
				t.Errorf("lock mode %q, want GOVERNANCE", m)
			}
			until, err := time.Parse(time.RFC3339, oi.Metadata.Get("X-Amz-Object-Lock-Retain-Until-Date"))
			if err != nil {
				t.Fatalf("retain-until date: %v", err)
			}
			if until.Before(before.Add(time.Hour).Truncate(time.Second)) || until.After(after.Add(time.Hour+time.Second)) {
				t.Errorf("retained until %v, want an hour after the put (%v)", until, before)
			}

			// The same credentials cannot destroy the version.
			err = raw.RemoveObject(ctx, cfg.Bucket, "vault/blobs/aa/locked", minio.RemoveObjectOptions{VersionID: oi.VersionID})
			if err == nil {
				t.Fatal("deleting a locked version succeeded")
			}
			// A plain delete only writes a delete marker.
			if err := s.Delete(ctx, "blobs/aa/locked"); err != nil {
				t.Fatalf("delete: %v", err)
			}
			if _, err := s.Stat(ctx, "blobs/aa/locked"); !errors.Is(err, fs.ErrNotExist) {
				t.Fatalf("stat after delete: %v", err)
			}
			obj, err := raw.GetObject(ctx, cfg.Bucket, "vault/blobs/aa/locked", minio.GetObjectOptions{VersionID: oi.VersionID})
			if err != nil {
				t.Fatal(err)
			}
			got, err := io.ReadAll(obj)
			obj.Close()
			if err != nil || !bytes.Equal(got, data) {
				t.Fatalf("the locked version after delete: %q, %v", got, err)
			}

			// A lock on a bucket without Object Lock is refused, for good.
			plain := srv.NewBucket(t)
			plain.ObjectLock = cfg.ObjectLock
			err = newStore(t, plain).Put(ctx, "blobs/aa/x", data)
			if err == nil || !store.IsPermanent(err) {
				t.Fatalf("locked put to a bucket without Object Lock: %v", err)
			}
		})
	}
}

// TestObjectLockCompliance: a COMPLIANCE version cannot be removed even with
// the governance bypass. Only on the embedded gateway, whose data goes with
// its process: an external server would keep the version until it expires.
func TestObjectLockCompliance(t *testing.T) {
	srv := s3test.Servers(t)[0]
	ctx := t.Context()
	cfg := srv.NewLockedBucket(t)
	cfg.ObjectLock = s3store.ObjectLock{Mode: s3store.Compliance, Period: time.Hour}
	s := newStore(t, cfg)
	if err := s.Put(ctx, "blobs/bb/locked", []byte("compliance")); err != nil {
		t.Fatal(err)
	}
	raw := srv.Client(t)
	oi, err := raw.StatObject(ctx, cfg.Bucket, "blobs/bb/locked", minio.StatObjectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if m := oi.Metadata.Get("X-Amz-Object-Lock-Mode"); m != "COMPLIANCE" {
		t.Errorf("lock mode %q, want COMPLIANCE", m)
	}
	err = raw.RemoveObject(ctx, cfg.Bucket, "blobs/bb/locked", minio.RemoveObjectOptions{VersionID: oi.VersionID, GovernanceBypass: true})
	if err == nil {
		t.Fatal("deleting a COMPLIANCE version with the governance bypass succeeded")
	}
}

func TestObjectLockConfig(t *testing.T) {
	if got := s3store.RetainUntil(time.Date(2026, 1, 2, 3, 4, 5, 1, time.FixedZone("x", 3600)), 24*time.Hour); !got.Equal(time.Date(2026, 1, 3, 2, 4, 6, 0, time.UTC)) || got.Location() != time.UTC {
		t.Errorf("RetainUntil rounds to %v", got)
	}
	cfg := s3test.NewBucket(t)
	cfg.ObjectLock = s3store.ObjectLock{Mode: "FOREVER", Period: time.Hour}
	if _, err := s3store.New(t.Context(), cfg); err == nil {
		t.Error("New accepted an unknown lock mode")
	}
	cfg.ObjectLock = s3store.ObjectLock{}
	s := newStore(t, cfg)
	if _, err := s.WithObjectLock(s3store.ObjectLock{Mode: s3store.Governance, Period: -time.Hour}); err == nil {
		t.Error("WithObjectLock accepted a negative period")
	}
	l, err := s.WithObjectLock(s3store.ObjectLock{Mode: s3store.Compliance, Period: time.Hour})
	if err != nil || l.ObjectLock().Mode != s3store.Compliance || s.ObjectLock().Enabled() || l.String() != s.String() {
		t.Errorf("WithObjectLock: %v, %+v", err, l)
	}
}
