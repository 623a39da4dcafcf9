package main

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tunesafe/tunesafe/internal/restore"
)

// TestRestoreHintFilesInTheWay: a restore that fails only on files in
// the way (a different file, a symlink) says to use --overwrite or another
// --to, not to run it again: what is in the way stays there.
func TestRestoreHintFilesInTheWay(t *testing.T) {
	env, dir := restoreEnv(t)
	out := filepath.Join(dir, "out")
	if code, _, stderr := tunesafe(t, env, "restore", "--to", out); code != exitOK {
		t.Fatalf("first restore: exit %d\n%s", code, stderr)
	}
	album := filepath.Join(out, "music", "Artist", "Album")
	for _, tc := range []struct {
		name  string
		setup func()
	}{
		{"one file", func() { os.WriteFile(filepath.Join(album, "01.mp3"), []byte("edited"), 0o644) }},
		{"a file and a symlink", func() {
			os.Remove(filepath.Join(album, "02.mp3"))
			os.Symlink("01.mp3", filepath.Join(album, "02.mp3"))
		}},
	} {
		tc.setup()
		code, _, stderr := tunesafe(t, env, "restore", "--to", out)
		lines := errorLines(stderr)
		if code != exitFailure || len(lines) != 2 {
			t.Fatalf("%s in the way: exit %d\n%s", tc.name, code, stderr)
		}
		hint := lines[1]
		if !strings.Contains(hint, "--overwrite") || !strings.Contains(hint, "another --to") || strings.Contains(hint, "skipped when you run restore again") {
			t.Fatalf("%s in the way: hint %q", tc.name, hint)
		}
	}
	if code, _, stderr := tunesafe(t, env, "restore", "--to", out, "--overwrite"); code != exitOK {
		t.Fatalf("restore --overwrite: exit %d\n%s", code, stderr)
	}

	// A folder in the way, which --overwrite does not replace.
	os.Remove(filepath.Join(album, "01.mp3"))
	os.Mkdir(filepath.Join(album, "01.mp3"), 0o755)
	code, _, stderr := tunesafe(t, env, "restore", "--to", out, "--overwrite")
	lines := errorLines(stderr)
	if code != exitFailure || len(lines) != 2 || !strings.Contains(lines[1], "move the folders in the way away") ||
		strings.Contains(lines[1], "add --overwrite") || !strings.Contains(lines[1], "another --to") {
		t.Fatalf("a folder in the way: exit %d\n%s", code, stderr)
	}
}

// TestRestoreHintDamaged: a file whose content, or a folder whose tree,
// the vault lost or holds damaged points to an older snapshot and to a
// replica, which need no computer that backed it up, in one hint line.
func TestRestoreHintDamaged(t *testing.T) {
	for _, err := range []error{
		&restore.FailedError{Failures: []restore.Failure{{Path: "a.flac", Err: "lost"}}}, // not damage: no such hint
		&restore.DamagedError{Lost: true, Err: errors.New("blob 1234 of a.flac")},
		&restore.DamagedError{Err: errors.New("blob 1234 of a.flac is damaged")},
		restoreHint(&restore.TreeError{Path: "Music", Key: "trees/12", Err: errors.New("gone")}, "/tmp/out"),
	} {
		code, _, hint := classify(err)
		if _, ok := err.(*restore.FailedError); ok {
			if strings.Contains(hint, "--snapshot") {
				t.Fatalf("hint %q for %v", hint, err)
			}
			continue
		}
		for _, want := range []string{"will not help", "'tunesafe snapshots'", "'tunesafe restore --snapshot ID PATH'", "'tunesafe repair --from LOCATION'"} {
			if !strings.Contains(hint, want) {
				t.Errorf("%v: hint lacks %q: %q", err, want, hint)
			}
		}
		if _, ok := err.(*restore.DamagedError); ok && code != exitIntegrity {
			t.Errorf("%v: exit %d, want %d", err, code, exitIntegrity)
		}
		if strings.Contains(hint, "\n") {
			t.Errorf("hint of more than one line: %q", hint)
		}
	}
	if _, _, hint := classify(treeHint(&restore.TreeError{Path: "Music", Err: errors.New("gone")}, "ls")); strings.Contains(hint, "restore --snapshot") {
		t.Errorf("ls's hint sends to restore: %q", hint)
	}
}

// TestRestoreIntoVault: a target that is the folder vault, or a folder
// inside it (also through a symlink), is refused as a usage error before
// anything is written; a folder beside it whose name begins alike is not.
func TestRestoreIntoVault(t *testing.T) {
	env, dir := restoreEnv(t)
	vault := env["TUNESAFE_VAULT"]
	os.Symlink(vault, filepath.Join(dir, "link"))
	before := treeOf(t, vault)
	for _, to := range []string{vault, filepath.Join(vault, "x"), filepath.Join(vault, "data", "..", "restored"), filepath.Join(dir, "link", "y")} {
		code, _, stderr := tunesafe(t, env, "restore", "--to", to)
		if code != exitUsage || !strings.Contains(stderr, "restore into a folder outside the vault") {
			t.Fatalf("restore --to %s: exit %d, want %d\n%s", to, code, exitUsage, stderr)
		}
		if after := treeOf(t, vault); after != before {
			t.Fatalf("restore --to %s changed the vault:\n%s\nwas\n%s", to, after, before)
		}
	}
	rel, _ := filepath.Rel(mustGetwd(t), filepath.Join(vault, "x"))
	if code, _, stderr := tunesafe(t, env, "restore", "--to", rel); code != exitUsage {
		t.Fatalf("restore --to %s (relative): exit %d\n%s", rel, code, stderr)
	}
	if code, _, stderr := tunesafe(t, env, "restore", "--to", vault+"2"); code != exitOK {
		t.Fatalf("restore beside the vault: exit %d\n%s", code, stderr)
	}
}

// treeOf lists the names under root.
func treeOf(t *testing.T, root string) string {
	t.Helper()
	var names []string
	filepath.WalkDir(root, func(p string, _ os.DirEntry, err error) error {
		if err == nil {
			names = append(names, p)
		}
		return nil
	})
	return strings.Join(names, "\n")
}

func mustGetwd(t *testing.T) string {
	t.Helper()
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	return wd
}
