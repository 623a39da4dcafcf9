package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/minio/minio-go/v7"

	"github.com/tunesafe/tunesafe/internal/s3test"
	"github.com/tunesafe/tunesafe/internal/vaultcopy"
)

// TestCopyCommand: on every real server, an encrypted vault is copied to a
// second bucket whose credentials come from an AWS profile; the replica
// restores on its own; a blob the original's provider lost is not copied
// (exit 4) until the original is repaired.
func TestCopyCommand(t *testing.T) {
	for _, srv := range s3test.Servers(t) {
		t.Run(srv.Name, func(t *testing.T) {
			ctx := context.Background()
			orig, second := srv.NewBucket(t), srv.NewBucket(t)
			loc, replica := "s3://"+orig.Bucket+"/vault", "s3://"+second.Bucket+"/replica"
			dir := t.TempDir()
			music := filepath.Join(dir, "Music")
			os.MkdirAll(music, 0o755)
			os.WriteFile(filepath.Join(music, "a.mp3"), []byte(strings.Repeat("first track ", 30000)), 0o644)
			os.WriteFile(filepath.Join(music, "b.mp3"), []byte(strings.Repeat("second track ", 20000)), 0o644)
			env := serverEnvWith(srv, dir, "copy passphrase", loc)
			// The replica's account: a profile with its own keys.
			env["HOME"] = dir
			env["AWS_SHARED_CREDENTIALS_FILE"], env["AWS_CONFIG_FILE"] = "", ""
			profile := func(secret string) {
				os.MkdirAll(filepath.Join(dir, ".aws"), 0o700)
				os.WriteFile(filepath.Join(dir, ".aws", "credentials"), []byte("[replica]\naws_access_key_id = "+srv.AccessKey+"\naws_secret_access_key = "+secret+"\n"), 0o600)
				os.WriteFile(filepath.Join(dir, ".aws", "config"), []byte("[profile replica]\nregion = us-east-1\nendpoint_url = "+srv.Endpoint+"\n"), 0o600)
			}
			run := func(args ...string) (int, string, string) { return tunesafe(t, env, args...) }
			copyJSON := func(want int) vaultcopy.Result {
				t.Helper()
				code, stdout, stderr := run("copy", "--to", replica, "--to-profile", "replica", "--json")
				var res vaultcopy.Result
				if err := json.Unmarshal([]byte(stdout), &res); code != want || err != nil {
					t.Fatalf("copy: exit %d (want %d), %v\n%s%s", code, want, err, stdout, stderr)
				}
				return res
			}

			if code, _, stderr := run("init", loc); code != 0 {
				t.Fatalf("init: %d %s", code, stderr)
			}
			if code, _, stderr := run("backup", music); code != 0 {
				t.Fatalf("backup: %d %s", code, stderr)
			}
			profile("wrong secret")
			if code, _, stderr := run("copy", "--to", replica, "--to-profile", "replica"); code != exitCredentials {
				t.Fatalf("copy with the profile's wrong key: exit %d, want %d\n%s", code, exitCredentials, stderr)
			}
			profile(srv.SecretKey)
			if res := copyJSON(0); !res.Complete || res.Copied == 0 {
				t.Fatalf("first copy: %+v", res)
			}

			// The replica on its own: verified and restored.
			if code, stdout, stderr := run("verify", "--vault", replica, "--deep"); code != 0 || !strings.Contains(stdout, "lost 0, corrupted 0") {
				t.Fatalf("verify the replica: %d\n%s%s", code, stdout, stderr)
			}
			out := filepath.Join(dir, "out")
			if code, _, stderr := run("restore", "--vault", replica, "--to", out); code != 0 {
				t.Fatalf("restore from the replica: %d %s", code, stderr)
			}
			sameFile(t, filepath.Join(music, "a.mp3"), filepath.Join(out, "Music", "a.mp3"))

			// A new file is backed up, and the original's provider loses
			// one of its blobs before it is copied.
			client := srv.Client(t)
			blobs := func() map[string]bool {
				keys := map[string]bool{}
				for obj := range client.ListObjectsIter(ctx, orig.Bucket, minio.ListObjectsOptions{Prefix: "vault/blobs/", Recursive: true}) {
					keys[obj.Key] = true
				}
				return keys
			}
			before := blobs()
			os.WriteFile(filepath.Join(music, "c.mp3"), []byte(strings.Repeat("third track ", 20000)), 0o644)
			if code, _, stderr := run("backup", music); code != 0 {
				t.Fatalf("second backup: %d %s", code, stderr)
			}
			var lost string
			for key := range blobs() {
				if !before[key] {
					lost = key
				}
			}
			if err := client.RemoveObject(ctx, orig.Bucket, lost, minio.RemoveObjectOptions{}); err != nil {
				t.Fatal(err)
			}
			res := copyJSON(exitIntegrity)
			if res.Complete || len(res.Problems) != 1 || res.Problems[0].Key != strings.TrimPrefix(lost, "vault/") || res.Problems[0].Kind != "missing" {
				t.Fatalf("copy of a vault missing %s: %+v", lost, res)
			}
			if code, stdout, stderr := run("repair"); code != 0 {
				t.Fatalf("repair: %d\n%s%s", code, stdout, stderr)
			}
			if res := copyJSON(0); !res.Complete || len(res.Problems) != 0 {
				t.Fatalf("copy after repair: %+v", res)
			}
			if code, stdout, stderr := run("audit", "--vault", replica, "--deep"); code != 0 {
				t.Fatalf("audit the replica: %d\n%s%s", code, stdout, stderr)
			}
		})
	}
}

func sameFile(t *testing.T, a, b string) {
	t.Helper()
	x, err1 := os.ReadFile(a)
	y, err2 := os.ReadFile(b)
	if err1 != nil || err2 != nil || string(x) != string(y) {
		t.Fatalf("%s and %s differ (%v, %v)", a, b, err1, err2)
	}
}
