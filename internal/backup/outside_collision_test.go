package backup

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A file outside the source paths is stored under its absolute path,
// whose first element names its entry in the root tree. A source path
// whose last element is that same name (backing up /data/tmp with a track
// in /tmp) is a different folder: the pass refuses it, naming both, rather
// than store the track nowhere; CheckFiles says so before any pass.
func TestOutsideFileNameClash(t *testing.T) {
	f := newFixture(t, false)
	top := pathParts(f.dir)[0] // "tmp" for /tmp/TestX/001
	src := filepath.Join(f.dir, "data", top)
	writeFile(t, filepath.Join(src, "in.mp3"), randomBytes(1, 10<<10))
	out := filepath.Join(f.dir, "ts-anc", "out.mp3")
	writeFile(t, out, randomBytes(2, 10<<10))
	o := Options{Paths: []string{src}, Files: []string{out, filepath.Join(src, "in.mp3")}, CheckpointEvery: -1}

	err := CheckFiles(o.Paths, o.Files)
	var ce *NameClashError
	if !errors.As(err, &ce) || ce.File != out || ce.Source != src || ce.Name != top {
		t.Fatalf("CheckFiles: %v, want a clash of %s with %s", err, out, src)
	}
	res, err := Run(context.Background(), f.vault, f.cache, o)
	if !errors.As(err, &ce) {
		t.Fatalf("backup: %v (%+v), want the clash refused", err, res)
	}
	if !strings.Contains(err.Error(), out) || !strings.Contains(err.Error(), src) {
		t.Fatalf("the error names neither path: %v", err)
	}
	if n := f.countObjects("snapshots/"); n != 0 {
		t.Fatalf("%d snapshots saved", n)
	}
	if err := CheckFiles(o.Paths, o.Files[1:]); err != nil {
		t.Fatalf("CheckFiles of a file inside the source path: %v", err)
	}
}

// The folder at the filesystem root of that name may be the source path
// itself, reached through a symlink (/Volumes/Macintosh HD/Users is
// /Users): the file then lies inside the source path, where its walk
// stores it at the very snapshot path the file's absolute path gives.
func TestOutsideFileSameFolderBySymlink(t *testing.T) {
	dir := t.TempDir()
	top := pathParts(dir)[0]
	slash := filepath.Join(dir, "slash")
	if err := os.Symlink(string(filepath.Separator), slash); err != nil {
		t.Skip("no symlinks here:", err)
	}
	src := filepath.Join(slash, top) // the folder /tmp, by another path
	file := filepath.Join(dir, "x", "song.mp3")
	writeFile(t, file, []byte("track"))
	if err := CheckFiles([]string{src}, []string{file}); err != nil {
		t.Fatalf("CheckFiles: %v", err)
	}
	rel, err := SnapshotPath(Options{Paths: []string{src}}, file)
	if err != nil || rel != strings.Join(pathParts(file), "/") {
		t.Fatalf("SnapshotPath = %q, %v", rel, err)
	}
}

// A folder on the way to an outside file may be a symlink (macOS's /tmp
// and /var; a folder linked to another disk): the file is still stored,
// under the path it was named by, the link recorded as the folder it leads
// to, and restored there.
func TestOutsideFileBehindSymlinkedFolder(t *testing.T) {
	f := newFixture(t, false)
	src := filepath.Join(f.dir, "Music")
	writeFile(t, filepath.Join(src, "in.mp3"), randomBytes(1, 10<<10))
	real := filepath.Join(f.dir, "disk", "Media")
	writeFile(t, filepath.Join(real, "Album", "out.mp3"), randomBytes(2, 10<<10))
	link := filepath.Join(f.dir, "Linked")
	if err := os.Symlink(real, link); err != nil {
		t.Skip("no symlinks here:", err)
	}
	out := filepath.Join(link, "Album", "out.mp3")
	o := Options{Paths: []string{src}, Files: []string{out}}
	res := f.backupClean(o)
	if res.FilesNew != 2 {
		t.Fatalf("want 2 files, got %+v", res)
	}
	to := filepath.Join(f.dir, "restored")
	f.restore(res.SnapshotID, to)
	rel, err := SnapshotPath(o, out)
	if err != nil {
		t.Fatal(err)
	}
	if hashOf(t, filepath.Join(to, filepath.FromSlash(rel))) != hashOf(t, out) {
		t.Fatalf("out.mp3 not restored at %s", rel)
	}
	if fi, err := os.Lstat(filepath.Join(to, filepath.FromSlash(rel), "..", "..")); err != nil || !fi.IsDir() {
		t.Fatalf("the linked folder is not restored as a folder: %v, %v", fi, err)
	}
	if again := f.backupClean(o); again.FilesUnchanged != 2 || again.BytesRead != 0 {
		t.Fatalf("rerun: %+v", again)
	}
}
