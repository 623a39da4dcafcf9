package main

import (
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/tunesafe/tunesafe/docs"
	"github.com/tunesafe/tunesafe/internal/testenv"
)

// recipe extracts the hand-restore script from FORMAT.md.
func recipe(t *testing.T) string {
	t.Helper()
	m := regexp.MustCompile("(?s)<!-- recipe:begin -->\\s*```sh\n(.*?)```\\s*<!-- recipe:end -->").FindSubmatch(docs.Format)
	if m == nil {
		t.Fatal("FORMAT.md has no recipe block")
	}
	return string(m[1])
}

// TestHandRestoreRecipe follows FORMAT.md's recipe with stock tools (sh,
// the Debian age package, gunzip, sha256sum) on real vaults, plain and
// encrypted, and gets byte-identical files.
func TestHandRestoreRecipe(t *testing.T) {
	ageBin := testenv.LookPath(t, "age")
	scriptBin := testenv.LookPath(t, "script")
	testenv.LookPath(t, "gunzip")
	dir := t.TempDir()
	music := filepath.Join(dir, "Music")
	src := testenv.Corpus(t, "mutagen")
	files := []string{"silence-44-s.flac", "xing.mp3", "has-tags.m4a"}
	os.MkdirAll(filepath.Join(music, "Jean Sibelius & Co"), 0o755)
	big := bytes.Repeat([]byte("not audio, but several chunks long "), 300000) // ~10 MB: several blobs
	os.WriteFile(filepath.Join(music, "Jean Sibelius & Co", "big.wav"), big, 0o644)
	for _, f := range files {
		b, err := os.ReadFile(filepath.Join(src, f))
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(music, "Jean Sibelius & Co", f), b, 0o644)
	}
	script := filepath.Join(dir, "tunesafe-restore.sh")
	os.WriteFile(script, []byte(recipe(t)), 0o755)
	env := map[string]string{"XDG_CONFIG_HOME": filepath.Join(dir, "cfg"), "XDG_STATE_HOME": filepath.Join(dir, "state"), "TUNESAFE_VAULT": ""}

	for _, encrypted := range []bool{false, true} {
		vaultDir := filepath.Join(dir, "plain")
		pass := ""
		args := []string{"init", vaultDir, "--no-encrypt", "--no-default"}
		if encrypted {
			vaultDir = filepath.Join(dir, "encrypted")
			pass = "a passphrase for the recipe"
			args = []string{"init", vaultDir, "--encrypt", "--kdf-work", "10", "--no-default"}
		}
		env["TUNESAFE_PASSPHRASE"] = pass
		if code, _, stderr := tunesafe(t, env, args...); code != 0 {
			t.Fatalf("init: %s", stderr)
		}
		if code, _, stderr := tunesafe(t, env, "backup", "--vault", vaultDir, music); code != 0 {
			t.Fatalf("backup: %s", stderr)
		}
		snaps, _ := filepath.Glob(filepath.Join(vaultDir, "snapshots", "*"))
		if len(snaps) != 1 {
			t.Fatalf("want one snapshot, have %v", snaps)
		}
		snap := filepath.Base(snaps[0])
		if !encrypted && !treesUseLists(t, vaultDir) {
			t.Fatal("no tree entry uses a list: the recipe's list reading is not exercised")
		}
		cmdEnv := append(os.Environ(), "VAULT="+vaultDir, "IDENTITY=")
		if encrypted {
			// The stock age CLI reads the passphrase from a terminal: give it
			// one with script(1).
			keys, _ := filepath.Glob(filepath.Join(vaultDir, "keys", "*"))
			identity := filepath.Join(dir, "identity.txt")
			c := exec.Command(scriptBin, "-qec", ageBin+" -d -o "+identity+" "+keys[0], "/dev/null")
			c.Stdin = strings.NewReader(pass + "\n")
			if out, err := c.CombinedOutput(); err != nil {
				t.Fatalf("age -d keys: %v\n%s", err, out)
			}
			cmdEnv = append(cmdEnv, "IDENTITY="+identity)
		}
		for _, f := range append(files, "big.wav") {
			out := filepath.Join(dir, "out-"+f)
			c := exec.Command("sh", script, snap, "Music/Jean Sibelius & Co/"+f, out)
			c.Env = cmdEnv
			if o, err := c.CombinedOutput(); err != nil {
				t.Fatalf("encrypted=%v %s: recipe failed: %v\n%s", encrypted, f, err, o)
			}
			want, _ := os.ReadFile(filepath.Join(music, "Jean Sibelius & Co", f))
			got, _ := os.ReadFile(out)
			if !bytes.Equal(got, want) {
				t.Fatalf("encrypted=%v %s: recipe restored different bytes", encrypted, f)
			}
			os.Remove(out)
		}
	}
}

// treesUseLists reports whether a tree of the plain vault at dir has an
// entry with lists.
func treesUseLists(t *testing.T, dir string) bool {
	t.Helper()
	trees, _ := filepath.Glob(filepath.Join(dir, "trees", "*", "*"))
	for _, p := range trees {
		f, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		zr, err := gzip.NewReader(f)
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(zr)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(b, []byte(`"lists":[`)) {
			return true
		}
	}
	return false
}
