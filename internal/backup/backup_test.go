package backup

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tunesafe/tunesafe/internal/restore"
	"github.com/tunesafe/tunesafe/internal/store"

	"github.com/tunesafe/tunesafe/internal/split"
	"github.com/tunesafe/tunesafe/internal/vault"
)

func TestBackupRestoreExact(t *testing.T) {
	for _, encrypt := range []bool{false, true} {
		f := newFixture(t, encrypt)
		src := filepath.Join(f.dir, "Music")
		writeFile(t, filepath.Join(src, "Artist", "Album", "01.flac"), randomBytes(1, 300<<10))
		writeFile(t, filepath.Join(src, "Artist", "Album", "02.flac"), randomBytes(2, 100<<10))
		writeFile(t, filepath.Join(src, "empty.mp3"), nil)
		writeFile(t, filepath.Join(src, "name-\xff\xfe-latin1.mp3"), []byte("non-UTF-8 name"))
		os.MkdirAll(filepath.Join(src, "Empty Folder"), 0o750)
		os.Symlink("Artist/Album/01.flac", filepath.Join(src, "favourite"))
		os.Symlink("dangling-\xff", filepath.Join(src, "dangling"))
		os.Chmod(filepath.Join(src, "Artist", "Album", "02.flac"), 0o600)
		old := time.Date(2001, 2, 3, 4, 5, 6, 789, time.UTC)
		os.Chtimes(filepath.Join(src, "Artist", "Album", "01.flac"), old, old)

		res := f.backup(Options{Paths: []string{src}})
		if res.FilesNew != 4 || res.FilesUnchanged != 0 || len(res.Warnings) != 0 {
			t.Fatalf("first backup: %+v", res)
		}
		out := filepath.Join(f.dir, "out")
		rr := f.restore(res.SnapshotID, out)
		if rr.Restored != 4 || rr.Symlinks != 2 {
			t.Fatalf("restore: %+v", rr)
		}
		sameTree(t, src, filepath.Join(out, "Music"))
	}
}

func TestUnchangedFilesAreNotRead(t *testing.T) {
	f := newFixture(t, false)
	src := filepath.Join(f.dir, "Music")
	for i := range 20 {
		writeFile(t, filepath.Join(src, "a", string(rune('a'+i))+".mp3"), randomBytes(uint64(i), 50<<10))
	}
	f.backup(Options{Paths: []string{src}})
	res := f.backup(Options{Paths: []string{src}})
	if res.BytesRead != 0 || res.BytesUploaded != 0 || res.FilesUnchanged != 20 {
		t.Fatalf("no-change backup read %d and uploaded %d bytes: %+v", res.BytesRead, res.BytesUploaded, res)
	}
	// A touched file (same content, new mtime) is read but uploads nothing.
	later := time.Now().Add(time.Hour)
	os.Chtimes(filepath.Join(src, "a", "c.mp3"), later, later)
	res = f.backup(Options{Paths: []string{src}})
	if res.FilesChanged != 1 || res.BytesRead != 50<<10 || res.BlobsUploaded != 0 {
		t.Fatalf("touched file: %+v", res)
	}
}

// The cache is only a cache: without it, nothing already stored is uploaded.
func TestLostCacheUploadsNothingStored(t *testing.T) {
	f := newFixture(t, true)
	src := filepath.Join(f.dir, "Music")
	for i := range 10 {
		writeFile(t, filepath.Join(src, string(rune('a'+i))+".flac"), randomBytes(uint64(i), 200<<10))
	}
	first := f.backup(Options{Paths: []string{src}})
	f.dropCache()
	res := f.backup(Options{Paths: []string{src}})
	if res.BlobsUploaded != 0 || res.TreesUploaded != 0 {
		t.Fatalf("after losing the cache: %d blobs, %d trees uploaded", res.BlobsUploaded, res.TreesUploaded)
	}
	if res.FilesNew != 10 {
		t.Fatalf("files should be read again: %+v", res)
	}
	if first.BlobsUploaded == 0 {
		t.Fatal("first backup uploaded nothing")
	}
}

func TestIdenticalContentStoredOnce(t *testing.T) {
	f := newFixture(t, false)
	src := filepath.Join(f.dir, "Music")
	data := randomBytes(5, 256<<10)
	writeFile(t, filepath.Join(src, "a.mp3"), data)
	writeFile(t, filepath.Join(src, "copy", "a.mp3"), data)
	res := f.backup(Options{Paths: []string{src}, Uploaders: 4, Readers: 2})
	single := newFixture(t, false)
	writeFile(t, filepath.Join(single.dir, "x", "a.mp3"), data)
	one := single.backup(Options{Paths: []string{filepath.Join(single.dir, "x")}})
	if res.BlobsUploaded != one.BlobsUploaded {
		t.Fatalf("two copies uploaded %d blobs, one copy %d", res.BlobsUploaded, one.BlobsUploaded)
	}
}

// growingSplitter appends to the file the first time it is asked, as a
// tagger saving at the wrong moment would.
type growingSplitter struct {
	path string
	done bool
}

func (g *growingSplitter) Split(name string, r io.ReaderAt, size int64) (split.Plan, error) {
	if !g.done && name == filepath.Base(g.path) {
		g.done = true
		f, _ := os.OpenFile(g.path, os.O_APPEND|os.O_WRONLY, 0)
		f.Write([]byte("appended while the backup was reading"))
		f.Close()
	}
	return split.Whole(size, split.Audio), nil
}

func TestFileChangedWhileReadIsReadAgain(t *testing.T) {
	f := newFixture(t, false)
	src := filepath.Join(f.dir, "Music")
	p := filepath.Join(src, "track.mp3")
	writeFile(t, p, randomBytes(9, 100<<10))
	res := f.backupClean(Options{Paths: []string{src}, Splitter: &growingSplitter{path: p}, Readers: 1})
	f.restoreSame(res.SnapshotID, src, nil)
}

func TestMaxUploadStopsWithRestorableCheckpoint(t *testing.T) {
	f := newFixture(t, false)
	src := filepath.Join(f.dir, "Music")
	for i := range 12 {
		writeFile(t, filepath.Join(src, string(rune('a'+i))+".flac"), randomBytes(uint64(100+i), 200<<10))
	}
	res := f.backup(Options{Paths: []string{src}, MaxUpload: 500 << 10, Readers: 1, Uploaders: 1})
	if !res.Partial || res.FilesRemaining == 0 || res.StopReason == "" {
		t.Fatalf("want a partial pass: %+v", res)
	}
	snaps, err := f.vault.Snapshots(context.Background())
	if err != nil || len(snaps) != 1 || !snaps[0].Partial {
		t.Fatalf("want one checkpoint snapshot, have %v (%v)", snaps, err)
	}
	out := filepath.Join(f.dir, "partial")
	rr := f.restore(res.SnapshotID, out)
	if rr.Restored == 0 || rr.Restored >= 12 {
		t.Fatalf("checkpoint restored %d files", rr.Restored)
	}
	// Files in the checkpoint are exact.
	for _, e := range mustReadDir(t, filepath.Join(out, "Music")) {
		if hashOf(t, filepath.Join(out, "Music", e)) != hashOf(t, filepath.Join(src, e)) {
			t.Fatalf("%s differs", e)
		}
	}
	uploaded := res.BytesUploaded
	// The resumed pass reads only the files the checkpoint lacks, and
	// counts all as new: no complete backup held any.
	full := f.backup(Options{Paths: []string{src}})
	if full.Partial || full.FilesNew != 12 || full.FilesUnchanged != 0 || full.BytesRead != (12-rr.Restored)*200<<10 {
		t.Fatalf("resumed pass: %+v", full)
	}
	if total := uploaded + full.BytesUploaded; total > 12*200<<10*103/100+64<<10 {
		t.Fatalf("uploaded %d bytes in all for %d bytes of files", total, 12*200<<10)
	}
	final := filepath.Join(f.dir, "final")
	f.restore(full.SnapshotID, final)
	sameTree(t, src, filepath.Join(final, "Music"))
	// The complete snapshot supersedes the checkpoint, which is removed.
	snaps, _ = f.vault.Snapshots(context.Background())
	if len(snaps) != 1 || snaps[0].Partial {
		t.Fatalf("want only the complete snapshot, have %d", len(snaps))
	}
}

func mustReadDir(t *testing.T, dir string) []string {
	des, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, d := range des {
		names = append(names, d.Name())
	}
	return names
}

// Files over 4 GiB are stored and restored faithfully (sparse, so cheap on
// disk; still reads and writes every byte).
func TestFileOver4GiB(t *testing.T) {
	if testing.Short() {
		t.Skip("reads and writes 4 GiB")
	}
	f := newFixture(t, false)
	src := filepath.Join(f.dir, "Music")
	os.MkdirAll(src, 0o755)
	p := filepath.Join(src, "long.wav")
	fh, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	const size = 4<<30 + 12345
	if err := fh.Truncate(size); err != nil {
		t.Fatal(err)
	}
	fh.WriteAt([]byte("RIFF at the start"), 0)
	fh.WriteAt([]byte("and something past the 4 GiB mark"), 4<<30+100)
	fh.Close()
	res := f.backup(Options{Paths: []string{src}})
	if res.BytesRead != size {
		t.Fatalf("read %d bytes, want %d", res.BytesRead, size)
	}
	out := filepath.Join(f.dir, "out")
	f.restore(res.SnapshotID, out)
	sameTree(t, src, filepath.Join(out, "Music"))
}

// Single files outside the source paths (a library's tracks on another
// disk) are stored under their absolute path, holding only those files.
func TestExtraFilesOutsidePaths(t *testing.T) {
	f := newFixture(t, false)
	src := filepath.Join(f.dir, "Music")
	writeFile(t, filepath.Join(src, "in.mp3"), randomBytes(1, 10<<10))
	other := filepath.Join(f.dir, "Other Disk", "Album")
	writeFile(t, filepath.Join(other, "out.mp3"), randomBytes(2, 10<<10))
	writeFile(t, filepath.Join(other, "unrelated.txt"), []byte("not referenced"))
	o := Options{Paths: []string{src}, Files: []string{filepath.Join(other, "out.mp3"), filepath.Join(src, "in.mp3")}}
	res := f.backup(o)
	if res.FilesNew != 2 {
		t.Fatalf("want 2 files, got %+v", res)
	}
	out := filepath.Join(f.dir, "restored")
	f.restore(res.SnapshotID, out)
	rel, err := SnapshotPath(o, filepath.Join(other, "out.mp3"))
	if err != nil {
		t.Fatal(err)
	}
	if hashOf(t, filepath.Join(out, filepath.FromSlash(rel))) != hashOf(t, filepath.Join(other, "out.mp3")) {
		t.Fatalf("out.mp3 not restored at %s", rel)
	}
	if _, err := os.Stat(filepath.Join(out, filepath.FromSlash(rel), "..", "unrelated.txt")); err == nil {
		t.Fatal("an unreferenced file beside the track was backed up")
	}
	if rel, _ := SnapshotPath(o, filepath.Join(src, "in.mp3")); rel != "Music/in.mp3" {
		t.Fatalf("SnapshotPath inside the music folder = %q", rel)
	}
	// The second run finds both unchanged.
	again := f.backup(o)
	if again.FilesUnchanged != 2 || again.BytesRead != 0 {
		t.Fatalf("rerun: %+v", again)
	}
}

// Unchanged folders reuse their stored tree; any change below a folder,
// however deep, is still seen, and snapshot statistics stay right.
func TestUnchangedFolderShortcut(t *testing.T) {
	f := newFixture(t, false)
	src := filepath.Join(f.dir, "Music")
	for a := range 3 {
		for b := range 3 {
			writeFile(t, filepath.Join(src, fmt.Sprint("Artist", a), fmt.Sprint("Album", b), "t.mp3"), randomBytes(uint64(a*10+b), 5<<10))
		}
	}
	first := f.backup(Options{Paths: []string{src}})
	second := f.backup(Options{Paths: []string{src}})
	if second.FilesUnchanged != 9 || second.BytesRead != 0 || second.TreesUploaded != 0 {
		t.Fatalf("no-change pass: %+v", second)
	}
	snapStats := func(id string) vault.Stats {
		sid, _ := vault.ParseID(id)
		s, err := f.vault.GetSnapshot(context.Background(), sid)
		if err != nil {
			t.Fatal(err)
		}
		return s.Stats
	}
	if a, b := snapStats(first.SnapshotID), snapStats(second.SnapshotID); a != b {
		t.Fatalf("stats differ: %+v vs %+v", a, b)
	}
	// Deep change, addition and removal.
	writeFile(t, filepath.Join(src, "Artist2", "Album2", "t.mp3"), randomBytes(99, 6<<10))
	writeFile(t, filepath.Join(src, "Artist1", "Album0", "new.mp3"), randomBytes(98, 1<<10))
	os.Remove(filepath.Join(src, "Artist0", "Album1", "t.mp3"))
	third := f.backup(Options{Paths: []string{src}})
	if third.FilesChanged != 1 || third.FilesNew != 1 || third.FilesUnchanged != 7 {
		t.Fatalf("after changes: %+v", third)
	}
	if s := snapStats(third.SnapshotID); s.Files != 9 {
		t.Fatalf("snapshot counts %d files, want 9", s.Files)
	}
	out := filepath.Join(f.dir, "out")
	f.restore(third.SnapshotID, out)
	sameTree(t, src, filepath.Join(out, "Music"))
}

// Stop ends a pass cleanly with a checkpoint, like a limit.
func TestStopHook(t *testing.T) {
	f := newFixture(t, false)
	src := filepath.Join(f.dir, "Music")
	for i := range 6 {
		writeFile(t, filepath.Join(src, fmt.Sprint(i, ".flac")), randomBytes(uint64(300+i), 100<<10))
	}
	calls := 0
	res := f.backup(Options{Paths: []string{src}, Readers: 1, Stop: func() (string, bool) {
		calls++
		// Past the first file's blobs (about seven), before the last's.
		return "window closed", calls > 20
	}})
	if !res.Partial || res.StopReason != "window closed" || res.SnapshotID == "" {
		t.Fatalf("stopped pass: %+v", res)
	}
	if res.FilesNew == 0 || res.FilesRemaining == 0 || res.FilesNew+res.FilesRemaining != 6 {
		t.Fatalf("stopped pass: %d files in its checkpoint, %d left; want some of each, 6 in all", res.FilesNew, res.FilesRemaining)
	}
}

// A blob damaged in storage makes the restore of its file fail, naming
// the file, in plain and encrypted vaults; the other files are restored.
func TestRestoreDetectsDamage(t *testing.T) {
	for _, encrypt := range []bool{false, true} {
		f := newFixture(t, encrypt)
		src := filepath.Join(f.dir, "Music")
		writeFile(t, filepath.Join(src, "good.flac"), randomBytes(11, 40<<10))
		writeFile(t, filepath.Join(src, "bad.flac"), randomBytes(12, 40<<10))
		res := f.backup(Options{Paths: []string{src}})
		// Damage every blob of bad.flac: flip one byte in each.
		sid, _ := vault.ParseID(res.SnapshotID)
		snap, _ := f.vault.GetSnapshot(context.Background(), sid)
		root, _ := f.vault.GetTree(context.Background(), snap.Tree)
		music, _ := f.vault.GetTree(context.Background(), *root.Find("Music").Subtree)
		for _, id := range music.Find("bad.flac").Blobs {
			b, _ := store.ReadAll(context.Background(), f.store, vault.BlobKey(id))
			b[len(b)-20] ^= 1
			f.store.Put(context.Background(), vault.BlobKey(id), b)
		}
		out := filepath.Join(f.dir, fmt.Sprint("out", encrypt))
		_, err := restore.Run(context.Background(), f.vault, snap, restore.Options{To: out})
		if err == nil || !strings.Contains(err.Error(), "bad.flac") {
			t.Fatalf("encrypted=%v: restore of a damaged file: %v", encrypt, err)
		}
		if _, err := os.Stat(filepath.Join(out, "Music", "bad.flac")); err == nil {
			t.Fatal("a damaged file was put in place")
		}
		if hashOf(t, filepath.Join(out, "Music", "good.flac")) != hashOf(t, filepath.Join(src, "good.flac")) {
			t.Fatal("the undamaged file was not restored")
		}
	}
}

// A complete pass removes only the checkpoints this computer's cache
// recorded: it reads no snapshot to find them, so a checkpoint left before
// the cache was lost (or by another computer) stays for forget to handle.
func TestOldCheckpointsOnRecord(t *testing.T) {
	f := newFixture(t, false)
	src := filepath.Join(f.dir, "Music")
	for i := range 6 {
		writeFile(t, filepath.Join(src, string(rune('a'+i))+".flac"), randomBytes(uint64(200+i), 200<<10))
	}
	first := f.backup(Options{Paths: []string{src}, MaxUpload: 300 << 10, Readers: 1, Uploaders: 1})
	f.dropCache()
	second := f.backup(Options{Paths: []string{src}, MaxUpload: 300 << 10, Readers: 1, Uploaders: 1})
	if !first.Partial || !second.Partial || first.SnapshotID == second.SnapshotID {
		t.Fatalf("want two checkpoints: %+v %+v", first, second)
	}
	full := f.backup(Options{Paths: []string{src}})
	snaps, err := f.vault.Snapshots(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, s := range snaps {
		ids = append(ids, s.ID.String())
	}
	slices.Sort(ids)
	want := []string{first.SnapshotID, full.SnapshotID}
	slices.Sort(want)
	if !slices.Equal(ids, want) {
		t.Fatalf("snapshots %v, want the unrecorded checkpoint and the complete one %v", ids, want)
	}
}

// MaxUpload is held against what is queued, not what has arrived: with
// many uploads at once the pass still sends at most one blob more than the
// limit, and the checkpoint's trees and snapshot.
func TestMaxUploadIsNotOvershotByUploadsInFlight(t *testing.T) {
	f := newFixture(t, false)
	src := filepath.Join(f.dir, "Music")
	for i := range 12 {
		writeFile(t, filepath.Join(src, string(rune('a'+i))+".flac"), randomBytes(uint64(200+i), 200<<10))
	}
	const limit = 600 << 10
	res := f.backup(Options{Paths: []string{src}, MaxUpload: limit})
	if !res.Partial {
		t.Fatalf("want a partial pass: %+v", res)
	}
	if most := int64(limit + smallChunks.Max + 32<<10); res.BytesUploaded > most {
		t.Fatalf("uploaded %d bytes with --max-upload %d (at most %d expected)", res.BytesUploaded, limit, most)
	}
}
