package main

import (
	"io/fs"
	"os"
	"path/filepath"
	"slices"
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

// A verify records itself in the log with its lock's release: one entries
// object and one checkpoint for the two records, besides those of the
// lock's PUT, and no lock is left behind.
func TestVerifyRecordsOnce(t *testing.T) {
	v := newAuditVault(t, false)
	logObjects := func() map[string]bool {
		got := map[string]bool{}
		filepath.WalkDir(filepath.Join(v.vault, "log"), func(p string, d fs.DirEntry, err error) error {
			if err == nil && d.Type().IsRegular() {
				got[p] = true
			}
			return nil
		})
		return got
	}
	before := logObjects()
	out := v.must("verify", "--json")
	if !strings.Contains(out, `"recorded": true`) {
		t.Fatalf("verify --json does not say it was recorded:\n%s", out)
	}
	var entries, checkpoints []string
	for p := range logObjects() {
		if before[p] {
			continue
		}
		switch filepath.Base(filepath.Dir(p)) {
		case "entries":
			entries = append(entries, filepath.Base(p))
		case "checkpoints":
			checkpoints = append(checkpoints, filepath.Base(p))
		}
	}
	if len(entries) != 2 || len(checkpoints) != 2 {
		t.Errorf("verify wrote entries %v and checkpoints %v; want two of each (the lock's PUT, then the verify record with the lock's DELETE)", entries, checkpoints)
	}
	if locks, _ := os.ReadDir(filepath.Join(v.vault, "locks")); len(locks) != 0 {
		t.Errorf("verify left %d locks", len(locks))
	}
	if len(entries) == 2 {
		slices.Sort(entries)
		b, err := os.ReadFile(filepath.Join(v.vault, "log", "entries", entries[1]))
		if err != nil || !strings.Contains(string(b), `"op":"verify"`) || !strings.Contains(string(b), `"op":"delete"`) {
			t.Errorf("the last entries object (%v) holds:\n%s", err, b)
		}
	}
}
