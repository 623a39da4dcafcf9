//go:build unix

package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// lsMode writes modes as ls -l does: each case is a real file given the
// mode, and ls itself says how it writes it.
func TestLsModeMatchesLs(t *testing.T) {
	if _, err := exec.LookPath("ls"); err != nil {
		t.Skip("no ls")
	}
	dir := t.TempDir()
	cases := []modeCase{
		{"file", touch, 0o644},
		{"exec", touch, 0o755},
		{"setuid", touch, 0o755 | os.ModeSetuid},
		{"setuid-noexec", touch, 0o644 | os.ModeSetuid},
		{"setgid", touch, 0o755 | os.ModeSetgid},
		{"setgid-noexec", touch, 0o640 | os.ModeSetgid},
		{"sticky-dir", mkdir, 0o777 | os.ModeSticky},
		{"sticky-noexec", mkdir, 0o776 | os.ModeSticky},
		{"dir", mkdir, 0o700},
		{"none", touch, 0},
		{"fifo", func(p string) error { return syscall.Mkfifo(p, 0o600) }, 0o620},
	}
	for _, c := range cases {
		p := filepath.Join(dir, c.name)
		if err := c.make(p); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, c.perm); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink("file", filepath.Join(dir, "link")); err != nil {
		t.Fatal(err)
	}
	for _, c := range append(cases, modeCase{name: "link"}) {
		name, p := c.name, filepath.Join(dir, c.name)
		fi, err := os.Lstat(p)
		if err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command("ls", "-ld", p).Output()
		if err != nil {
			t.Fatal(err)
		}
		want := strings.TrimRight(strings.Fields(string(out))[0], ".+@") // SELinux, ACL, xattr marks
		if got := lsMode(fi.Mode()); got != want {
			t.Errorf("%s: lsMode(%v) = %q, ls -l writes %q", name, fi.Mode(), got, want)
		}
	}
}

func touch(p string) error { return os.WriteFile(p, nil, 0o600) }
func mkdir(p string) error { return os.Mkdir(p, 0o700) }

// modeCase is a file made by make and given perm, with os.Chmod's
// special bits.
type modeCase struct {
	name string
	make func(p string) error
	perm os.FileMode
}
