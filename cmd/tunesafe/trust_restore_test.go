package main

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A restore that needs an object the provider lost exits with the
// integrity code, as for a damaged one, and says that running it again
// will not help.
func TestRestoreOfLostObjectExitsIntegrity(t *testing.T) {
	for _, lose := range []string{"blobs", "trees"} {
		t.Run(lose, func(t *testing.T) {
			env, vault := trustVault(t)
			n := 0
			filepath.WalkDir(filepath.Join(vault, lose), func(p string, d fs.DirEntry, err error) error {
				if err == nil && d.Type().IsRegular() {
					n++
					return os.Remove(p)
				}
				return nil
			})
			if n == 0 {
				t.Fatalf("no %s in the vault", lose)
			}
			env["XDG_STATE_HOME"] = filepath.Join(t.TempDir(), "fresh") // no cache of the trees
			code, _, stderr := tunesafe(t, env, "restore", "--vault", vault, "--to", filepath.Join(t.TempDir(), "out"))
			if code != exitIntegrity {
				t.Fatalf("restore of lost %s: exit %d, want %d\n%s", lose, code, exitIntegrity, stderr)
			}
			for _, want := range []string{"missing from the vault", "running restore again will not help", "'tunesafe verify'", "'tunesafe repair'"} {
				if !strings.Contains(stderr, want) {
					t.Errorf("stderr lacks %q:\n%s", want, stderr)
				}
			}
		})
	}
}
