package main

import (
	"context"
	"path/filepath"
)

// resticTool runs restic with an s3: repository (encrypted, and compressed
// where restic's repository version 2 decides to).
type resticTool struct{ bin string }

func (t *resticTool) ID() string    { return "restic" }
func (t *resticTool) Title() string { return "restic" }

func (t *resticTool) Version(ctx context.Context) string {
	return versionOf(ctx, t.bin, "version")
}

func (t *resticTool) env(rp *repo) []string {
	return rp.homeEnv(
		"RESTIC_REPOSITORY=s3:"+rp.endpoint+"/"+rp.bucket+"/restic",
		"RESTIC_PASSWORD="+benchPassphrase,
		"RESTIC_CACHE_DIR="+filepath.Join(rp.home, ".cache", "restic"),
	)
}

func (t *resticTool) Setup(ctx context.Context, r *runner, rp *repo) error {
	_, err := r.run(ctx, job{name: t.ID() + "-" + rp.name + "-init", argv: []string{t.bin, "init"}, env: t.env(rp)})
	return err
}

func (t *resticTool) Backup(rp *repo, src string) job {
	return job{argv: []string{t.bin, "backup", "--quiet", "--host", "bench", src}, env: t.env(rp)}
}

func (t *resticTool) Restore(rp *repo, dst string) job {
	return job{argv: []string{t.bin, "restore", "latest", "--quiet", "--target", dst}, env: t.env(rp)}
}

// Check runs "restic check" without --read-data: it reads the index and
// the trees and checks that every pack file is there.
func (t *resticTool) Check(rp *repo, src string) job {
	return job{argv: []string{t.bin, "check", "--quiet"}, env: t.env(rp)}
}

// Restored: restic restores the absolute path of what it backed up.
func (t *resticTool) Restored(dst, src string) string {
	return filepath.Join(dst, src)
}
