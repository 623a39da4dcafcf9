package restore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/tunesafe/tunesafe/internal/store"
	"github.com/tunesafe/tunesafe/internal/store/memstore"
	"github.com/tunesafe/tunesafe/internal/testenv"
	"github.com/tunesafe/tunesafe/internal/vault"
)

// A symlink in the target where the snapshot has a folder is never
// followed: not to a place outside the target, nor to another place inside
// it. Without Overwrite the folder fails and nothing is written through
// the link; with Overwrite the link itself is replaced by a real folder.
func TestSymlinkedFolderInTargetIsNotFollowed(t *testing.T) {
	f := newFixture(t)
	snap := f.snapshot(f.dir("Music", 0o755,
		f.dir("Artist", 0o755, f.dir("Album", 0o555, f.file("a.mp3", 0o644, "new audio"))),
		f.file("top.mp3", 0o644, "top")))
	for _, tc := range []struct{ name, target string }{
		{"absolute outside", "ELSEWHERE"},
		{"relative outside", "../../elsewhere"},
		{"inside the target", "../Other"},
	} {
		for _, overwrite := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/overwrite=%v", tc.name, overwrite), func(t *testing.T) {
				base := t.TempDir()
				out := filepath.Join(base, "out")
				elsewhere := filepath.Join(base, "elsewhere")
				other := filepath.Join(out, "Other")
				for _, d := range []string{filepath.Join(out, "Music"), elsewhere, other} {
					if err := os.MkdirAll(d, 0o700); err != nil {
						t.Fatal(err)
					}
				}
				target := strings.Replace(tc.target, "ELSEWHERE", elsewhere, 1)
				link := filepath.Join(out, "Music", "Artist")
				if err := os.Symlink(target, link); err != nil {
					t.Fatal(err)
				}
				res, err := f.restore(snap, Options{To: out, Overwrite: overwrite})
				for _, d := range []string{elsewhere, other} {
					if got := entries(t, d); len(got) != 0 {
						t.Errorf("restore wrote through the symlink into %s: %v", d, got)
					}
					if fi, _ := os.Stat(d); fi.Mode().Perm() != 0o700 {
						t.Errorf("restore changed the mode of %s through the symlink: %v", d, fi.Mode())
					}
				}
				if got := readFile(t, filepath.Join(out, "Music", "top.mp3")); got != "top" {
					t.Errorf("Music/top.mp3 = %q: the rest of the snapshot should be restored", got)
				}
				if !overwrite {
					var iw *InTheWayError
					if !errors.As(err, &iw) || !strings.Contains(err.Error(), "Music/Artist") || !strings.Contains(err.Error(), "symlink") {
						t.Fatalf("restore over a symlinked folder: %v, want an error naming Music/Artist and the symlink", err)
					}
					if cur, _ := os.Readlink(link); cur != target {
						t.Errorf("the symlink in the way now points to %q", cur)
					}
					if res == nil || res.Restored != 1 {
						t.Errorf("result %+v: want top.mp3 restored", res)
					}
					return
				}
				if err != nil {
					t.Fatalf("restore --overwrite: %v", err)
				}
				if fi, err := os.Lstat(link); err != nil || !fi.IsDir() {
					t.Fatalf("Music/Artist is not a folder after restore --overwrite: %v %v", fi, err)
				}
				if got := readFile(t, filepath.Join(link, "Album", "a.mp3")); got != "new audio" {
					t.Errorf("a.mp3 = %q", got)
				}
			})
		}
	}
}

// A symlink, or a folder, where the snapshot has a file is reported as in
// the way; Overwrite replaces a symlink (never what it points to) but never
// removes a folder.
func TestEntryInTheWayOfAFile(t *testing.T) {
	f := newFixture(t)
	snap := f.snapshot(f.dir("Music", 0o755, f.file("a.mp3", 0o644, "new audio"), f.file("b.mp3", 0o644, "b")))
	for _, overwrite := range []bool{false, true} {
		t.Run(fmt.Sprint("overwrite=", overwrite), func(t *testing.T) {
			base := t.TempDir()
			out := filepath.Join(base, "out")
			victim := filepath.Join(base, "victim.mp3")
			os.MkdirAll(filepath.Join(out, "Music", "b.mp3", "inside"), 0o755)
			os.WriteFile(victim, []byte("precious"), 0o600)
			os.Symlink(victim, filepath.Join(out, "Music", "a.mp3"))
			_, err := f.restore(snap, Options{To: out, Overwrite: overwrite})
			var fe *FailedError
			if !errors.As(err, &fe) {
				t.Fatalf("restore: %v, want a FailedError", err)
			}
			if got := readFile(t, victim); got != "precious" {
				t.Fatalf("the symlink's target was changed: %q", got)
			}
			if fi, _ := os.Stat(victim); fi.Mode().Perm() != 0o600 {
				t.Errorf("the symlink's target got mode %v", fi.Mode())
			}
			var paths []string
			for _, f := range fe.Failures {
				paths = append(paths, f.Path+": "+f.Err)
			}
			wantB := "Music/b.mp3: a folder is in the way"
			if !overwrite {
				if len(paths) != 2 || !strings.HasPrefix(paths[0], "Music/a.mp3: a symlink is in the way") || !strings.HasPrefix(paths[1], wantB) {
					t.Fatalf("failures %q", paths)
				}
				return
			}
			if len(paths) != 1 || !strings.HasPrefix(paths[0], wantB) {
				t.Fatalf("failures %q", paths)
			}
			fi, err := os.Lstat(filepath.Join(out, "Music", "a.mp3"))
			if err != nil || !fi.Mode().IsRegular() || readFile(t, filepath.Join(out, "Music", "a.mp3")) != "new audio" {
				t.Fatalf("a.mp3 not replaced by the restored file: %v %v", fi, err)
			}
			if _, err := os.Stat(filepath.Join(out, "Music", "b.mp3", "inside")); err != nil {
				t.Fatalf("the folder in the way was removed: %v", err)
			}
		})
	}
}

// Trees that break the format (two entries of one name, a name that
// leaves its folder) are refused before anything is written.
func TestTamperedTreesWriteNothing(t *testing.T) {
	f := newFixture(t)
	file := f.file("a.mp3", 0o644, "audio")
	fileJSON := func(name string) string {
		return fmt.Sprintf(`{"name":%q,"type":"file","mode":420,"mtime":"2001-02-03T04:05:06Z","size":5,"sha256":%q,"blobs":[%q]}`,
			name, file.SHA256, file.Blobs[0].String())
	}
	for name, nodes := range map[string][]string{
		"duplicate names":             {fileJSON("x.mp3"), fileJSON("x.mp3")},
		"symlink and file of a name":  {fileJSON("x"), `{"name":"x","type":"symlink","mode":511,"mtime":"2001-02-03T04:05:06Z","target":"/etc"}`},
		"dot dot":                     {fileJSON("..")},
		"slash":                       {fileJSON("../../escaped.mp3")},
		"raw name with slash":         {`{"name_raw":"Li4vZXNjYXBlZA==","type":"file","mode":420,"mtime":"2001-02-03T04:05:06Z"}`},
		"out of order (hides a twin)": {fileJSON("y"), fileJSON("x"), fileJSON("y")},
	} {
		t.Run(name, func(t *testing.T) {
			plain := []byte(`{"nodes":[` + "\n" + strings.Join(nodes, ",\n") + "\n]}\n")
			et := vault.EncodedTree{ID: f.v.Hasher().Sum(plain), Plain: plain}
			if _, err := f.v.PutTree(f.ctx, et); err != nil {
				t.Fatal(err)
			}
			sub := vault.Node{Name: "Music", Type: vault.TypeDir, Mode: 0o755, MTime: testTime, Subtree: &et.ID}
			base := t.TempDir()
			out := filepath.Join(base, "deep", "out")
			_, err := f.restore(f.snapshot(sub), Options{To: out})
			var ce *vault.CorruptError
			if !errors.As(err, &ce) {
				t.Fatalf("restore of a tampered tree: %v, want a CorruptError", err)
			}
			if got := entries(t, base); len(got) != 0 {
				t.Fatalf("restore of a tampered tree wrote %v", got)
			}
		})
	}
}

// Read-only folders of the snapshot get their children, then their mode;
// a second restore over the result (files missing or changed) works.
func TestReadOnlyFolders(t *testing.T) {
	if testenv.AsUnprivileged(t) {
		return
	}
	f := newFixture(t)
	snap := f.snapshot(f.dir("Music", 0o555,
		f.dir("Album", 0o555, f.file("a.mp3", 0o444, "audio a"), f.file("b.mp3", 0o644, "audio b"), f.link("c.mp3", "a.mp3")),
		f.dir("Empty", 0o500)))
	out := t.TempDir()
	t.Cleanup(func() { // so that the test's folder can be removed
		filepath.Walk(out, func(p string, fi os.FileInfo, err error) error {
			if err == nil && fi.IsDir() {
				os.Chmod(p, 0o755)
			}
			return nil
		})
	})
	album := filepath.Join(out, "Music", "Album")
	check := func(what string) {
		t.Helper()
		for p, want := range map[string]fs.FileMode{
			"Music": fs.ModeDir | 0o555, "Music/Album": fs.ModeDir | 0o555, "Music/Empty": fs.ModeDir | 0o500,
			"Music/Album/a.mp3": 0o444, "Music/Album/b.mp3": 0o644,
		} {
			fi, err := os.Lstat(filepath.Join(out, p))
			if err != nil || fi.Mode() != want {
				t.Fatalf("%s: %s: %v %v, want mode %v", what, p, fi.Mode(), err, want)
			}
			if !fi.ModTime().Equal(testTime) {
				t.Errorf("%s: %s: mtime %v, want %v", what, p, fi.ModTime(), testTime)
			}
		}
		if readFile(t, filepath.Join(album, "a.mp3")) != "audio a" || readFile(t, filepath.Join(album, "b.mp3")) != "audio b" {
			t.Fatalf("%s: contents differ", what)
		}
	}
	if _, err := f.restore(snap, Options{To: out}); err != nil {
		t.Fatalf("first restore: %v", err)
	}
	check("first restore")

	// A file goes missing, another changes, a leftover of a killed run.
	os.Chmod(album, 0o755)
	os.Remove(filepath.Join(album, "a.mp3"))
	os.Remove(filepath.Join(album, "c.mp3"))
	os.WriteFile(filepath.Join(album, "b.mp3"), []byte("changed"), 0o644)
	os.WriteFile(filepath.Join(album, ".tunesafe-0123456789ab.tmp"), []byte("half"), 0o600)
	os.Chmod(album, 0o555)
	_, err := f.restore(snap, Options{To: out})
	var fe *FailedError
	if !errors.As(err, &fe) || len(fe.Failures) != 1 || fe.Failures[0].Path != "Music/Album/b.mp3" {
		t.Fatalf("second restore: %v, want b.mp3 refused without Overwrite", err)
	}
	res, err := f.restore(snap, Options{To: out, Overwrite: true})
	if err != nil {
		t.Fatalf("third restore: %v", err)
	}
	if res.Restored != 1 || res.Unchanged != 1 {
		t.Errorf("third restore: %+v, want 1 restored, 1 already correct", res)
	}
	if n := int64(len("audio b")); res.BytesRestored != n || res.Bytes != 2*n {
		t.Errorf("third restore: %d of %d bytes restored, want %d of %d (b.mp3 alone written)", res.BytesRestored, res.Bytes, n, 2*n)
	}
	check("third restore")
	if got := entries(t, album); !slices.Equal(got, []string{"a.mp3", "b.mp3", "c.mp3"}) {
		t.Errorf("Album holds %v", got)
	}
}

// Folders and symlinks get the snapshot's mtimes, after everything inside
// the folders is written.
func TestFolderAndSymlinkTimes(t *testing.T) {
	f := newFixture(t)
	linkTime := time.Date(1999, 12, 31, 23, 59, 58, 123456789, time.UTC)
	link := f.link("favourite", "Album/a.mp3")
	link.MTime = linkTime
	snap := f.snapshot(f.dir("Music", 0o750,
		f.dir("Album", 0o755, f.file("a.mp3", 0o644, "a"), f.dir("Deeper", 0o700, f.file("b.mp3", 0o600, "b"))),
		link))
	out := t.TempDir()
	for run := range 2 { // the second run finds everything in place
		res, err := f.restore(snap, Options{To: out})
		if err != nil {
			t.Fatal(err)
		}
		if res.Symlinks != 1 || res.Dirs != 3 {
			t.Fatalf("run %d: %+v", run, res)
		}
		for _, p := range []string{"Music", "Music/Album", "Music/Album/Deeper"} {
			if fi, err := os.Stat(filepath.Join(out, p)); err != nil || !fi.ModTime().Equal(testTime) {
				t.Errorf("run %d: %s: mtime %v (%v), want %v", run, p, fi.ModTime(), err, testTime)
			}
		}
		fi, err := os.Lstat(filepath.Join(out, "Music", "favourite"))
		if err != nil {
			t.Fatal(err)
		}
		if !lchtimesSupported {
			continue
		}
		if !fi.ModTime().Equal(linkTime) {
			t.Errorf("run %d: symlink mtime %v, want %v", run, fi.ModTime(), linkTime)
		}
	}
}

// cancelOnGet cancels a restore when the nth blob is fetched, as a kill
// would stop it in the middle of a file.
type cancelOnGet struct {
	store.Store
	n      atomic.Int64
	at     atomic.Int64
	cancel context.CancelFunc
}

func (c *cancelOnGet) Get(ctx context.Context, key string, off, n int64) (io.ReadCloser, error) {
	if strings.HasPrefix(key, "blobs/") && c.n.Add(1) == c.at.Load() {
		c.cancel()
		return nil, context.Canceled
	}
	return c.Store.Get(ctx, key, off, n)
}

// A restore stopped in the middle of a file leaves no file under its final
// name (only its partial file, see resume_test.go); the next run restores
// it.
func TestInterruptedRestoreLeavesNoPartialFile(t *testing.T) {
	cs := &cancelOnGet{Store: &memstore.Store{}}
	cs.at.Store(2)
	f := newFixtureOn(t, cs)
	snap := f.snapshot(f.dir("Music", 0o755, f.file("a.flac", 0o644, "first piece ", "second piece ", "third piece")))
	out := t.TempDir()
	ctx, cancel := context.WithCancel(f.ctx)
	cs.cancel = cancel
	if _, err := Run(ctx, f.v, snap, Options{To: out, Workers: 1}); !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupted restore: %v", err)
	}
	if _, err := os.Lstat(filepath.Join(out, "Music", "a.flac")); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("an interrupted restore left Music/a.flac: %v", err)
	}
	cs.at.Store(-1)
	res, err := f.restore(snap, Options{To: out})
	if err != nil || res.Restored != 1 {
		t.Fatalf("second run: %+v %v", res, err)
	}
	if got := readFile(t, filepath.Join(out, "Music", "a.flac")); got != "first piece second piece third piece" {
		t.Fatalf("a.flac = %q", got)
	}
}

// A full disk stops the restore at once with one error naming the target;
// it does not go on downloading files it cannot write.
func TestDiskFullStopsTheRestore(t *testing.T) {
	out := smallDisk(t, 256<<10)
	cs := &countingStore{Store: &memstore.Store{}, gets: map[string]int{}}
	f := newFixtureOn(t, cs)
	var nodes []vault.Node
	for i := range 60 {
		nodes = append(nodes, f.file(fmt.Sprintf("%02d.flac", i), 0o644, strings.Repeat(fmt.Sprint(i), 40<<10)))
	}
	snap := f.snapshot(f.dir("Music", 0o755, nodes...))
	_, err := f.restore(snap, Options{To: out, Workers: 2})
	var te *TargetError
	if !errors.As(err, &te) || !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("restore onto a full disk: %v, want a TargetError with ENOSPC", err)
	}
	if msg := err.Error(); !strings.Contains(msg, out) || strings.Contains(msg, "\n") || strings.Contains(msg, ".tunesafe-") {
		t.Errorf("message %q: want one line naming the target, without temporary names", msg)
	}
	blobs := 0
	for key, n := range cs.gets {
		if strings.HasPrefix(key, "blobs/") {
			blobs += n
		}
	}
	if blobs > 20 {
		t.Errorf("%d of 60 files downloaded after the disk was full", blobs)
	}
	if got := entries(t, filepath.Join(out, "Music")); slices.ContainsFunc(got, func(s string) bool { return strings.HasPrefix(s, ".tunesafe-") }) {
		t.Errorf("temporary files left: %v", got)
	}
}

// A target the user may not write to stops the restore at once, with one
// error naming it, whether the first write is a folder or a file.
func TestTargetNotWritable(t *testing.T) {
	if testenv.AsUnprivileged(t) {
		return
	}
	f := newFixture(t)
	var files []vault.Node
	for i := range 20 {
		files = append(files, f.file(fmt.Sprintf("%02d.mp3", i), 0o644, fmt.Sprint("audio ", i)))
	}
	for name, snap := range map[string]*vault.Snapshot{
		"folder": f.snapshot(f.dir("Music", 0o755, files...)),
		"files":  f.snapshot(files...),
	} {
		t.Run(name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "out")
			os.Mkdir(out, 0o555)
			_, err := f.restore(snap, Options{To: out})
			var te *TargetError
			if !errors.As(err, &te) || !errors.Is(err, fs.ErrPermission) {
				t.Fatalf("restore into a read-only folder: %v, want a TargetError with a permission error", err)
			}
			if msg := err.Error(); !strings.Contains(msg, out) || !strings.Contains(msg, "permission denied") {
				t.Errorf("message %q: want the target and the reason", msg)
			}
			os.Chmod(out, 0o755)
		})
	}
}
