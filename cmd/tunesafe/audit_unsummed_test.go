package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/minio/minio-go/v7"

	"github.com/tunesafe/tunesafe/internal/s3test"
)

// TestAuditRewrittenWithoutChecksum rewrites one blob on real S3 servers
// the way another tool would (a plain PUT, no x-amz-checksum-sha256; same
// size, one byte changed) and another with its very bytes, also without a
// checksum. The provider keeps the checksums of Tunesafe's PUTs, so an
// object that shows none was rewritten behind Tunesafe's back: a quick
// audit, which downloads nothing, reports both as corrupted and says that
// only a deep check compares the content. The checks after it download
// them (the audit's damage markers) and find the one whose content
// changed.
func TestAuditRewrittenWithoutChecksum(t *testing.T) {
	for _, srv := range s3test.Servers(t) {
		t.Run(srv.Name, func(t *testing.T) {
			cfg := srv.NewBucket(t)
			loc := "s3://" + cfg.Bucket + "/vault"
			dir := t.TempDir()
			music := filepath.Join(dir, "Music")
			if err := os.MkdirAll(music, 0o755); err != nil {
				t.Fatal(err)
			}
			for i, name := range []string{"a.mp3", "b.flac"} {
				if err := os.WriteFile(filepath.Join(music, name), []byte(strings.Repeat(name, 3000+i*100)), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			env := serverEnvWith(srv, dir, "", loc)
			run := func(args ...string) (int, string, string) { return tunesafe(t, env, args...) }
			if code, _, stderr := run("init", loc, "--no-encrypt", "--no-default"); code != 0 {
				t.Fatalf("init: %s", stderr)
			}
			if code, _, stderr := run("backup", music); code != 0 {
				t.Fatalf("backup: %s", stderr)
			}

			// Behind Tunesafe's back, with a client that sends no checksum.
			c := srv.Client(t)
			ctx := context.Background()
			var blobs []string
			for o := range c.ListObjects(ctx, cfg.Bucket, minio.ListObjectsOptions{Prefix: "vault/blobs/", Recursive: true}) {
				if o.Err != nil {
					t.Fatal(o.Err)
				}
				blobs = append(blobs, o.Key)
			}
			if len(blobs) < 2 {
				t.Fatalf("%d blobs in the vault, want at least 2", len(blobs))
			}
			rewrite := func(key string, flip bool) {
				t.Helper()
				obj, err := c.GetObject(ctx, cfg.Bucket, key, minio.GetObjectOptions{})
				if err != nil {
					t.Fatal(err)
				}
				var b bytes.Buffer
				if _, err := b.ReadFrom(obj); err != nil {
					t.Fatal(err)
				}
				obj.Close()
				data := b.Bytes()
				if flip {
					data[len(data)/2] ^= 0x20
				}
				if _, err := c.PutObject(ctx, cfg.Bucket, key, bytes.NewReader(data), int64(len(data)), minio.PutObjectOptions{}); err != nil {
					t.Fatal(err)
				}
				info, err := c.StatObject(ctx, cfg.Bucket, key, minio.StatObjectOptions{Checksum: true})
				if err != nil {
					t.Fatal(err)
				}
				if info.ChecksumSHA256 != "" {
					t.Skipf("%s computes a SHA-256 checksum of its own for a PUT without one", srv.Name)
				}
			}
			changed, same := blobs[0], blobs[1]
			rewrite(changed, true)
			rewrite(same, false)
			changedKey := strings.TrimPrefix(changed, "vault/")
			sameKey := strings.TrimPrefix(same, "vault/")

			type finding struct {
				Class  string `json:"class"`
				Key    string `json:"key"`
				Detail string `json:"detail"`
			}
			audit := func(args ...string) (int, map[string]finding) {
				t.Helper()
				code, stdout, stderr := run(append([]string{"audit", "--json"}, args...)...)
				var rep struct {
					Findings []finding `json:"findings"`
				}
				if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
					t.Fatalf("audit %v output: %v\n%s\n%s", args, err, stdout, stderr)
				}
				byKey := map[string]finding{}
				for _, f := range rep.Findings {
					byKey[f.Key] = f
				}
				return code, byKey
			}

			code, quick := audit()
			if code != exitIntegrity {
				t.Errorf("quick audit: exit %d, want %d", code, exitIntegrity)
			}
			for _, key := range []string{changedKey, sameKey} {
				f, ok := quick[key]
				if !ok || f.Class != "corrupted" || !strings.Contains(f.Detail, "rewritten without the SHA-256 checksum") || !strings.Contains(f.Detail, "--deep") {
					t.Errorf("quick audit, %s: %+v (found: %v), want corrupted, rewritten without the checksum", key, f, ok)
				}
			}
			if len(quick) != 2 {
				t.Errorf("quick audit: %d findings, want the 2 rewritten objects: %v", len(quick), quick)
			}

			// The audit left damage markers, so verify, the routine check,
			// downloads the two objects: one hashes right.
			code, stdout, stderr := run("verify")
			if code != exitIntegrity || !regexpMatch(`\(2 downloaded and hashed`, stdout) || !strings.Contains(stdout, "corrupted 1,") {
				t.Errorf("verify: exit %d\n%s%s", code, stdout, stderr)
			}

			// The deep check downloads them: the one with the same bytes
			// is intact, the other is corrupted.
			code, deep := audit("--deep")
			if code != exitIntegrity {
				t.Errorf("deep audit: exit %d, want %d", code, exitIntegrity)
			}
			if f, ok := deep[changedKey]; !ok || f.Class != "corrupted" {
				t.Errorf("deep audit, changed blob: %+v (found: %v), want corrupted", f, ok)
			}
			if f, ok := deep[sameKey]; ok {
				t.Errorf("deep audit, blob rewritten with its own bytes: %+v, want no finding", f)
			}
		})
	}
}
