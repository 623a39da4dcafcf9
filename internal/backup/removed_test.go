package backup

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/tunesafe/tunesafe/internal/exclude"
)

// A backup counts the files of the last complete backup that are gone: a
// file deleted, a folder deleted with everything below it, a file become a
// folder. The next pass counts none, and a file put back counts as new.
func TestRemovedFilesCounted(t *testing.T) {
	f := newFixture(t, false)
	src := filepath.Join(f.dir, "Music")
	p := func(name string) string { return filepath.Join(src, name) }
	for i, name := range []string{"A/1.mp3", "A/2.mp3", "A/B/1.flac", "A/B/2.flac", "A/B/C/1.ogg", "D/1.m4a", "D/2.m4a", "D/3.m4a"} {
		writeFile(t, p(name), randomBytes(uint64(i), 10<<10))
	}
	o := Options{Paths: []string{src}}
	if first := f.backupClean(o); first.FilesRemoved != 0 || first.FilesNew != 8 {
		t.Fatalf("first pass: %+v", first)
	}
	if err := os.RemoveAll(p("A/B")); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(p("D/2.m4a")); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(p("D/3.m4a")); err != nil {
		t.Fatal(err)
	}
	writeFile(t, p("D/3.m4a/inside.m4a"), randomBytes(50, 10<<10))
	second := f.backupClean(o)
	if second.FilesRemoved != 5 || countsOf(second) != (counts{1, 0, 3}) {
		t.Fatalf("after removing A/B (3 files), D/2.m4a, and D/3.m4a become a folder: %+v", second)
	}
	if third := f.backupClean(o); third.FilesRemoved != 0 || countsOf(third) != (counts{0, 0, 4}) {
		t.Fatalf("pass after: %+v", third)
	}
	writeFile(t, p("D/2.m4a"), randomBytes(5, 10<<10))
	if back := f.backupClean(o); back.FilesRemoved != 0 || countsOf(back) != (counts{1, 0, 4}) {
		t.Fatalf("a removed file put back: %+v", back)
	}
}

// A pass stopped at a limit counts what is gone since the last complete
// backup, and so does the pass that completes after it: the complete
// snapshot is the first to lack the files.
func TestRemovedCountedUntilPassCompletes(t *testing.T) {
	f := newFixture(t, false)
	src := filepath.Join(f.dir, "Music")
	p := func(name string) string { return filepath.Join(src, name) }
	for i := range 4 {
		writeFile(t, p(fmt.Sprint("old/", i, ".flac")), randomBytes(uint64(i), 10<<10))
	}
	o := Options{Paths: []string{src}}
	f.backupClean(o)
	if err := os.RemoveAll(p("old")); err != nil {
		t.Fatal(err)
	}
	for i := range 6 {
		writeFile(t, p(fmt.Sprint("new/", i, ".flac")), randomBytes(uint64(10+i), 200<<10))
	}
	stopped := f.backup(Options{Paths: []string{src}, MaxUpload: 450 << 10, Readers: 1, Uploaders: 1})
	if !stopped.Partial || stopped.FilesRemoved != 4 {
		t.Fatalf("stopped pass: %+v", stopped)
	}
	full := f.backupClean(o)
	if full.Partial || full.FilesRemoved != 4 || countsOf(full) != (counts{6, 0, 0}) {
		t.Fatalf("completing pass: %+v", full)
	}
	if again := f.backupClean(o); again.FilesRemoved != 0 {
		t.Fatalf("pass after the complete one: %+v", again)
	}
}

// Files left out by a new exclusion count as removed: the snapshot lacks
// them. A file whose stat fails is not taken for removed.
func TestRemovedByExclusion(t *testing.T) {
	f := newFixture(t, false)
	src := filepath.Join(f.dir, "Music")
	for i, name := range []string{"a.mp3", "b.wav", "c.wav"} {
		writeFile(t, filepath.Join(src, name), randomBytes(uint64(i), 4<<10))
	}
	f.backupClean(Options{Paths: []string{src}})
	ex, err := exclude.New([]string{"*.wav"}, "")
	if err != nil {
		t.Fatal(err)
	}
	res := f.backupClean(Options{Paths: []string{src}, Exclude: ex})
	if res.FilesRemoved != 2 || res.Excluded != 2 || countsOf(res) != (counts{0, 0, 1}) {
		t.Fatalf("with *.wav excluded: %+v", res)
	}
}
