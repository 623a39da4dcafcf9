package backup

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tunesafe/tunesafe/internal/exclude"
)

// Excluded files and folders are not in the snapshot, are counted, and
// changing the patterns changes the next snapshot even though no file
// changed (the folder fingerprints cover exactly what is backed up).
func TestExcludedPathsLeftOut(t *testing.T) {
	f := newFixture(t, false)
	src := filepath.Join(f.dir, "Music")
	writeFile(t, filepath.Join(src, "A", "01.mp3"), randomBytes(1, 5<<10))
	writeFile(t, filepath.Join(src, "A", ".DS_Store"), []byte("finder"))
	writeFile(t, filepath.Join(src, "Podcasts", "ep1.mp3"), randomBytes(2, 5<<10))
	writeFile(t, filepath.Join(src, "Podcasts", "ep2.mp3"), randomBytes(3, 5<<10))
	set := func(patterns ...string) *exclude.Set {
		s, err := exclude.New(patterns, f.dir)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}

	res := f.backupClean(Options{Paths: []string{src}, Exclude: set(".DS_Store", "~/Music/Podcasts")})
	if res.Excluded != 2 || res.FilesNew != 1 {
		t.Fatalf("first pass: %d excluded, %d new; want 2 and 1", res.Excluded, res.FilesNew)
	}
	if got := f.snapshotFiles(res.SnapshotID); strings.Join(got, " ") != "Music/A/01.mp3" {
		t.Fatalf("snapshot holds %v", got)
	}

	// Same patterns, nothing changed: still 2 excluded, nothing read.
	res = f.backupClean(Options{Paths: []string{src}, Exclude: set(".DS_Store", "~/Music/Podcasts")})
	if res.Excluded != 2 || res.BytesRead != 0 || res.TreesUploaded != 0 {
		t.Fatalf("no-change pass: %+v", res)
	}

	// Podcasts no longer excluded: its files come in, with no file changed.
	res = f.backupClean(Options{Paths: []string{src}, Exclude: set(".DS_Store")})
	if res.Excluded != 1 || res.FilesNew != 2 {
		t.Fatalf("after dropping a pattern: %d excluded, %d new; want 1 and 2", res.Excluded, res.FilesNew)
	}
	if got := f.snapshotFiles(res.SnapshotID); len(got) != 3 {
		t.Fatalf("snapshot holds %v, want 3 files", got)
	}

	// And excluded again: the folder goes, though nothing on disk changed.
	res = f.backupClean(Options{Paths: []string{src}, Exclude: set("Podcasts/")})
	if got := f.snapshotFiles(res.SnapshotID); len(got) != 2 {
		t.Fatalf("snapshot holds %v, want 01.mp3 and .DS_Store", got)
	}
}

// A folder vault inside the folder being backed up is never backed up
// into itself, and backing up the vault folder itself is refused.
func TestVaultInsideSourceLeftOut(t *testing.T) {
	f := newFixture(t, false)
	src := filepath.Join(f.dir, "Music")
	writeFile(t, filepath.Join(src, "A", "01.mp3"), randomBytes(1, 5<<10))
	vaultDir := filepath.Join(src, "backup")
	writeFile(t, filepath.Join(vaultDir, "tunesafe.json"), []byte("{}"))
	writeFile(t, filepath.Join(vaultDir, "blobs", "ab", "abcd"), randomBytes(2, 1<<10))
	var own exclude.Set
	if err := own.Own(vaultDir, "the vault"); err != nil {
		t.Fatal(err)
	}
	res := f.backupClean(Options{Paths: []string{src}, Exclude: &own})
	if res.Excluded != 1 {
		t.Fatalf("%d excluded, want the vault folder", res.Excluded)
	}
	if got := f.snapshotFiles(res.SnapshotID); strings.Join(got, " ") != "Music/A/01.mp3" {
		t.Fatalf("snapshot holds %v", got)
	}

	for _, p := range []string{vaultDir, filepath.Join(vaultDir, "blobs")} {
		_, err := Run(context.Background(), f.vault, f.cache, Options{Paths: []string{p}, Exclude: &own})
		if err == nil || !strings.Contains(err.Error(), "the vault") {
			t.Errorf("backup of %s: %v, want a refusal naming the vault", p, err)
		}
	}
}

// Files a library names outside the paths are subject to the patterns
// too.
func TestExcludedExtraFiles(t *testing.T) {
	f := newFixture(t, false)
	src := filepath.Join(f.dir, "Music")
	writeFile(t, filepath.Join(src, "01.mp3"), randomBytes(1, 5<<10))
	keep := filepath.Join(f.dir, "Elsewhere", "02.mp3")
	drop := filepath.Join(f.dir, "Elsewhere", "02.mp3.part")
	writeFile(t, keep, randomBytes(2, 5<<10))
	writeFile(t, drop, randomBytes(3, 5<<10))
	x, err := exclude.New([]string{"*.part"}, "")
	if err != nil {
		t.Fatal(err)
	}
	res := f.backupClean(Options{Paths: []string{src}, Files: []string{keep, drop}, Exclude: x})
	if res.Excluded != 1 || res.FilesNew != 2 {
		t.Fatalf("%d excluded, %d new; want 1 and 2", res.Excluded, res.FilesNew)
	}
}

// snapshotFiles lists the regular files of a snapshot, slash-separated.
func (f *fixture) snapshotFiles(snapshot string) []string {
	f.t.Helper()
	out := filepath.Join(f.dir, "list-"+snapshot)
	f.restore(snapshot, out)
	var files []string
	filepath.WalkDir(out, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			f.t.Fatal(err)
		}
		if d.Type().IsRegular() {
			rel, _ := filepath.Rel(out, p)
			files = append(files, filepath.ToSlash(rel))
		}
		return nil
	})
	return files
}
