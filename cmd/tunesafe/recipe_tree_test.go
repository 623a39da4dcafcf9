//go:build unix

package main

import (
	"bytes"
	"compress/gzip"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/tunesafe/tunesafe/internal/testenv"
	"github.com/tunesafe/tunesafe/internal/vault"
)

// recipeLibrary is the folder the hand-restore test backs up.
type recipeLibrary struct {
	dir string // the folder, named Music
	// single are paths in the snapshot ("Music/...") that the test
	// restores one at a time: files, symlinks, and a folder.
	single []string
	// ogg are the names of files the vault must store with layout ogg1.
	ogg []string
}

// recipeTimes are modification times that cross a day, a month and a
// year in zones west of UTC, fall on a leap day, before 1970 and after
// 2038, with and without a fraction of a second.
var recipeTimes = []time.Time{
	time.Date(2001, 1, 1, 2, 0, 0, 0, time.UTC),
	time.Date(2024, 2, 29, 1, 15, 30, 123456789, time.UTC),
	time.Date(1969, 12, 31, 23, 59, 59, 500000000, time.UTC),
	time.Date(2026, 7, 1, 12, 0, 0, 0, time.UTC),
	time.Date(2038, 1, 19, 3, 14, 8, 100, time.UTC),
	time.Date(2026, 3, 1, 0, 10, 0, 0, time.UTC),
}

// makeRecipeLibrary fills dir (a folder named Music) with what the recipe
// must restore: audio from the corpus, Ogg files of every kind (ID3v2
// before the first page, multiplexed, chained, and the edge cases of
// edgeOgg), a file of several blobs behind a list, names that JSON
// escapes or that are not UTF-8, symlinks, empty folders and files,
// setuid, setgid and sticky bits, read-only files and folders, and
// modification times of every kind.
func makeRecipeLibrary(t *testing.T, dir string) *recipeLibrary {
	t.Helper()
	lib := &recipeLibrary{dir: dir}
	write := func(rel string, b []byte, mode fs.FileMode) {
		p := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, mode); err != nil {
			t.Fatal(err)
		}
	}
	corpus := func(c, name string) []byte {
		b, err := os.ReadFile(filepath.Join(testenv.Corpus(t, c), name))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	single := func(rel string) { lib.single = append(lib.single, "Music/"+rel) }

	// Plain files, one of several blobs (a list).
	for _, f := range []string{"silence-44-s.flac", "xing.mp3", "has-tags.m4a"} {
		write("Jean Sibelius & Co/"+f, corpus("mutagen", f), 0o644)
		single("Jean Sibelius & Co/" + f)
	}
	write("Jean Sibelius & Co/big.wav", bytes.Repeat([]byte("not audio, but several chunks long "), 300000), 0o644)
	single("Jean Sibelius & Co/big.wav")

	// Ogg files, all stored with the ogg1 layout.
	id3 := []byte("ID3\x03\x00\x00\x00\x00\x00\x0eTIT2\x00\x00\x00\x04\x00\x00\x00abc")
	oggs := map[string][]byte{
		"example.opus":    corpus("mutagen", "example.opus"),
		"empty.ogg":       corpus("mutagen", "empty.ogg"),
		"multiplex.ogg":   corpus("taglib", "multiplex.ogg"),
		"silent.opus":     corpus("taglib", "correctness_gain_silent_output.opus"),
		"flac.oga":        corpus("taglib", "empty_flac.oga"),
		"id3 before.opus": append(id3, corpus("mutagen", "example.opus")...),
		"chained.ogg":     append(corpus("mutagen", "empty.ogg"), corpus("taglib", "correctness_gain_silent_output.opus")...),
		"edge cases.ogg":  edgeOgg(),
	}
	for name, b := range oggs {
		write("Ogg/"+name, b, 0o644)
		single("Ogg/" + name)
		lib.ogg = append(lib.ogg, name)
	}

	// Names: JSON escapes, printf and shell specials, not UTF-8.
	for _, name := range []string{
		"quote \" back\\slash line\u2028sep.txt",
		"tab\tnew\nline\n",
		"ctrl \x01\x1f\x7f para\u2029",
		"%s %d %% \\101 \\n.txt",
		"-n",
		" spaced ",
		"& < > é 日本語 🎵.txt",
		"caf\xe9.mp3",
	} {
		write("Names/"+name, []byte("the file called "+name), 0o644)
		single("Names/" + name)
	}
	write("Names/Bj\xf6rk/Homogenic \xff.txt", []byte("not UTF-8 in not UTF-8"), 0o644)
	write("Names/Bj\xf6rk/sub/deep.txt", []byte("deep"), 0o644)
	single("Names/Bj\xf6rk/Homogenic \xff.txt")
	single("Names/Bj\xf6rk")

	// Symlinks, one not UTF-8, one dangling.
	os.MkdirAll(filepath.Join(dir, "Links"), 0o755)
	for name, target := range map[string]string{
		"to mp3":     "../Jean Sibelius & Co/xing.mp3",
		"dangling":   "/nonexistent/target with space",
		"raw":        "../Names/caf\xe9.mp3",
		"odd target": "a\"b\\c\nd\u2028",
	} {
		if err := os.Symlink(target, filepath.Join(dir, "Links", name)); err != nil {
			t.Fatal(err)
		}
		single("Links/" + name)
	}

	// Modes, and empty folders and files.
	write("Modes/setuid", []byte("#!/bin/sh\n"), 0o755|fs.ModeSetuid)
	write("Modes/setgid/file", []byte("x"), 0o640)
	write("Modes/private", []byte("secret"), 0o600)
	write("Modes/empty", nil, 0o644)
	write("Modes/read-only/locked", []byte("locked"), 0o444)
	os.MkdirAll(filepath.Join(dir, "Modes", "sticky"), 0o755)
	os.MkdirAll(filepath.Join(dir, "Empty", "a", "b"), 0o755)
	single("Modes/setuid")
	single("Modes/empty")

	// Times, folders last and deepest first; then the folders' modes.
	var paths []string
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
		return nil
	})
	for i := len(paths) - 1; i >= 0; i-- {
		tm := recipeTimes[i%len(recipeTimes)]
		ts := []unix.Timespec{unix.NsecToTimespec(tm.UnixNano()), unix.NsecToTimespec(tm.UnixNano())}
		if err := unix.UtimesNanoAt(unix.AT_FDCWD, paths[i], ts, unix.AT_SYMLINK_NOFOLLOW); err != nil {
			t.Fatal(err)
		}
	}
	for p, mode := range map[string]fs.FileMode{
		"Modes/setgid": 0o750 | fs.ModeSetgid, "Modes/sticky": 0o777 | fs.ModeSticky, "Modes/read-only": 0o555,
	} {
		if err := os.Chmod(filepath.Join(dir, p), mode); err != nil {
			t.Fatal(err)
		}
	}
	return lib
}

// recipeWritable makes every folder below dir writable, so that the test's
// temporary folder can be removed.
func recipeWritable(dir string) {
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.IsDir() {
			os.Chmod(p, 0o755)
		}
		return nil
	})
}

// recipeCompare reports every difference between the folder (or file or
// symlink) want and got: entries, types, permission bits, modification
// times to the second, contents and symlink targets.
func recipeCompare(t *testing.T, want, got string) {
	t.Helper()
	list := func(root string) map[string]bool {
		m := map[string]bool{}
		filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				t.Errorf("walk %s: %v", p, err)
				return nil
			}
			rel, _ := filepath.Rel(root, p)
			m[rel] = true
			return nil
		})
		return m
	}
	w, g := list(want), list(got)
	for rel := range g {
		if !w[rel] {
			t.Errorf("restored %q, which was not backed up", rel)
		}
	}
	for rel := range w {
		if !g[rel] {
			t.Errorf("%q was not restored", rel)
			continue
		}
		wp, gp := filepath.Join(want, rel), filepath.Join(got, rel)
		wi, err1 := os.Lstat(wp)
		gi, err2 := os.Lstat(gp)
		if err1 != nil || err2 != nil {
			t.Errorf("%q: %v %v", rel, err1, err2)
			continue
		}
		if wi.Mode() != gi.Mode() {
			t.Errorf("%q: mode %v, want %v", rel, gi.Mode(), wi.Mode())
		}
		if wi.ModTime().Unix() != gi.ModTime().Unix() {
			t.Errorf("%q: modified %v, want %v", rel, gi.ModTime().UTC(), wi.ModTime().UTC())
		}
		switch {
		case wi.Mode().IsRegular():
			wb, _ := os.ReadFile(wp)
			gb, err := os.ReadFile(gp)
			if err != nil || !bytes.Equal(wb, gb) {
				t.Errorf("%q: restored other bytes (%v)", rel, err)
			}
		case wi.Mode()&fs.ModeSymlink != 0:
			wt, _ := os.Readlink(wp)
			gt, _ := os.Readlink(gp)
			if wt != gt {
				t.Errorf("%q: symlink to %q, want %q", rel, gt, wt)
			}
		}
	}
}

// vaultTrees returns the uncompressed JSON of every tree of the plain
// vault at dir.
func vaultTrees(t *testing.T, dir string) [][]byte {
	t.Helper()
	var out [][]byte
	trees, _ := filepath.Glob(filepath.Join(dir, "trees", "*", "*"))
	for _, p := range trees {
		f, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		zr, err := gzip.NewReader(f)
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(zr)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, b)
	}
	return out
}

// checkRecipeVault makes sure the plain vault holds what the recipe test
// is about: lists, ogg1 layouts for every Ogg file, names and targets
// that are not UTF-8, JSON escapes, and times in a zone other than UTC.
func checkRecipeVault(t *testing.T, dir string, lib *recipeLibrary, zone bool) {
	t.Helper()
	layouts := map[string]string{}
	var all []byte
	for _, b := range vaultTrees(t, dir) {
		all = append(all, b...)
		tree, err := vault.DecodeTree(b)
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range tree.Nodes {
			layouts[n.FileName()] = n.Layout
		}
	}
	for _, name := range lib.ogg {
		if layouts[name] != "ogg1" {
			t.Errorf("%s is stored with layout %q, not ogg1: the recipe's rebuild is not exercised", name, layouts[name])
		}
	}
	for _, s := range []string{`"lists":[`, `"name_raw":`, `"target_raw":`, `\"`, `\\`, `\u2028`, `\u2029`, `\t`, `\n`, `\u0001`} {
		if !bytes.Contains(all, []byte(s)) {
			t.Errorf("no tree holds %s: the recipe's reading of it is not exercised", s)
		}
	}
	if zone && !bytes.Contains(all, []byte(`-03:30"`)) {
		t.Errorf("no mtime with the offset -03:30: the recipe's conversion to UTC is not exercised")
	}
	if strings.Count(string(all), `"type":"symlink"`) < 4 {
		t.Error("symlinks missing")
	}
}
