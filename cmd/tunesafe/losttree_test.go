package main

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"testing"
)

// TestBackupStoresDamageAgain loses or corrupts a tree or a blob behind
// Tunesafe's back. Once verify, audit or repair has found it, on this
// computer or another, the next backup of the unchanged folder stores it
// again: the check leaves
// nothing lost, and the new snapshot restores in full on a computer that
// never saw the vault.
func TestBackupStoresDamageAgain(t *testing.T) {
	files := map[string]string{
		"Artist/a.txt": "the first file\n",
		"Other/b.txt":  "the second file\n",
	}
	cases := []struct {
		name  string
		check []string
		// how finds the damaged object's file in the vault's folder.
		how    func(t *testing.T, vaultDir string) string
		remove bool // the object is removed, not overwritten
		// elsewhere runs the check on another computer, which has
		// neither the files nor a cache: its damage marker tells this
		// computer's cache.
		elsewhere bool
	}{
		{name: "lost folder tree found by verify", check: []string{"verify"}, how: treeWith(`"name":"a.txt"`), remove: true},
		{name: "lost folder tree found by repair", check: []string{"repair"}, how: treeWith(`"name":"a.txt"`), remove: true},
		{name: "lost folder tree found by audit", check: []string{"audit"}, how: treeWith(`"name":"a.txt"`), remove: true},
		{name: "lost tree of the source folder found by verify", check: []string{"verify"}, how: treeWith(`"name":"Artist"`), remove: true},
		{name: "lost root tree found by verify", check: []string{"verify"}, how: treeWith(`"name":"Music"`), remove: true},
		{name: "corrupted folder tree found by a deep verify", check: []string{"verify", "--deep"}, how: treeWith(`"name":"b.txt"`)},
		{name: "lost blob found by verify", check: []string{"verify"}, how: blobOf(files["Artist/a.txt"]), remove: true},
		{name: "corrupted blob found by a deep verify", check: []string{"verify", "--deep"}, how: blobOf(files["Other/b.txt"])},
		{name: "lost blob found by verify on another computer", check: []string{"verify"}, how: blobOf(files["Artist/a.txt"]), remove: true, elsewhere: true},
		{name: "corrupted blob found by a deep verify on another computer", check: []string{"verify", "--deep"}, how: blobOf(files["Other/b.txt"]), elsewhere: true},
		{name: "lost folder tree found by repair on another computer", check: []string{"repair"}, how: treeWith(`"name":"a.txt"`), remove: true, elsewhere: true},
		{name: "corrupted folder tree found by a deep repair on another computer", check: []string{"repair", "--deep"}, how: treeWith(`"name":"b.txt"`), elsewhere: true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			music := filepath.Join(dir, "Music")
			for name, content := range files {
				p := filepath.Join(music, filepath.FromSlash(name))
				os.MkdirAll(filepath.Dir(p), 0o755)
				if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			v := filepath.Join(dir, "v")
			env := map[string]string{"XDG_CONFIG_HOME": filepath.Join(dir, "cfg"), "XDG_STATE_HOME": filepath.Join(dir, "state"),
				"TUNESAFE_PASSPHRASE": "", "TUNESAFE_VAULT": ""}
			run := func(args ...string) (int, string, string) {
				t.Helper()
				return tunesafe(t, env, args...)
			}
			if code, _, stderr := run("init", v, "--no-encrypt", "--no-default"); code != 0 {
				t.Fatalf("init: %s", stderr)
			}
			if code, _, stderr := run("backup", "--vault", v, music); code != 0 {
				t.Fatalf("backup: %s", stderr)
			}
			obj := c.how(t, v)
			if c.remove {
				if err := os.Remove(obj); err != nil {
					t.Fatal(err)
				}
			} else if err := os.WriteFile(obj, []byte("not what was stored"), 0o644); err != nil {
				t.Fatal(err)
			}
			checker := env
			if c.elsewhere {
				checker = maps.Clone(env)
				checker["XDG_STATE_HOME"] = filepath.Join(dir, "elsewhere")
			}
			if code, stdout, stderr := tunesafe(t, checker, append(c.check, "--vault", v)...); code != exitIntegrity {
				t.Fatalf("%v: exit %d, want %d\n%s%s", c.check, code, exitIntegrity, stdout, stderr)
			}
			if code, stdout, stderr := run("backup", "--vault", v, music); code != 0 {
				t.Fatalf("backup: exit %d\n%s%s", code, stdout, stderr)
			}
			code, stdout, stderr := run("verify", "--deep", "--json", "--vault", v)
			var rep auditJSON
			if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
				t.Fatalf("verify output: %v\n%s%s", err, stdout, stderr)
			}
			if code != 0 || rep.Counts["lost"] != 0 || rep.Counts["corrupted"] != 0 || len(rep.Findings) != 0 {
				t.Fatalf("verify after the backup: exit %d, counts %v, findings %+v\n%s", code, rep.Counts, rep.Findings, stderr)
			}
			if _, err := os.Stat(obj); err != nil {
				t.Errorf("the damaged object is not stored again: %v", err)
			}

			// Another computer: no cache, no copies of trees.
			fresh := maps.Clone(env)
			fresh["XDG_STATE_HOME"] = filepath.Join(dir, "fresh")
			out := filepath.Join(dir, "out")
			if code, _, stderr := tunesafe(t, fresh, "restore", "--vault", v, "--to", out); code != 0 {
				t.Fatalf("restore on a fresh computer: exit %d\n%s", code, stderr)
			}
			for name, want := range files {
				got, err := os.ReadFile(filepath.Join(out, "Music", filepath.FromSlash(name)))
				if err != nil || !bytes.Equal(got, []byte(want)) {
					t.Errorf("%s restored as %q (%v), want %q", name, got, err, want)
				}
			}
		})
	}
}

// treeWith returns a function that finds the file of the one tree of a
// plain vault whose JSON holds s.
func treeWith(s string) func(t *testing.T, vaultDir string) string {
	return func(t *testing.T, vaultDir string) string {
		t.Helper()
		var found []string
		err := filepath.WalkDir(filepath.Join(vaultDir, "trees"), func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			f, err := os.Open(p)
			if err != nil {
				return err
			}
			defer f.Close()
			zr, err := gzip.NewReader(f)
			if err != nil {
				return err
			}
			plain, err := io.ReadAll(zr)
			if err != nil {
				return err
			}
			if bytes.Contains(plain, []byte(s)) {
				found = append(found, p)
			}
			return nil
		})
		if err != nil || len(found) != 1 {
			t.Fatalf("trees holding %s: %v (%v)", s, found, err)
		}
		return found[0]
	}
}

// blobOf returns a function that finds the file of a small file's only
// blob in a plain vault.
func blobOf(content string) func(t *testing.T, vaultDir string) string {
	return func(t *testing.T, vaultDir string) string {
		return filepath.Join(vaultDir, filepath.FromSlash(plainBlobKey(content)))
	}
}
