package estimate

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/tunesafe/tunesafe/internal/exclude"
)

func write(t *testing.T, path string, size int) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, make([]byte, size), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestScan(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "music", "a.flac"), 1000)
	write(t, filepath.Join(dir, "music", "album", "b.mp3"), 250)
	write(t, filepath.Join(dir, "music", "album", "empty.m4a"), 0)
	write(t, filepath.Join(dir, "other", "c.ogg"), 4000)
	if runtime.GOOS != "windows" {
		if err := os.Symlink(filepath.Join(dir, "other"), filepath.Join(dir, "music", "link")); err != nil {
			t.Fatal(err)
		}
	}
	got, err := Scan(t.Context(), []string{filepath.Join(dir, "music"), filepath.Join(dir, "other", "c.ogg")}, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := Totals{Files: 4, Bytes: 5250, Dirs: 2, Symlinks: 1}
	if runtime.GOOS == "windows" {
		want.Symlinks = 0
	}
	if got != want {
		t.Errorf("Scan = %+v, want %+v (the link is not followed)", got, want)
	}
}

func TestScanMissing(t *testing.T) {
	nope := filepath.Join(t.TempDir(), "nope")
	_, err := Scan(t.Context(), []string{nope}, nil)
	if !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Scan of a missing path: %v", err)
	}
	// Scan reads and backs up nothing; the path is named once.
	if want := "cannot read " + nope + ": no such file or directory"; runtime.GOOS != "windows" && err.Error() != want {
		t.Errorf("Scan of a missing path: %q, want %q", err, want)
	}
}

func TestScanCancelled(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "a"), 1)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := Scan(ctx, []string{dir}, nil); !errors.Is(err, context.Canceled) {
		t.Errorf("Scan with a cancelled context: %v", err)
	}
}

func TestScanUnreadable(t *testing.T) {
	if runtime.GOOS == "windows" || os.Geteuid() == 0 {
		t.Skip("needs a user that permissions apply to")
	}
	dir := t.TempDir()
	write(t, filepath.Join(dir, "ok", "a"), 10)
	write(t, filepath.Join(dir, "locked", "b"), 10)
	if err := os.Chmod(filepath.Join(dir, "locked"), 0); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Chmod(filepath.Join(dir, "locked"), 0o755) })
	got, err := Scan(t.Context(), []string{dir}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got.Files != 1 || got.Skipped != 1 {
		t.Errorf("Scan = %+v, want 1 file and the locked directory skipped", got)
	}
	if _, err := Scan(t.Context(), []string{filepath.Join(dir, "locked")}, nil); err == nil {
		t.Error("an unreadable source path is not an error")
	}
}

// What the exclusions leave out is not counted, and a folder left out is
// not entered.
func TestScanExcluded(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "music", "a.flac"), 1000)
	write(t, filepath.Join(dir, "music", ".DS_Store"), 6)
	write(t, filepath.Join(dir, "music", "Podcasts", "ep1.mp3"), 500)
	write(t, filepath.Join(dir, "music", "Podcasts", "ep2.mp3"), 500)
	x, err := exclude.New([]string{".DS_Store", "Podcasts/"}, "")
	if err != nil {
		t.Fatal(err)
	}
	got, err := Scan(t.Context(), []string{filepath.Join(dir, "music")}, x)
	if err != nil {
		t.Fatal(err)
	}
	if want := (Totals{Files: 1, Bytes: 1000, Dirs: 1, Excluded: 2}); got != want {
		t.Errorf("Scan = %+v, want %+v", got, want)
	}
}
