package main

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A hint is not a format: it is printed as written.
func TestVerifySampleHintPrintsPercent(t *testing.T) {
	code, _, stderr := tunesafe(t, nil, "verify", "--vault", t.TempDir(), "--sample", "abc")
	if code != exitUsage {
		t.Fatalf("verify --sample abc: exit %d\n%s", code, stderr)
	}
	if !strings.Contains(stderr, "tunesafe: hint: for example --sample 5%\n") {
		t.Fatalf("hint:\n%s", stderr)
	}
}

// Corruption that only a download finds is repaired only by a repair that
// downloads: verify's hint says 'repair --deep'.
func TestVerifyDeepCorruptionHintsRepairDeep(t *testing.T) {
	for _, mode := range [][]string{{"--deep"}, {"--sample", "100%"}} {
		t.Run(mode[0], func(t *testing.T) {
			env, vault := trustVault(t)
			var blob string
			filepath.WalkDir(filepath.Join(vault, "blobs"), func(p string, d fs.DirEntry, err error) error {
				if err == nil && d.Type().IsRegular() {
					blob = p
				}
				return nil
			})
			b, err := os.ReadFile(blob)
			if err != nil {
				t.Fatal(err)
			}
			b[len(b)/2] ^= 0x20 // same size: a quick check does not see it
			if err := os.WriteFile(blob, b, 0o644); err != nil {
				t.Fatal(err)
			}
			code, _, stderr := tunesafe(t, env, append([]string{"verify", "--vault", vault}, mode...)...)
			if code != exitIntegrity {
				t.Fatalf("verify %s of a corrupted blob: exit %d\n%s", mode, code, stderr)
			}
			if !strings.Contains(stderr, "'tunesafe repair --deep'") {
				t.Fatalf("the hint does not send to 'tunesafe repair --deep':\n%s", stderr)
			}
		})
	}
}
