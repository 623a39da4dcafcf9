package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"

	"github.com/tunesafe/tunesafe/internal/s3test"
	"github.com/tunesafe/tunesafe/internal/store"
	"github.com/tunesafe/tunesafe/internal/store/s3store"
	"github.com/tunesafe/tunesafe/internal/vault"
)

// TestObjectLockVault makes a vault with init --object-lock on a bucket
// with Object Lock, on every real S3 server, and checks that every object
// is locked, that the storage credentials cannot destroy a locked blob,
// that prune keeps locked unreferenced data, that a delete marker slipped
// in behind Tunesafe's back is repaired, and that the audit stays clean.
func TestObjectLockVault(t *testing.T) {
	for _, srv := range s3test.Servers(t) {
		t.Run(srv.Name, func(t *testing.T) {
			ctx := context.Background()
			cfg := srv.NewLockedBucket(t)
			loc := "s3://" + cfg.Bucket + "/vault"
			dir := t.TempDir()
			music := oneTrackLibrary(t, dir)
			os.WriteFile(filepath.Join(music, "b.mp3"), []byte(strings.Repeat("b.mp3", 3000)), 0o644)
			env := lockedVaultEnv(srv, dir, loc)
			run := func(args ...string) (int, string, string) { return tunesafe(t, env, args...) }

			start := time.Now()
			code, stdout, stderr := run("init", loc, "--encrypt", "--kdf-work", "10", "--no-default", "--object-lock", "30d")
			if code != 0 || !strings.Contains(stdout, "locked (S3 Object Lock, GOVERNANCE) for 30 days") {
				t.Fatalf("init: exit %d\n%s%s", code, stdout, stderr)
			}
			raw := cfg
			raw.Prefix = "vault"
			rs, err := s3store.New(ctx, raw)
			if err != nil {
				t.Fatal(err)
			}
			b, err := store.ReadAll(ctx, rs, vault.ConfigKey)
			if err != nil {
				t.Fatal(err)
			}
			var vc vault.Config
			if err := json.Unmarshal(b, &vc); err != nil || vc.ObjectLock == nil || *vc.ObjectLock != (vault.ObjectLock{Mode: "GOVERNANCE", Days: 30}) || vc.Minor != 1 {
				t.Fatalf("tunesafe.json: %v\n%s", err, b)
			}
			if code, _, stderr := run("backup", music); code != 0 {
				t.Fatalf("backup: %s", stderr)
			}

			// Every object the vault holds, the first ones included, is
			// locked for 30 days from its upload.
			client := srv.Client(t)
			var blobs []string
			n := 0
			for obj := range client.ListObjectsIter(ctx, cfg.Bucket, minio.ListObjectsOptions{Prefix: "vault/", Recursive: true}) {
				if obj.Err != nil {
					t.Fatal(obj.Err)
				}
				n++
				oi, err := client.StatObject(ctx, cfg.Bucket, obj.Key, minio.StatObjectOptions{})
				if err != nil {
					t.Fatal(err)
				}
				if m := oi.Metadata.Get("X-Amz-Object-Lock-Mode"); m != "GOVERNANCE" {
					t.Errorf("%s: lock mode %q", obj.Key, m)
				}
				until, err := time.Parse(time.RFC3339, oi.Metadata.Get("X-Amz-Object-Lock-Retain-Until-Date"))
				if err != nil || until.Before(start.Add(30*day-time.Minute)) || until.After(time.Now().Add(30*day+time.Minute)) {
					t.Errorf("%s: retained until %v (%v), want 30 days from now", obj.Key, until, err)
				}
				if strings.HasPrefix(obj.Key, "vault/blobs/") {
					blobs = append(blobs, obj.Key)
				}
			}
			if n < 5 || len(blobs) < 2 {
				t.Fatalf("%d objects, %d blobs", n, len(blobs))
			}

			// The storage credentials cannot destroy a locked blob.
			oi, err := client.StatObject(ctx, cfg.Bucket, blobs[0], minio.StatObjectOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if err := client.RemoveObject(ctx, cfg.Bucket, blobs[0], minio.RemoveObjectOptions{VersionID: oi.VersionID}); err == nil {
				t.Fatalf("deleting the locked blob %s succeeded", blobs[0])
			}
			if _, err := client.StatObject(ctx, cfg.Bucket, blobs[0], minio.StatObjectOptions{VersionID: oi.VersionID}); err != nil {
				t.Fatalf("the blob is gone after a refused delete: %v", err)
			}

			// Prune keeps what is unreferenced but still locked.
			code, stdout, _ = run("snapshots", "--json")
			var snaps []struct {
				ID string `json:"id"`
			}
			if err := json.Unmarshal([]byte(stdout), &snaps); err != nil || len(snaps) != 1 {
				t.Fatalf("snapshots: %v\n%s", err, stdout)
			}
			os.Remove(filepath.Join(music, "b.mp3"))
			if code, _, stderr := run("backup", music); code != 0 {
				t.Fatalf("backup: %s", stderr)
			}
			if code, _, stderr := run("forget", snaps[0].ID); code != 0 {
				t.Fatalf("forget: %s", stderr)
			}
			code, stdout, stderr = run("prune", "--dry-run")
			if code != 0 || !strings.Contains(stdout, "would keep 3 unreferenced objects still under Object Lock retention") {
				t.Fatalf("prune --dry-run: exit %d\n%s%s", code, stdout, stderr)
			}
			code, stdout, stderr = run("prune", "--json")
			var pr struct {
				Deleted int              `json:"deleted"`
				Kept    []map[string]any `json:"kept_by_object_lock"`
			}
			if err := json.Unmarshal([]byte(stdout), &pr); code != 0 || err != nil {
				t.Fatalf("prune: exit %d, %v\n%s%s", code, err, stdout, stderr)
			}
			// b.mp3's blob, and the old trees of the folder and the root.
			if pr.Deleted != 0 || len(pr.Kept) != 3 {
				t.Fatalf("prune deleted %d and kept %v, want 0 deleted and 3 kept", pr.Deleted, pr.Kept)
			}
			code, stdout, _ = run("prune")
			if code != 0 || !strings.Contains(stdout, " until "+time.Now().Add(30*day).Format("2006-01-02")) || !strings.Contains(stdout, "by Object Lock") {
				t.Errorf("prune: exit %d\n%s", code, stdout)
			}

			// A plain delete behind Tunesafe's back only writes a delete
			// marker; the audit sees the loss and repair undoes it.
			victim := ""
			for _, k := range blobs {
				k = strings.TrimPrefix(k, "vault/")
				if !slices.ContainsFunc(pr.Kept, func(m map[string]any) bool { return m["key"] == k }) {
					victim = k
				}
			}
			if err := rs.Delete(ctx, victim); err != nil {
				t.Fatal(err)
			}
			if code, _, _ := run("audit"); code != exitIntegrity {
				t.Fatalf("audit after a delete marker: exit %d", code)
			}
			if code, stdout, stderr := run("repair"); code != 0 || !strings.Contains(stdout, "repaired "+victim) {
				t.Fatalf("repair: exit %d\n%s%s", code, stdout, stderr)
			}
			if code, stdout, _ := run("audit"); code != 0 {
				t.Fatalf("audit: exit %d\n%s", code, stdout)
			}
			if code, _, stderr := run("restore", "--to", filepath.Join(dir, "out")); code != 0 {
				t.Fatalf("restore: %s", stderr)
			}
			if b, _ := os.ReadFile(filepath.Join(dir, "out", "Music", "a.mp3")); string(b) != oneTrack {
				t.Error("a.mp3 restored differently")
			}
		})
	}
}

// TestObjectLockInitRefuses: init --object-lock needs an S3 bucket with
// Object Lock enabled and a sensible period; COMPLIANCE mode is recorded
// and applied.
func TestObjectLockInitRefuses(t *testing.T) {
	srv := s3test.Servers(t)[0] // the embedded gateway: COMPLIANCE versions outlive any test
	dir := t.TempDir()
	env := serverEnvWith(srv, dir, "", "")
	plain := "s3://" + srv.NewBucket(t).Bucket + "/vault"
	locked := srv.NewLockedBucket(t)
	for _, c := range []struct {
		args   []string
		stderr string
	}{
		{[]string{"init", plain, "--no-encrypt", "--object-lock", "30d"}, "does not have Object Lock enabled"},
		{[]string{"init", filepath.Join(dir, "v"), "--object-lock", "30d"}, "--object-lock needs an S3 vault"},
		{[]string{"init", plain, "--no-encrypt", "--object-lock-mode", "compliance"}, "--object-lock-mode needs --object-lock"},
		{[]string{"init", plain, "--no-encrypt", "--object-lock", "36h"}, "a whole number of days"},
		{[]string{"init", plain, "--no-encrypt", "--object-lock", "30d", "--object-lock-mode", "forever"}, "not a retention mode"},
	} {
		code, _, stderr := tunesafe(t, env, c.args...)
		if code != exitUsage || !strings.Contains(stderr, c.stderr) {
			t.Errorf("%v: exit %d\n%s", c.args, code, stderr)
		}
	}
	// Nothing was written to the bucket without Object Lock.
	code, _, _ := tunesafe(t, env, "snapshots", "--vault", plain)
	if code != exitNoVault {
		t.Errorf("after a refused init: exit %d, want %d", code, exitNoVault)
	}

	loc := "s3://" + locked.Bucket + "/vault"
	code, stdout, stderr := tunesafe(t, env, "init", loc, "--no-encrypt", "--no-default", "--object-lock", "1d", "--object-lock-mode", "compliance", "--json")
	if code != 0 || !strings.Contains(stdout, `"mode": "COMPLIANCE"`) {
		t.Fatalf("init: exit %d\n%s%s", code, stdout, stderr)
	}
	oi, err := srv.Client(t).StatObject(t.Context(), locked.Bucket, "vault/"+vault.ConfigKey, minio.StatObjectOptions{})
	if err != nil || oi.Metadata.Get("X-Amz-Object-Lock-Mode") != "COMPLIANCE" {
		t.Fatalf("tunesafe.json: %v, %v", err, oi.Metadata)
	}
}
