package backup

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/tunesafe/tunesafe/internal/testenv"
)

// A file that cannot be read is a warning of the pass, not a new file and
// not work left for the next one; the files read are counted as usual.
func TestUnreadableFileIsNeitherNewNorRemaining(t *testing.T) {
	if testenv.AsUnprivileged(t) {
		return
	}
	if os.Geteuid() == 0 {
		t.Skip("root reads any file; AsUnprivileged runs this test as nobody")
	}
	f := newFixture(t, false)
	src := filepath.Join(f.dir, "Music")
	writeFile(t, filepath.Join(src, "a.flac"), randomBytes(1, 50<<10))
	writeFile(t, filepath.Join(src, "b.flac"), randomBytes(2, 50<<10))
	locked := filepath.Join(src, "locked.flac")
	writeFile(t, locked, randomBytes(3, 50<<10))
	if err := os.Chmod(locked, 0); err != nil {
		t.Fatal(err)
	}
	o := Options{Paths: []string{src}}
	first := f.backup(o)
	if len(first.Warnings) != 1 || first.Warnings[0].Path != locked || countsOf(first) != (counts{2, 0, 0}) || first.FilesRemaining != 0 || first.BytesRemaining != 0 {
		t.Fatalf("first pass: %+v", first)
	}
	again := f.backup(Options{Paths: []string{src}, SkipIfUnchanged: true})
	if len(again.Warnings) != 1 || countsOf(again) != (counts{0, 0, 2}) || again.FilesRemaining != 0 {
		t.Fatalf("second pass: %+v", again)
	}
}
