package backup

import (
	"fmt"
	"path/filepath"
	"testing"

	"github.com/tunesafe/tunesafe/internal/state"
)

// counts are a pass's new, changed and unchanged files.
type counts struct{ new, changed, unchanged int64 }

func countsOf(r *Result) counts { return counts{r.FilesNew, r.FilesChanged, r.FilesUnchanged} }

// A first backup stopped at a limit counts as new the files its
// checkpoint holds; resumed, it counts every file as new: no complete
// backup held any, though the resumed pass reads only those the first did
// not store. A folder the stopped pass stored whole is not taken as
// unchanged either.
func TestResumedFirstBackupCountsAllNew(t *testing.T) {
	f := newFixture(t, false)
	src := filepath.Join(f.dir, "Music")
	for i := range 2 {
		writeFile(t, filepath.Join(src, "A", fmt.Sprint(i, ".flac")), randomBytes(uint64(10+i), 100<<10))
	}
	for i := range 8 {
		writeFile(t, filepath.Join(src, "B", fmt.Sprint(i, ".flac")), randomBytes(uint64(20+i), 100<<10))
	}
	o := Options{Paths: []string{src}}
	partial := f.backup(Options{Paths: []string{src}, MaxUpload: 400 << 10, Readers: 1, Uploaders: 1})
	if !partial.Partial || partial.FilesRemaining == 0 || partial.FilesNew == 0 || partial.FilesNew+partial.FilesRemaining != 10 {
		t.Fatalf("want a partial pass holding some of the 10 new files, the others left: %+v", partial)
	}
	// The stopped pass stored folder A whole: its record is pending.
	dirs, err := f.cache.Dirs(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if d, ok := dirs[filepath.Join(src, "A")]; !ok || !d.Pending {
		t.Fatalf("folder A after the stopped pass: %+v (recorded: %v)", d, ok)
	}
	stored := 10 - partial.FilesRemaining

	full := f.backupClean(o)
	if full.Partial || countsOf(full) != (counts{10, 0, 0}) || full.BytesRead != (10-stored)*100<<10 {
		t.Fatalf("resumed pass (%d files stored before): %+v", stored, full)
	}
	again := f.backupClean(o)
	if countsOf(again) != (counts{0, 0, 10}) || again.BytesRead != 0 || again.TreesUploaded != 0 {
		t.Fatalf("pass after the complete one: %+v", again)
	}
}

// Files edited since the last complete backup count as changed, and files
// added since as new, whether a stopped pass stored them already or not,
// and however often they change after it.
func TestStoppedPassKeepsCountsOfLastComplete(t *testing.T) {
	f := newFixture(t, false)
	src := filepath.Join(f.dir, "Music")
	p := func(name string) string { return filepath.Join(src, name) }
	for i, name := range []string{"a", "b", "c", "d", "e", "f"} {
		writeFile(t, p(name+".flac"), randomBytes(uint64(i), 200<<10))
	}
	o := Options{Paths: []string{src}}
	if first := f.backupClean(o); countsOf(first) != (counts{6, 0, 0}) {
		t.Fatalf("first pass: %+v", first)
	}
	// Edited: a and f; added: aa. The stopped pass stores a and aa, and
	// not f: its checkpoint holds one changed file, one new and four
	// unchanged.
	writeFile(t, p("a.flac"), randomBytes(100, 210<<10))
	writeFile(t, p("aa.flac"), randomBytes(101, 190<<10))
	writeFile(t, p("f.flac"), randomBytes(102, 220<<10))
	stopped := f.backup(Options{Paths: []string{src}, MaxUpload: 450 << 10, Readers: 1, Uploaders: 1})
	if !stopped.Partial || countsOf(stopped) != (counts{1, 1, 4}) || stopped.FilesRemaining != 1 {
		t.Fatalf("stopped pass: %+v", stopped)
	}
	files, err := f.cache.Dir(t.Context(), src)
	if err != nil {
		t.Fatal(err)
	}
	if files["a.flac"].Pending != state.PendingChanged || files["aa.flac"].Pending != state.PendingNew || files["b.flac"].Pending != state.Settled {
		t.Fatalf("cache after the stopped pass: a %d, aa %d, b %d", files["a.flac"].Pending, files["aa.flac"].Pending, files["b.flac"].Pending)
	}
	// aa, stored new by the stopped pass, is edited again: still new.
	writeFile(t, p("aa.flac"), randomBytes(103, 180<<10))
	full := f.backupClean(o)
	if full.Partial || countsOf(full) != (counts{1, 2, 4}) {
		t.Fatalf("complete pass: %+v", full)
	}
	if again := f.backupClean(o); countsOf(again) != (counts{0, 0, 7}) {
		t.Fatalf("pass after the complete one: %+v", again)
	}
}

// A pass that finds the snapshot current settles what a pass that stored
// it, and then died before settling, left pending; a probe, which writes
// nothing, settles nothing. Both count the files as that snapshot holds
// them: unchanged.
func TestUnchangedPassSettlesPending(t *testing.T) {
	f := newFixture(t, false)
	src := filepath.Join(f.dir, "Music")
	for i := range 3 {
		writeFile(t, filepath.Join(src, "Album", fmt.Sprint(i, ".flac")), randomBytes(uint64(i), 20<<10))
	}
	o := Options{Paths: []string{src}, Host: "h", SkipIfUnchanged: true}
	f.backupClean(o)
	// As a pass killed between its snapshot and settling leaves the cache.
	ctx := t.Context()
	album := filepath.Join(src, "Album")
	files, err := f.cache.Dir(ctx, album)
	if err != nil {
		t.Fatal(err)
	}
	dirs, err := f.cache.Dirs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	b := f.cache.Batch()
	for name, e := range files {
		e.Pending = state.PendingNew
		b.PutFile(album, name, e)
	}
	for path, d := range dirs {
		d.Pending = true
		b.PutDir(path, d)
	}
	if err := b.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	pending := func() bool {
		t.Helper()
		files, err := f.cache.Dir(ctx, album)
		if err != nil {
			t.Fatal(err)
		}
		return files["0.flac"].Pending != state.Settled
	}

	res, unchanged := f.probe(o)
	if !unchanged || countsOf(res) != (counts{0, 0, 3}) || !pending() {
		t.Fatalf("probe: unchanged %v, %+v; pending %v", unchanged, res, pending())
	}
	res = f.backupClean(o)
	if !res.Unchanged || countsOf(res) != (counts{0, 0, 3}) || pending() {
		t.Fatalf("unchanged pass: %+v; pending %v", res, pending())
	}
	// Settled, the folder's record is trusted again.
	if dirs, _ := f.cache.Dirs(ctx); dirs[album].Pending {
		t.Fatalf("folder still pending: %+v", dirs[album])
	}
}

// A complete pass over other folders, backed up to the same vault from
// this computer, settles only its own: a stopped first pass of Music,
// resumed after a backup of Other, still counts Music's files as new.
func TestCompletePassSettlesOnlyItsPaths(t *testing.T) {
	f := newFixture(t, false)
	music := filepath.Join(f.dir, "Music")
	other := filepath.Join(f.dir, "Music Other") // shares Music's name as a prefix
	for i := range 6 {
		writeFile(t, filepath.Join(music, "Album", fmt.Sprint(i, ".flac")), randomBytes(uint64(30+i), 100<<10))
	}
	writeFile(t, filepath.Join(other, "x.flac"), randomBytes(40, 10<<10))
	stopped := f.backup(Options{Paths: []string{music}, MaxUpload: 250 << 10, Readers: 1, Uploaders: 1})
	if !stopped.Partial || stopped.FilesNew == 0 || stopped.FilesRemaining == 0 || stopped.FilesNew+stopped.FilesRemaining != 6 {
		t.Fatalf("want a partial pass holding some of the 6 new files, the others left: %+v", stopped)
	}
	if res := f.backupClean(Options{Paths: []string{other}}); countsOf(res) != (counts{1, 0, 0}) {
		t.Fatalf("pass of the other folder: %+v", res)
	}
	if res := f.backupClean(Options{Paths: []string{music}}); res.Partial || countsOf(res) != (counts{6, 0, 0}) {
		t.Fatalf("resumed pass of Music: %+v", res)
	}
}
