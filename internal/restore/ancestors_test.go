//go:build unix

package restore

import (
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/tunesafe/tunesafe/internal/backup"
	"github.com/tunesafe/tunesafe/internal/vault"
)

// ancestorsSnapshot is a backup of /home/anna/Music with a library whose
// track /tmp/x/b.flac lies outside it: the root tree holds Music and tmp,
// and tmp (recorded world-writable and sticky) and tmp/x (setgid and
// world-writable) are only the folders above the track.
func ancestorsSnapshot(f *fixture) *vault.Snapshot {
	f.t.Helper()
	s := f.snapshot(
		f.dir("Music", 0o750, f.dir("Album", 0o2775, f.file("a.flac", 0o644, "inside"))),
		f.dir("tmp", 0o1777, f.dir("x", 0o2777, f.file("b.flac", 0o640, "outside"))),
	)
	s.Paths = []string{"/home/anna/Music"}
	return s
}

// stat returns p's mode (special bits included) and time.
func stat(t *testing.T, p string) (fs.FileMode, time.Time) {
	t.Helper()
	fi, err := os.Lstat(p)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Mode(), fi.ModTime()
}

// mkdirP returns the mode of a folder made in dir as mkdir -p makes one:
// 0755 less the umask, with what dir passes on.
func mkdirP(t *testing.T, dir string) fs.FileMode {
	t.Helper()
	p := filepath.Join(dir, "mkdir-p")
	if err := os.Mkdir(p, 0o755); err != nil {
		t.Fatal(err)
	}
	m, _ := stat(t, p)
	os.Remove(p)
	return m
}

// Folders on the way to files outside the backed-up paths are made as
// mkdir -p makes them, whatever the snapshot records; the backed-up
// folders, whole or on the way to what a pattern selects, get their
// recorded modes (special bits included) and times.
func TestAncestorsMadeAsMkdirP(t *testing.T) {
	f := newFixture(t)
	snap := ancestorsSnapshot(f)
	for _, tc := range []struct {
		name            string
		patterns        []string
		inside, outside bool // which tracks the patterns select
	}{
		{"everything", nil, true, true},
		{"the outside track's folder", []string{"tmp/x"}, false, true},
		{"the outside track", []string{"tmp/x/b.flac"}, false, true},
		{"the inside track", []string{"Music/Album/a.flac"}, true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			to := t.TempDir()
			if _, err := f.restore(snap, Options{To: to, Patterns: tc.patterns}); err != nil {
				t.Fatal(err)
			}
			plain := mkdirP(t, to)
			for rel, want := range map[string]bool{"Music/Album/a.flac": tc.inside, "tmp/x/b.flac": tc.outside} {
				if got := readFile(t, filepath.Join(to, rel)) != "<missing>"; got != want {
					t.Errorf("%s restored: %v, want %v", rel, got, want)
				}
			}
			if tc.outside {
				for _, d := range []string{"tmp", "tmp/x"} {
					m, mt := stat(t, filepath.Join(to, d))
					if m != plain {
						t.Errorf("%s: mode %v, want %v as mkdir -p makes it", d, m, plain)
					}
					if mt.Equal(testTime) {
						t.Errorf("%s: given the recorded time of a folder not backed up", d)
					}
				}
				if m, mt := stat(t, filepath.Join(to, "tmp/x/b.flac")); m != 0o640 || !mt.Equal(testTime) {
					t.Errorf("b.flac: %v %v, want its recorded mode and time", m, mt)
				}
			}
			if !tc.inside {
				return
			}
			for d, want := range map[string]fs.FileMode{"Music": fs.ModeDir | 0o750, "Music/Album": fs.ModeDir | fs.ModeSetgid | 0o775} {
				if m, mt := stat(t, filepath.Join(to, d)); m != want || !mt.Equal(testTime) {
					t.Errorf("%s: %v %v, want %v %v as backed up", d, m, mt, want, testTime)
				}
			}
		})
	}
}

// Folders found on the way, restoring in place or over an earlier
// restore, keep their modes and times, even one the owner may not write
// to (it gets write access only while the restore writes into it); and
// running the restore again finds everything in place.
func TestAncestorsFoundLeftAlone(t *testing.T) {
	f := newFixture(t)
	snap := ancestorsSnapshot(f)
	to := t.TempDir()
	tmp, x := filepath.Join(to, "tmp"), filepath.Join(to, "tmp", "x")
	if err := os.MkdirAll(x, 0o700); err != nil {
		t.Fatal(err)
	}
	old := time.Date(2010, 1, 1, 0, 0, 0, 0, time.UTC)
	os.Chmod(tmp, 0o751)
	os.Chtimes(tmp, old, old)
	os.Chmod(x, 0o500)
	t.Cleanup(func() { os.Chmod(x, 0o700) })
	for run := range 2 {
		res, err := f.restore(snap, Options{To: to})
		if err != nil {
			t.Fatalf("run %d: %v", run, err)
		}
		if want := int64(2 * (1 - run)); res.Restored != want || res.Unchanged != 2-want || res.AttrsNotSet != 0 {
			t.Errorf("run %d: restored %d, unchanged %d, attributes not set %d; want %d, %d, 0", run, res.Restored, res.Unchanged, res.AttrsNotSet, want, 2-want)
		}
		if m, mt := stat(t, tmp); m != fs.ModeDir|0o751 || !mt.Equal(old) {
			t.Errorf("run %d: tmp: %v %v, want it as found: drwxr-x--x %v", run, m, mt, old)
		}
		if m, _ := stat(t, x); m != fs.ModeDir|0o500 {
			t.Errorf("run %d: tmp/x: %v, want it as found: dr-x------", run, m)
		}
		if got := readFile(t, filepath.Join(x, "b.flac")); got != "outside" {
			t.Errorf("run %d: b.flac: %q", run, got)
		}
	}
}

// A snapshot without backed-up folders (a library whose files all lie
// elsewhere) has only ancestors.
func TestAncestorsOnly(t *testing.T) {
	f := newFixture(t)
	snap := ancestorsSnapshot(f)
	snap.Paths = nil
	to := t.TempDir()
	if _, err := f.restore(snap, Options{To: to}); err != nil {
		t.Fatal(err)
	}
	plain := mkdirP(t, to)
	for _, d := range []string{"Music", "Music/Album", "tmp", "tmp/x"} {
		if m, _ := stat(t, filepath.Join(to, d)); m != plain {
			t.Errorf("%s: mode %v, want %v", d, m, plain)
		}
	}
}

// vault.RootName names a backed-up path's entry as a backup does, and reads the
// paths of snapshots made on Windows.
func TestRootName(t *testing.T) {
	for _, p := range []string{"/home/anna/Music", "/home/anna/Music/", "/", "/Volumes/My Music", `/home/anna/AC\DC`} {
		rel, err := backup.SnapshotPath(backup.Options{Paths: []string{p}}, p)
		if err != nil {
			t.Fatal(err)
		}
		if got := vault.RootName(p); got != rel {
			t.Errorf("RootName(%q) = %q, a backup names it %q", p, got, rel)
		}
	}
	for p, want := range map[string]string{`C:\Users\anna\Music`: "Music", `C:\`: "root", `D:\Music\`: "Music", `\\nas\share\Music`: "Music"} {
		if got := vault.RootName(p); got != want {
			t.Errorf("RootName(%q) = %q, want %q", p, got, want)
		}
	}
}
