//go:build unix

package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/tunesafe/tunesafe/docs"
	"github.com/tunesafe/tunesafe/internal/testenv"
)

// recipe extracts the hand-restore script from FORMAT.md.
func recipe(t testing.TB) string {
	t.Helper()
	m := regexp.MustCompile("(?s)<!-- recipe:begin -->\\s*```sh\n(.*?)```\\s*<!-- recipe:end -->").FindSubmatch(docs.Format)
	if m == nil {
		t.Fatal("FORMAT.md has no recipe block")
	}
	return string(m[1])
}

// TestHandRestoreRecipe follows FORMAT.md's recipe with stock tools (sh,
// the Debian age package, gunzip, sha256sum, od, awk) on real vaults,
// plain and encrypted, made in a time zone west of UTC: it restores
// files (Ogg files with the ogg1 layout among them), symlinks and a
// folder one at a time, then the whole snapshot, and gets the same bytes,
// names, symlink targets, permissions and modification times.
func TestHandRestoreRecipe(t *testing.T) {
	ageBin := testenv.LookPath(t, "age")
	scriptBin := testenv.LookPath(t, "script")
	testenv.LookPath(t, "gunzip")
	dir := t.TempDir()
	t.Cleanup(func() { recipeWritable(dir) })
	lib := makeRecipeLibrary(t, filepath.Join(dir, "Music"))
	script := filepath.Join(dir, "tunesafe-restore.sh")
	os.WriteFile(script, []byte(recipe(t)), 0o755)
	env := map[string]string{"XDG_CONFIG_HOME": filepath.Join(dir, "cfg"), "XDG_STATE_HOME": filepath.Join(dir, "state"), "TUNESAFE_VAULT": ""}
	// Tunesafe writes mtimes in the computer's zone: half an hour off and
	// west of UTC, they cross days, months and years in UTC.
	zone := "America/St_Johns"
	if _, err := time.LoadLocation(zone); err != nil {
		t.Logf("no zone %s (%v): backing up in UTC", zone, err)
		zone = "UTC"
	}
	bin := tunesafeBinary(t)

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
		backup := exec.Command(bin, "backup", "--vault", vaultDir, lib.dir)
		backup.Env = append(os.Environ(), "TZ="+zone)
		if out, err := backup.CombinedOutput(); err != nil {
			t.Fatalf("backup: %v\n%s", err, out)
		}
		snaps, _ := filepath.Glob(filepath.Join(vaultDir, "snapshots", "*"))
		if len(snaps) != 1 {
			t.Fatalf("want one snapshot, have %v", snaps)
		}
		snap := filepath.Base(snaps[0])
		if !encrypted {
			checkRecipeVault(t, vaultDir, lib, zone != "UTC")
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
		run := func(path, out string) (string, error) {
			c := exec.Command("sh", script, snap, path, out)
			c.Env = cmdEnv
			o, err := c.CombinedOutput()
			return string(o), err
		}
		outs := filepath.Join(dir, fmt.Sprintf("restored-encrypted=%v", encrypted))
		os.Mkdir(outs, 0o755)

		// One path at a time: files, symlinks, a folder.
		for i, p := range lib.single {
			out := filepath.Join(outs, fmt.Sprint(i))
			if o, err := run(p, out); err != nil {
				t.Fatalf("encrypted=%v %q: recipe failed: %v\n%s", encrypted, p, err, o)
			}
			recipeCompare(t, filepath.Join(dir, p), out)
		}

		// The whole snapshot.
		whole := filepath.Join(outs, "whole")
		if o, err := run(".", whole); err != nil {
			t.Fatalf("encrypted=%v: recipe failed on the whole snapshot: %v\n%s", encrypted, err, o)
		}
		if entries, _ := os.ReadDir(whole); len(entries) != 1 || entries[0].Name() != "Music" {
			t.Errorf("the whole snapshot restored as %v, want Music alone", entries)
		}
		recipeCompare(t, lib.dir, filepath.Join(whole, "Music"))

		// Empty and "." elements of a path are skipped.
		if o, err := run("Music//Names/./-n", filepath.Join(outs, "normalized")); err != nil {
			t.Errorf("Music//Names/./-n: %v\n%s", err, o)
		} else {
			recipeCompare(t, filepath.Join(lib.dir, "Names", "-n"), filepath.Join(outs, "normalized"))
		}

		// Mistakes get a clear message.
		for _, c := range []struct{ path, out, want string }{
			{"Music/Nothing", filepath.Join(outs, "x"), "not found: Music/Nothing"},
			{"Music/Modes/empty/x", filepath.Join(outs, "x"), "not a folder: Music/Modes/empty"},
			{"Music/Modes/empty", whole, "already exists"},
		} {
			if o, err := run(c.path, c.out); err == nil || !strings.Contains(o, c.want) {
				t.Errorf("%q: %v\n%s\nwant an error saying %q", c.path, err, o, c.want)
			}
		}
		if t.Failed() {
			t.FailNow()
		}
	}
}
