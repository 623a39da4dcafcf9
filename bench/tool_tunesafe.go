package main

import (
	"context"
	"path/filepath"
	"strconv"
)

// tunesafeTool runs the tunesafe CLI on an S3 vault, encrypted (the
// default for S3) or not.
type tunesafeTool struct {
	bin       string
	encrypted bool
	kdfWork   int // --kdf-work for init; 0 keeps the default (about a second)
}

func (t *tunesafeTool) ID() string {
	if t.encrypted {
		return "tunesafe"
	}
	return "tunesafe-plain"
}

func (t *tunesafeTool) Title() string {
	if t.encrypted {
		return "Tunesafe (encrypted)"
	}
	return "Tunesafe (unencrypted)"
}

func (t *tunesafeTool) Version(ctx context.Context) string {
	return versionOf(ctx, t.bin, "--version")
}

func (t *tunesafeTool) vault(rp *repo) []string {
	return []string{"--vault", "s3://" + rp.bucket + "/tunesafe", "--endpoint", rp.endpoint}
}

func (t *tunesafeTool) env(rp *repo) []string {
	if t.encrypted {
		return rp.homeEnv("TUNESAFE_PASSPHRASE=" + benchPassphrase)
	}
	return rp.homeEnv()
}

func (t *tunesafeTool) Setup(ctx context.Context, r *runner, rp *repo) error {
	argv := []string{t.bin, "init", "s3://" + rp.bucket + "/tunesafe", "--endpoint", rp.endpoint, "--no-default"}
	if t.encrypted {
		argv = append(argv, "--encrypt")
		if t.kdfWork > 0 {
			argv = append(argv, "--kdf-work", strconv.Itoa(t.kdfWork))
		}
	} else {
		argv = append(argv, "--no-encrypt")
	}
	_, err := r.run(ctx, job{name: t.ID() + "-" + rp.name + "-init", argv: argv, env: t.env(rp)})
	return err
}

func (t *tunesafeTool) Backup(rp *repo, src string) job {
	argv := append([]string{t.bin, "backup"}, t.vault(rp)...)
	argv = append(argv, "--no-progress", "--json", src)
	return job{argv: argv, env: t.env(rp)}
}

func (t *tunesafeTool) Restore(rp *repo, dst string) job {
	argv := append([]string{t.bin, "restore"}, t.vault(rp)...)
	argv = append(argv, "--no-progress", "--json", "--to", dst)
	return job{argv: argv, env: t.env(rp)}
}

// Restored: tunesafe restores a backed-up folder under its base name.
func (t *tunesafeTool) Restored(dst, src string) string {
	return filepath.Join(dst, filepath.Base(src))
}

// Check runs "tunesafe verify" in its quick mode: the listing and the
// provider's checksums compared with the log.
func (t *tunesafeTool) Check(rp *repo, src string) job {
	argv := append([]string{t.bin, "verify"}, t.vault(rp)...)
	argv = append(argv, "--no-progress", "--json")
	return job{argv: argv, env: t.env(rp)}
}
