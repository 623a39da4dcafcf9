package main

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/tunesafe/tunesafe/internal/s3test"
	"github.com/tunesafe/tunesafe/internal/testenv"
)

func TestMain(m *testing.M) {
	if s3test.IsChild() {
		s3test.Main(m) // serves the test S3 gateway and exits
	}
	testscript.Main(s3Main{m}, map[string]func(){
		"tunesafe": func() { os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr)) },
	})
}

// s3Main runs the tests under s3test.Main, which starts and stops the S3
// servers the tests use.
type s3Main struct{ m *testing.M }

func (s s3Main) Run() int {
	s3test.Main(s.m)
	return 0 // not reached: s3test.Main exits
}

// TestScripts runs the end-to-end CLI scripts in testdata/script: the real
// command, asserting stdout, stderr and exit codes.
func TestScripts(t *testing.T) {
	shared := testenv.Shared(t)
	testscript.Run(t, testscript.Params{
		Dir: "testdata/script",
		Setup: func(e *testscript.Env) error {
			e.Setenv("SHARED", shared)
			e.Setenv("XDG_CONFIG_HOME", filepath.Join(e.WorkDir, ".config"))
			e.Setenv("XDG_STATE_HOME", filepath.Join(e.WorkDir, ".state"))
			e.Setenv("HOME", e.WorkDir)
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"cmpdir": cmpdir,
			"mkfifo": func(ts *testscript.TestScript, neg bool, args []string) {
				ts.Check(syscall.Mkfifo(ts.MkAbs(args[0]), 0o644))
			},
			"corpus": copyCorpus,
			"cpdir":  cpdir,
		},
		RequireExplicitExec: false,
	})
}

// cmpdir a b: the two trees hold the same names, types, contents, modes and
// symlink targets.
func cmpdir(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: cmpdir dir1 dir2")
	}
	a, b := ts.MkAbs(args[0]), ts.MkAbs(args[1])
	diff := compareTrees(a, b)
	if neg && diff == "" {
		ts.Fatalf("%s and %s are the same", a, b)
	}
	if !neg && diff != "" {
		ts.Fatalf("%s", diff)
	}
}

func compareTrees(a, b string) string {
	seen := map[string]bool{}
	var diff bytes.Buffer
	filepath.WalkDir(a, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			fmt.Fprintf(&diff, "%v\n", err)
			return nil
		}
		rel, _ := filepath.Rel(a, p)
		seen[rel] = true
		q := filepath.Join(b, rel)
		fa, _ := os.Lstat(p)
		fb, err := os.Lstat(q)
		if err != nil {
			fmt.Fprintf(&diff, "%s: missing in %s\n", rel, b)
			return nil
		}
		if fa.Mode() != fb.Mode() {
			fmt.Fprintf(&diff, "%s: mode %v != %v\n", rel, fa.Mode(), fb.Mode())
		}
		switch {
		case fa.Mode().IsRegular():
			x, _ := os.ReadFile(p)
			y, _ := os.ReadFile(q)
			if !bytes.Equal(x, y) {
				fmt.Fprintf(&diff, "%s: content differs\n", rel)
			}
			if !fa.ModTime().Equal(fb.ModTime()) {
				fmt.Fprintf(&diff, "%s: mtime %v != %v\n", rel, fa.ModTime(), fb.ModTime())
			}
		case fa.Mode()&fs.ModeSymlink != 0:
			x, _ := os.Readlink(p)
			y, _ := os.Readlink(q)
			if x != y {
				fmt.Fprintf(&diff, "%s: link %q != %q\n", rel, x, y)
			}
		}
		return nil
	})
	filepath.WalkDir(b, func(p string, d fs.DirEntry, err error) error {
		if err == nil {
			rel, _ := filepath.Rel(b, p)
			if !seen[rel] {
				fmt.Fprintf(&diff, "%s: only in %s\n", rel, b)
			}
		}
		return nil
	})
	return diff.String()
}

// corpus NAME DIR [GLOB]: copy files of shared/corpus/NAME into DIR.
func copyCorpus(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) < 2 {
		ts.Fatalf("usage: corpus name dir [glob]")
	}
	glob := "*"
	if len(args) > 2 {
		glob = args[2]
	}
	src := filepath.Join(ts.Getenv("SHARED"), "corpus", args[0])
	matches, err := filepath.Glob(filepath.Join(src, glob))
	ts.Check(err)
	dst := ts.MkAbs(args[1])
	ts.Check(os.MkdirAll(dst, 0o755))
	for _, m := range matches {
		fi, err := os.Stat(m)
		ts.Check(err)
		if !fi.Mode().IsRegular() {
			continue
		}
		b, err := os.ReadFile(m)
		ts.Check(err)
		ts.Check(os.WriteFile(filepath.Join(dst, filepath.Base(m)), b, 0o644))
	}
}

// cpdir src dst: copy the tree src to dst, which must not exist, keeping
// modes and modification times (like cp -a, symlinks as symlinks).
func cpdir(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: cpdir src dst")
	}
	src, dst := ts.MkAbs(args[0]), ts.MkAbs(args[1])
	if _, err := os.Lstat(dst); err == nil {
		ts.Fatalf("cpdir: %s exists", dst)
	}
	var dirs []string
	ts.Check(filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		q := filepath.Join(dst, rel)
		fi, err := os.Lstat(p)
		if err != nil {
			return err
		}
		switch {
		case fi.IsDir():
			dirs = append(dirs, rel)
			return os.MkdirAll(q, 0o700)
		case fi.Mode()&fs.ModeSymlink != 0:
			target, err := os.Readlink(p)
			if err != nil {
				return err
			}
			return os.Symlink(target, q)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if err := os.WriteFile(q, b, fi.Mode().Perm()); err != nil {
			return err
		}
		return os.Chtimes(q, fi.ModTime(), fi.ModTime())
	}))
	// Folders last, deepest first: writing into a folder changes its
	// modification time.
	for i := len(dirs) - 1; i >= 0; i-- {
		fi, err := os.Stat(filepath.Join(src, dirs[i]))
		ts.Check(err)
		q := filepath.Join(dst, dirs[i])
		ts.Check(os.Chmod(q, fi.Mode().Perm()))
		ts.Check(os.Chtimes(q, fi.ModTime(), fi.ModTime()))
	}
}
