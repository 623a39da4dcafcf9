package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tunesafe/tunesafe/internal/repair"
	"github.com/tunesafe/tunesafe/internal/store"
)

type repairJSON struct {
	Audit struct {
		Mode   string         `json:"mode"`
		Counts map[string]int `json:"counts"`
	} `json:"audit"`
	Damaged    int                 `json:"damaged"`
	Repaired   []repair.Repaired   `json:"repaired"`
	Unrepaired []repair.Unrepaired `json:"unrepaired"`
	DryRun     bool                `json:"dry_run"`
}

// plainBlobKey is the key of a small file's only blob in a plain vault,
// where a blob's ID is the SHA-256 of its bytes.
func plainBlobKey(content string) string {
	sum := sha256.Sum256([]byte(content))
	id := hex.EncodeToString(sum[:])
	return "blobs/" + id[:2] + "/" + id
}

// TestRepairCommand damages a vault behind Tunesafe's back, on a folder and
// on real S3 servers, and repairs it from the local files: what the files
// still hold comes back, the rest is reported, and a new backup restores
// lost trees.
func TestRepairCommand(t *testing.T) {
	for _, tg := range vaultTargets(t) {
		t.Run(tg.name, func(t *testing.T) {
			dir := t.TempDir()
			music := filepath.Join(dir, "Music")
			os.MkdirAll(music, 0o755)
			content := map[string]string{}
			for i, name := range []string{"a.mp3", "b.flac", "c.m4a", "d.ogg"} {
				content[name] = strings.Repeat(name, 1500+i*100)
				os.WriteFile(filepath.Join(music, name), []byte(content[name]), 0o644)
			}
			env := map[string]string{"XDG_CONFIG_HOME": filepath.Join(dir, "cfg"), "XDG_STATE_HOME": filepath.Join(dir, "state"),
				"TUNESAFE_PASSPHRASE": "", "TUNESAFE_VAULT": tg.loc}
			for k, v := range tg.env {
				env[k] = v
			}
			run := func(args ...string) (int, string, string) { return tunesafe(t, env, args...) }
			if code, _, stderr := run("init", tg.loc, "--no-encrypt", "--no-default"); code != 0 {
				t.Fatalf("init: %s", stderr)
			}
			if code, _, stderr := run("backup", music); code != 0 {
				t.Fatalf("backup: %s", stderr)
			}
			repairRun := func(args ...string) (int, repairJSON) {
				t.Helper()
				code, stdout, stderr := run(append([]string{"repair", "--json"}, args...)...)
				var rep repairJSON
				if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
					t.Fatalf("repair output: %v\n%s\n%s", err, stdout, stderr)
				}
				return code, rep
			}
			failures := func(deep bool) int {
				t.Helper()
				args := []string{"audit", "--json"}
				if deep {
					args = append(args, "--deep")
				}
				_, stdout, _ := run(args...)
				var rep auditJSON
				if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
					t.Fatalf("audit output: %v\n%s", err, stdout)
				}
				return rep.Counts["lost"] + rep.Counts["corrupted"] + rep.Counts["tampered"]
			}
			if code, rep := repairRun(); code != 0 || rep.Damaged != 0 {
				t.Fatalf("repair of an intact vault: exit %d, %+v", code, rep)
			}

			raw := tg.raw(t)
			ctx := context.Background()
			// Lost trees are not in any file: repair says so, and a new
			// backup of the unchanged folder writes them again.
			var trees []string
			for info, err := range raw.List(ctx, "trees/") {
				if err != nil {
					t.Fatal(err)
				}
				trees = append(trees, info.Key)
			}
			for _, k := range trees {
				raw.Delete(ctx, k)
			}
			code, rep := repairRun()
			if code != exitIntegrity || len(rep.Unrepaired) != len(trees) || len(rep.Repaired) != 0 {
				t.Fatalf("repair of lost trees: exit %d, %+v", code, rep)
			}
			for _, u := range rep.Unrepaired {
				if u.Reason != repair.ReasonTree {
					t.Errorf("%s: reason %q", u.Key, u.Reason)
				}
			}
			if code, _, stderr := run("backup", music); code != 0 {
				t.Fatalf("backup: %s", stderr)
			}
			if n := failures(false); n != 0 {
				t.Fatalf("after a new backup the audit finds %d failures", n)
			}
			blob := func(name string) string { return plainBlobKey(content[name]) }
			for name := range content {
				if _, err := raw.Stat(ctx, blob(name)); err != nil {
					t.Fatalf("%s is not stored as one blob: %v", name, err)
				}
			}
			raw.Delete(ctx, blob("a.mp3"))
			b, _ := store.ReadAll(ctx, raw, blob("b.flac"))
			b[len(b)/2] ^= 0x40
			raw.Put(ctx, blob("b.flac"), b)
			raw.Put(ctx, blob("c.m4a"), []byte("something else entirely"))
			raw.Delete(ctx, blob("d.ogg"))
			os.Remove(filepath.Join(music, "d.ogg"))

			// A dry run says what would happen and changes nothing.
			code, rep = repairRun("--deep", "--dry-run")
			if code != exitIntegrity || !rep.DryRun || rep.Damaged != 4 || len(rep.Repaired) != 3 || len(rep.Unrepaired) != 1 {
				t.Fatalf("dry run: exit %d, %+v", code, rep)
			}
			if n := failures(true); n != 4 {
				t.Fatalf("after a dry run the audit finds %d failures, want 4", n)
			}

			code, rep = repairRun("--deep")
			if code != exitIntegrity || rep.Audit.Mode != "deep" || len(rep.Repaired) != 3 || len(rep.Unrepaired) != 1 {
				t.Fatalf("repair: exit %d, %+v", code, rep)
			}
			from := map[string]string{}
			for _, r := range rep.Repaired {
				from[r.Key] = r.From
			}
			for _, name := range []string{"a.mp3", "b.flac", "c.m4a"} {
				if from[blob(name)] != filepath.Join(music, name) {
					t.Errorf("%s: repaired from %q", name, from[blob(name)])
				}
			}
			u := rep.Unrepaired[0]
			if u.Key != blob("d.ogg") || u.Reason != repair.ReasonNoFile || len(u.Files) != 1 || u.Files[0].Problem != repair.ProblemMissing {
				t.Errorf("unrepaired: %+v", u)
			}
			if n := failures(true); n != 1 {
				t.Fatalf("after repair the audit finds %d failures, want 1 (d.ogg)", n)
			}

			// The file comes back (from another disk, say): the quick
			// audit finds the loss and repair puts it back.
			os.WriteFile(filepath.Join(music, "d.ogg"), []byte(content["d.ogg"]), 0o644)
			code, stdout, stderr := run("repair")
			if code != 0 || !strings.Contains(stdout, "repaired "+blob("d.ogg")+" (lost) from "+filepath.Join(music, "d.ogg")) {
				t.Fatalf("repair of d.ogg: exit %d\n%s\n%s", code, stdout, stderr)
			}
			if n := failures(true); n != 0 {
				t.Fatalf("after the second repair the audit finds %d failures", n)
			}
			// The next backup uploads none of what repair put back: the
			// damage markers this computer wrote are no news to its cache.
			code, stdout, stderr = run("backup", "--json", music)
			var br struct {
				Blobs int64 `json:"blobs_uploaded"`
			}
			if err := json.Unmarshal([]byte(stdout), &br); code != 0 || err != nil || br.Blobs != 0 {
				t.Fatalf("backup after repair: exit %d, %v, %+v\n%s\n%s", code, err, br, stdout, stderr)
			}

			if code, _, stderr := run("restore", "--to", filepath.Join(dir, "out")); code != 0 {
				t.Fatalf("restore: %s", stderr)
			}
			for name, c := range content {
				if b, _ := os.ReadFile(filepath.Join(dir, "out", "Music", name)); string(b) != c {
					t.Errorf("%s restored differently", name)
				}
			}
		})
	}
}
