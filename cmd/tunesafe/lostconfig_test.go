package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"

	"github.com/tunesafe/tunesafe/internal/s3test"
	"github.com/tunesafe/tunesafe/internal/store"
	"github.com/tunesafe/tunesafe/internal/store/s3store"
	"github.com/tunesafe/tunesafe/internal/vault"
)

// folderState returns every file of a folder vault with its content.
func folderState(t *testing.T, dir string) map[string]string {
	t.Helper()
	files := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		rel, _ := filepath.Rel(dir, p)
		files[filepath.ToSlash(rel)] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// sameConfig fails unless got describes the vault want does: everything
// but the creation time, which a rebuild from the key files approximates.
func sameConfig(t *testing.T, got, want []byte) {
	t.Helper()
	g, err := vault.ParseConfig(got)
	if err != nil {
		t.Fatalf("rebuilt tunesafe.json: %v\n%s", err, got)
	}
	w, err := vault.ParseConfig(want)
	if err != nil {
		t.Fatal(err)
	}
	// The time of creation is rebuilt from the times the storage gives
	// the key files and FORMAT.md, written by the same init a moment
	// apart from the time tunesafe.json records, so either may fall in
	// the second before the other: compared on its own, the rest as it is.
	rebuiltCreated, created := g.Created, w.Created
	g.Created = w.Created
	if !bytes.Equal(g.JSON(), w.JSON()) {
		t.Errorf("rebuilt tunesafe.json:\n%s\nwant:\n%s", g.JSON(), w.JSON())
	}
	if d := rebuiltCreated.Sub(created); d < -time.Minute || d > time.Minute {
		t.Errorf("rebuilt created %v, the vault's %v", rebuiltCreated, created)
	}
}

// A tunesafe.json the provider lost: on the computer that made the vault
// (its own copy) and on one that never saw it (the key files), encrypted
// or not, the reading commands and verify work with a warning and write
// nothing, a backup refuses with the way out, and repair stores it again
// as it was.
func TestLostConfig(t *testing.T) {
	for _, encrypt := range []bool{false, true} {
		for _, computer := range []string{"this computer", "a new computer"} {
			t.Run(map[bool]string{false: "plain", true: "encrypted"}[encrypt]+"/"+computer, func(t *testing.T) {
				v := newAuditVault(t, encrypt)
				run, from := v.run, "this computer's copy"
				if computer == "a new computer" {
					run, from = v.fresh, "the vault's key files"
				}
				cfgPath := filepath.Join(v.vault, vault.ConfigKey)
				original, err := os.ReadFile(cfgPath)
				if err != nil {
					t.Fatal(err)
				}
				os.Remove(cfgPath)
				before := folderState(t, v.vault)

				code, _, stderr := run("backup", v.music)
				if code != exitIntegrity || !strings.Contains(stderr, "tunesafe.json is missing (lost by the provider?)") ||
					!strings.Contains(stderr, "hint: run 'tunesafe repair'") || strings.Contains(stderr, "create a vault") {
					t.Errorf("backup: exit %d\n%s", code, stderr)
				}
				warning := "reading the vault with the one rebuilt from " + from
				code, stdout, stderr := run("snapshots")
				if code != 0 || !strings.Contains(stderr, warning) || !strings.Contains(stdout, v.music) {
					t.Errorf("snapshots: exit %d\n%s%s", code, stdout, stderr)
				}
				to := filepath.Join(t.TempDir(), "restored")
				if code, stdout, stderr := run("restore", "--to", to); code != 0 || !strings.Contains(stderr, warning) {
					t.Fatalf("restore: exit %d\n%s%s", code, stdout, stderr)
				}
				for _, name := range []string{"a.mp3", "b.mp3"} {
					got, _ := os.ReadFile(filepath.Join(to, "Music", name))
					want, _ := os.ReadFile(filepath.Join(v.music, name))
					if !bytes.Equal(got, want) || len(want) == 0 {
						t.Errorf("restored %s: %d bytes, want %d", name, len(got), len(want))
					}
				}
				// verify reports the loss from the log, and writes nothing.
				code, stdout, stderr = run("verify")
				if code != exitIntegrity || !strings.Contains(stdout, "lost 1,") || !strings.Contains(stderr, warning) {
					t.Errorf("verify: exit %d\n%s%s", code, stdout, stderr)
				}
				if after := folderState(t, v.vault); len(after) != len(before) {
					t.Errorf("the reading commands wrote to the vault: %d files, then %d", len(before), len(after))
				} else {
					for k, b := range before {
						if after[k] != b {
							t.Errorf("the reading commands changed %s", k)
						}
					}
				}

				code, stdout, stderr = run("repair", "--dry-run")
				if code != 0 || !strings.Contains(stdout, "would repair tunesafe.json (lost) from "+from) {
					t.Errorf("repair --dry-run: exit %d\n%s%s", code, stdout, stderr)
				}
				if _, err := os.Stat(cfgPath); err == nil {
					t.Fatal("repair --dry-run stored tunesafe.json")
				}
				code, stdout, stderr = run("repair")
				if code != 0 || !strings.Contains(stdout, "repaired tunesafe.json (lost) from "+from) {
					t.Fatalf("repair: exit %d\n%s%s", code, stdout, stderr)
				}
				rebuilt, err := os.ReadFile(cfgPath)
				if err != nil {
					t.Fatal(err)
				}
				if from == "this computer's copy" {
					if !bytes.Equal(rebuilt, original) {
						t.Errorf("tunesafe.json from this computer's copy:\n%s\nwant:\n%s", rebuilt, original)
					}
				} else {
					sameConfig(t, rebuilt, original)
				}
				// Whole again: the log knows the new one, and backups
				// go on, on either computer.
				for name, r := range map[string]func(...string) (int, string, string){"this computer": v.run, "a new computer": v.fresh} {
					if code, stdout, stderr := r("verify"); code != 0 || strings.Contains(stderr, "warning") {
						t.Errorf("verify on %s after repair: exit %d\n%s%s", name, code, stdout, stderr)
					}
				}
				os.WriteFile(filepath.Join(v.music, "c.mp3"), []byte(strings.Repeat("third track ", 3000)), 0o644)
				if code, stdout, stderr := v.run("backup", v.music); code != 0 {
					t.Errorf("backup after repair: exit %d\n%s%s", code, stdout, stderr)
				}
			})
		}
	}
	// A location this computer used that is now empty: not lost, but
	// maybe not mounted.
	v := newAuditVault(t, false)
	os.RemoveAll(v.vault)
	os.MkdirAll(v.vault, 0o755)
	if code, _, stderr := v.run("verify"); code != exitNoVault || !strings.Contains(stderr, "is the disk mounted") {
		t.Errorf("verify of an emptied location: exit %d\n%s", code, stderr)
	}
}

// A tunesafe.json that cannot be rebuilt (a wrong passphrase, the key
// files lost as well) leaves the vault closed, with the reason.
func TestLostConfigNotRebuilt(t *testing.T) {
	v := newAuditVault(t, true)
	os.Remove(filepath.Join(v.vault, vault.ConfigKey))
	env := map[string]string{}
	for k, val := range v.env {
		env[k] = val
	}
	env["TUNESAFE_PASSPHRASE"] = "not the passphrase"
	env["XDG_CONFIG_HOME"], env["XDG_STATE_HOME"] = filepath.Join(t.TempDir(), "cfg"), filepath.Join(t.TempDir(), "state")
	if code, _, stderr := tunesafe(t, env, "snapshots"); code != exitPassphrase || !strings.Contains(stderr, "passphrase") {
		t.Errorf("snapshots with a wrong passphrase: exit %d\n%s", code, stderr)
	}
	os.RemoveAll(filepath.Join(v.vault, "keys"))
	code, _, stderr := v.fresh("snapshots")
	if code != exitIntegrity || !strings.Contains(stderr, "tunesafe.json is missing (lost by the provider?), and could not be rebuilt") ||
		!strings.Contains(stderr, "replica") {
		t.Errorf("snapshots without key files: exit %d\n%s", code, stderr)
	}
}

// On S3 with Object Lock, a tunesafe.json hidden behind a delete marker is
// rebuilt on a new computer with the vault's retention policy, read from
// the newest snapshot, and stored again locked.
func TestLostConfigObjectLock(t *testing.T) {
	for _, srv := range s3test.Servers(t) {
		t.Run(srv.Name, func(t *testing.T) {
			ctx := context.Background()
			cfg := srv.NewLockedBucket(t)
			loc := "s3://" + cfg.Bucket + "/vault"
			dir := t.TempDir()
			music := oneTrackLibrary(t, dir)
			env := lockedVaultEnv(srv, dir, loc)
			if code, stdout, stderr := tunesafe(t, env, "init", loc, "--encrypt", "--kdf-work", "10", "--no-default", "--object-lock", "7d"); code != 0 {
				t.Fatalf("init: exit %d\n%s%s", code, stdout, stderr)
			}
			if code, stdout, stderr := tunesafe(t, env, "backup", music); code != 0 {
				t.Fatalf("backup: exit %d\n%s%s", code, stdout, stderr)
			}
			raw := cfg
			raw.Prefix = "vault"
			rs, err := s3store.New(ctx, raw)
			if err != nil {
				t.Fatal(err)
			}
			original, err := store.ReadAll(ctx, rs, vault.ConfigKey)
			if err != nil {
				t.Fatal(err)
			}
			client := srv.Client(t)
			if err := client.RemoveObject(ctx, cfg.Bucket, "vault/"+vault.ConfigKey, minio.RemoveObjectOptions{}); err != nil {
				t.Fatal(err)
			}

			fresh := lockedVaultEnv(srv, t.TempDir(), loc)
			code, stdout, stderr := tunesafe(t, fresh, "snapshots", "--json")
			if code != 0 || !strings.Contains(stderr, "rebuilt from the vault's key files") {
				t.Fatalf("snapshots: exit %d\n%s%s", code, stdout, stderr)
			}
			var snaps []json.RawMessage
			if err := json.Unmarshal([]byte(stdout), &snaps); err != nil || len(snaps) != 1 {
				t.Errorf("snapshots --json: %v\n%s", err, stdout)
			}
			if code, stdout, stderr := tunesafe(t, fresh, "repair"); code != 0 {
				t.Fatalf("repair: exit %d\n%s%s", code, stdout, stderr)
			}
			rebuilt, err := store.ReadAll(ctx, rs, vault.ConfigKey)
			if err != nil {
				t.Fatal(err)
			}
			sameConfig(t, rebuilt, original)
			oi, err := client.StatObject(ctx, cfg.Bucket, "vault/"+vault.ConfigKey, minio.StatObjectOptions{})
			if err != nil || oi.Metadata.Get("X-Amz-Object-Lock-Mode") != "GOVERNANCE" {
				t.Errorf("the stored tunesafe.json is not locked: %v %v", err, oi.Metadata)
			}
			if code, stdout, stderr := tunesafe(t, env, "verify"); code != 0 {
				t.Errorf("verify on the first computer: exit %d\n%s%s", code, stdout, stderr)
			}
		})
	}
}
