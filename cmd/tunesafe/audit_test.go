package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tunesafe/tunesafe/internal/s3test"
	"github.com/tunesafe/tunesafe/internal/store"
	"github.com/tunesafe/tunesafe/internal/store/folder"
	"github.com/tunesafe/tunesafe/internal/store/s3store"
)

// vaultTarget is a place to put a vault: a folder, or a bucket on a real S3
// server. raw opens the same objects behind Tunesafe's back.
type vaultTarget struct {
	name string
	loc  string
	env  map[string]string
	raw  func(t *testing.T) store.Store
}

func vaultTargets(t *testing.T) []vaultTarget {
	dir := t.TempDir()
	out := []vaultTarget{{
		name: "folder", loc: filepath.Join(dir, "vault"), env: map[string]string{},
		raw: func(t *testing.T) store.Store {
			s, err := folder.New(filepath.Join(dir, "vault"))
			if err != nil {
				t.Fatal(err)
			}
			return s
		},
	}}
	for _, srv := range s3test.Servers(t) {
		cfg := srv.NewBucket(t)
		env := serverEnv(srv)
		out = append(out, vaultTarget{
			name: srv.Name, loc: "s3://" + cfg.Bucket + "/vault", env: env,
			raw: func(t *testing.T) store.Store {
				c := cfg
				c.Prefix = "vault"
				s, err := s3store.New(context.Background(), c)
				if err != nil {
					t.Fatal(err)
				}
				return s
			},
		})
	}
	return out
}

type auditJSON struct {
	Counts   map[string]int `json:"counts"`
	Findings []struct {
		Class string `json:"class"`
		Key   string `json:"key"`
	} `json:"findings"`
}

// TestAuditClassifies tampers with a vault behind Tunesafe's back, on a
// folder and on real S3 servers, and checks each case is found and blamed
// correctly.
func TestAuditClassifies(t *testing.T) {
	for _, tg := range vaultTargets(t) {
		t.Run(tg.name, func(t *testing.T) {
			dir := t.TempDir()
			music := filepath.Join(dir, "Music")
			os.MkdirAll(music, 0o755)
			for i, name := range []string{"a.mp3", "b.flac", "c.m4a"} {
				os.WriteFile(filepath.Join(music, name), []byte(strings.Repeat(name, 2000+i*100)), 0o644)
			}
			env := map[string]string{"XDG_CONFIG_HOME": filepath.Join(dir, "cfg"), "XDG_STATE_HOME": filepath.Join(dir, "state"),
				"TUNESAFE_PASSPHRASE": "audit test passphrase", "TUNESAFE_VAULT": tg.loc}
			for k, v := range tg.env {
				env[k] = v
			}
			run := func(args ...string) (int, string, string) { return tunesafe(t, env, args...) }
			if code, _, stderr := run("init", tg.loc, "--encrypt", "--kdf-work", "10", "--no-default"); code != 0 {
				t.Fatalf("init: %s", stderr)
			}
			if code, _, stderr := run("backup", music); code != 0 {
				t.Fatalf("backup: %s", stderr)
			}
			// A restore through S3 is exact.
			if code, _, stderr := run("restore", "--to", filepath.Join(dir, "out")); code != 0 {
				t.Fatalf("restore: %s", stderr)
			}
			for _, name := range []string{"a.mp3", "b.flac", "c.m4a"} {
				a, _ := os.ReadFile(filepath.Join(music, name))
				b, _ := os.ReadFile(filepath.Join(dir, "out", "Music", name))
				if string(a) != string(b) {
					t.Fatalf("%s restored differently", name)
				}
			}
			audit := func(args ...string) (int, auditJSON) {
				t.Helper()
				code, stdout, stderr := run(append([]string{"audit", "--json"}, args...)...)
				var rep auditJSON
				if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
					t.Fatalf("audit output: %v\n%s\n%s", err, stdout, stderr)
				}
				return code, rep
			}
			if code, rep := audit(); code != 0 || rep.Counts["lost"]+rep.Counts["corrupted"]+rep.Counts["foreign"]+rep.Counts["tampered"] != 0 {
				t.Fatalf("clean vault: exit %d, %+v", code, rep)
			}
			if code, _ := audit("--deep"); code != 0 {
				t.Fatalf("clean vault, deep: exit %d", code)
			}
			// verify says how it checked: a quick check on S3 compares
			// the provider's checksums and downloads nothing.
			how := `\(\d+ by the provider's checksums; nothing downloaded\)`
			if tg.name == "folder" {
				how = `\(\d+ by size only; nothing downloaded\)`
			}
			if code, stdout, stderr := run("verify"); code != 0 || !regexpMatch(`(?m)^checked \d+ objects `+how+` in `, stdout) {
				t.Errorf("quick verify: exit %d\n%s%s", code, stdout, stderr)
			}
			if code, stdout, stderr := run("verify", "--deep"); code != 0 || !regexpMatch(`(?m)^checked \d+ objects \([1-9]\d* downloaded and hashed, \d`, stdout) {
				t.Errorf("deep verify: exit %d\n%s%s", code, stdout, stderr)
			}

			raw := tg.raw(t)
			ctx := context.Background()
			var blobs, snaps []string
			for info, err := range raw.List(ctx, "") {
				if err != nil {
					t.Fatal(err)
				}
				switch {
				case strings.HasPrefix(info.Key, "blobs/"):
					blobs = append(blobs, info.Key)
				case strings.HasPrefix(info.Key, "snapshots/"):
					snaps = append(snaps, info.Key)
				}
			}
			if len(blobs) < 3 || len(snaps) != 1 {
				t.Fatalf("unexpected vault: %d blobs, %d snapshots", len(blobs), len(snaps))
			}
			// Lost: deleted behind Tunesafe's back.
			raw.Delete(ctx, blobs[0])
			// Corrupted: one byte flipped (same size).
			b, _ := store.ReadAll(ctx, raw, blobs[1])
			b[len(b)/2] ^= 0x40
			raw.Put(ctx, blobs[1], b)
			// Corrupted: replaced by other content of another size.
			raw.Put(ctx, blobs[2], []byte("something else entirely"))
			// Foreign: written by someone else.
			raw.Put(ctx, "blobs/00/intruder", []byte("not ours"))
			// Lost: a snapshot removed.
			raw.Delete(ctx, snaps[0])

			code, rep := audit("--deep")
			if code != exitIntegrity {
				t.Fatalf("tampered vault audits with exit %d", code)
			}
			classOf := map[string]string{}
			for _, f := range rep.Findings {
				classOf[f.Key] = f.Class
			}
			want := map[string]string{blobs[0]: "lost", blobs[1]: "corrupted", blobs[2]: "corrupted", "blobs/00/intruder": "foreign", snaps[0]: "lost"}
			for k, c := range want {
				if classOf[k] != c {
					t.Errorf("%s: classified %q, want %q", k, classOf[k], c)
				}
			}
			// The quick mode (no downloads) finds the deletions and the
			// size change without reading data.
			code, rep = audit()
			quick := map[string]string{}
			for _, f := range rep.Findings {
				quick[f.Key] = f.Class
			}
			if code != exitIntegrity || quick[blobs[0]] != "lost" || quick[blobs[2]] != "corrupted" {
				t.Errorf("quick audit: exit %d, %v", code, quick)
			}
			if tg.name != "folder" && quick[blobs[1]] != "corrupted" {
				t.Errorf("quick audit on S3 should see the flipped byte through the provider's SHA-256: %v", quick)
			}
		})
	}
}

// TestLogTamperingDetected rolls the vault's log back and truncates it:
// the next command that writes refuses to go on.
func TestLogTamperingDetected(t *testing.T) {
	for _, tg := range vaultTargets(t)[:2] {
		t.Run(tg.name, func(t *testing.T) {
			dir := t.TempDir()
			music := filepath.Join(dir, "Music")
			os.MkdirAll(music, 0o755)
			os.WriteFile(filepath.Join(music, "a.mp3"), []byte("first"), 0o644)
			env := map[string]string{"XDG_CONFIG_HOME": filepath.Join(dir, "cfg"), "XDG_STATE_HOME": filepath.Join(dir, "state"),
				"TUNESAFE_PASSPHRASE": "", "TUNESAFE_VAULT": tg.loc}
			for k, v := range tg.env {
				env[k] = v
			}
			if code, _, stderr := tunesafe(t, env, "init", tg.loc, "--no-encrypt", "--no-default"); code != 0 {
				t.Fatal(stderr)
			}
			tunesafe(t, env, "backup", music)
			raw := tg.raw(t)
			ctx := context.Background()
			old, err := store.ReadAll(ctx, raw, "log/checkpoint")
			if err != nil {
				t.Fatal(err)
			}
			os.WriteFile(filepath.Join(music, "b.mp3"), []byte("second"), 0o644)
			if code, _, stderr := tunesafe(t, env, "backup", music); code != 0 {
				t.Fatal(stderr)
			}
			// Roll back the checkpoint to the older copy, and the
			// archive with it (the newest signed checkpoint of the
			// archive would win over an old log/checkpoint alone).
			cur, _ := store.ReadAll(ctx, raw, "log/checkpoint")
			raw.Put(ctx, "log/checkpoint", old)
			archived := map[string][]byte{}
			for info, err := range raw.List(ctx, "log/checkpoints/") {
				if err != nil {
					t.Fatal(err)
				}
				if b, _ := store.ReadAll(ctx, raw, info.Key); !bytes.Equal(b, old) {
					archived[info.Key] = b
				}
			}
			for key := range archived {
				raw.Delete(ctx, key)
			}
			code, _, stderr := tunesafe(t, env, "backup", music)
			if code != exitIntegrity || !strings.Contains(stderr, "tunesafe: error:") || !strings.Contains(stderr, "rolled-back") {
				t.Fatalf("rolled-back log: exit %d\n%s", code, stderr)
			}
			// Reading commands go on, with a warning.
			code, _, stderr = tunesafe(t, env, "snapshots")
			if code != 0 || !strings.Contains(stderr, "tunesafe: warning: ") || !strings.Contains(stderr, "rolled-back") {
				t.Fatalf("snapshots of a rolled-back log: exit %d\n%s", code, stderr)
			}
			raw.Put(ctx, "log/checkpoint", cur)
			for key, b := range archived {
				raw.Put(ctx, key, b)
			}
			// Truncate: remove the newest entries object.
			var last string
			for info, err := range raw.List(ctx, "log/entries/") {
				if err == nil {
					last = info.Key
				}
			}
			raw.Delete(ctx, last)
			if code, _, stderr := tunesafe(t, env, "backup", music); code != exitIntegrity {
				t.Fatalf("truncated log: exit %d\n%s", code, stderr)
			}
		})
	}
}
