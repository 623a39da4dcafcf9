package main

import (
	"context"
	"os"
	"path/filepath"
)

// rcloneTool mirrors the folder with "rclone sync" to an S3 remote of
// provider Other, configured entirely by environment variables. It keeps
// one copy (no snapshots) and does not encrypt (no crypt remote). The
// 1 MiB control (rclonePiecesTool) embeds it, so that both run rclone
// alike and differ only in what they are given to upload.
type rcloneTool struct{ bin string }

func (t *rcloneTool) ID() string    { return "rclone" }
func (t *rcloneTool) Title() string { return "rclone" }

func (t *rcloneTool) Version(ctx context.Context) string {
	return versionOf(ctx, t.bin, "version")
}

func (t *rcloneTool) env(rp *repo) []string {
	return rp.homeEnv(
		"RCLONE_CONFIG="+filepath.Join(rp.home, "rclone.conf"),
		"RCLONE_CONFIG_BENCH_TYPE=s3",
		"RCLONE_CONFIG_BENCH_PROVIDER=Other",
		"RCLONE_CONFIG_BENCH_ENDPOINT="+rp.endpoint,
		"RCLONE_CONFIG_BENCH_ACCESS_KEY_ID="+rp.srv.AccessKey,
		"RCLONE_CONFIG_BENCH_SECRET_ACCESS_KEY="+rp.srv.SecretKey,
		"RCLONE_CONFIG_BENCH_REGION="+region,
	)
}

func (t *rcloneTool) remote(rp *repo) string { return "bench:" + rp.bucket + "/rclone" }

// Setup writes an empty config file (the remote is in the environment);
// the bucket already exists.
func (t *rcloneTool) Setup(ctx context.Context, r *runner, rp *repo) error {
	return os.WriteFile(filepath.Join(rp.home, "rclone.conf"), nil, 0o600)
}

func (t *rcloneTool) Backup(rp *repo, src string) job {
	return job{argv: []string{t.bin, "sync", "-q", src, t.remote(rp)}, env: t.env(rp)}
}

func (t *rcloneTool) Restore(rp *repo, dst string) job {
	return job{argv: []string{t.bin, "copy", "-q", t.remote(rp), dst}, env: t.env(rp)}
}

func (t *rcloneTool) Restored(dst, src string) string { return dst }

// Check runs "rclone check", which compares sizes and MD5s of the files
// with the remote's listing (reading the local files to hash them).
func (t *rcloneTool) Check(rp *repo, src string) job {
	return job{argv: []string{t.bin, "check", "-q", src, t.remote(rp)}, env: t.env(rp)}
}
