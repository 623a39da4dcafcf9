//go:build linux || darwin

package main

import (
	"bytes"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestReadOnlyVault: a folder vault this user may only read (a disk
// mounted read-only, a share without write permission) still lists,
// restores and reports its status, even after a command failed to write
// to it and left records in this computer's journal; write failures are
// about folder permissions (exit 1), never about storage credentials; and
// the first command that can write again publishes what waited.
//
// Permissions do not bind root, so as root the commands run as the user
// nobody.
func TestReadOnlyVault(t *testing.T) {
	dir := worldDir(t)
	ts := asUnprivileged(t, dir)
	music, vault := filepath.Join(dir, "music"), filepath.Join(dir, "V")
	writeFile(t, filepath.Join(music, "a.mp3"), strings.Repeat("ID3 audio ", 5000))
	writeFile(t, filepath.Join(music, "b.flac"), "fLaC not really")
	ts.ok("backup", "--vault", vault, music)

	// The vault takes new objects but not the log's: the backup fails
	// and leaves its records in the journal.
	writeFile(t, filepath.Join(music, "c.mp3"), "ID3 another")
	for _, d := range []string{"log/entries", "log/checkpoints", "log"} {
		chmod(t, filepath.Join(vault, d), 0o555)
	}
	code, _, stderr := ts.run("backup", "--vault", vault, music)
	ts.wantFolderError(code, stderr, "backup with the log read-only")
	pending := journalFiles(t, dir)
	if pending == 0 {
		t.Fatal("the failed backup left nothing in the journal")
	}

	chmodTree(t, vault, false)
	ts.ok("snapshots", "--vault", vault)
	ts.ok("ls", "--vault", vault, "-r")
	ts.ok("status", "--vault", vault)
	restored := filepath.Join(dir, "restored")
	ts.ok("restore", "--vault", vault, "--to", restored)
	if b, err := os.ReadFile(filepath.Join(restored, "music", "b.flac")); err != nil || string(b) != "fLaC not really" {
		t.Errorf("restored b.flac: %q, %v", b, err)
	}
	out := ts.ok("verify", "--vault", vault)
	if !strings.Contains(out, "lost 0, corrupted 0") || !strings.Contains(out, "tampered 0") {
		t.Errorf("verify of the read-only vault:\n%s", out)
	}
	code, _, stderr = ts.run("backup", "--vault", vault, music)
	ts.wantFolderError(code, stderr, "backup to a read-only vault")
	ts.ok("snapshots", "--vault", vault)
	if n := journalFiles(t, dir); n != pending {
		t.Errorf("the journal holds %d files after the read-only commands, want %d: they must keep the records and write nothing", n, pending)
	}

	chmodTree(t, vault, true)
	ts.ok("backup", "--vault", vault, music)
	out = ts.ok("verify", "--vault", vault)
	if !strings.Contains(out, "lost 0, corrupted 0") || !strings.Contains(out, "tampered 0") {
		t.Errorf("verify after the vault became writable again:\n%s", out)
	}
	if n := journalFiles(t, dir); n >= pending {
		t.Errorf("the journal holds %d files, %d before: the records were not published", n, pending)
	}
}

// cli runs the test binary as the tunesafe command in its own process,
// as the user nobody when the test runs as root.
type cli struct {
	t    *testing.T
	bin  string
	env  []string
	cred *syscall.Credential
}

func asUnprivileged(t *testing.T, dir string) *cli {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "bin", "tunesafe")
	if err := os.MkdirAll(filepath.Dir(bin), 0o755); err != nil {
		t.Fatal(err)
	}
	copyFile(t, self, bin, 0o755)
	c := &cli{t: t, bin: bin, env: []string{
		"PATH=" + os.Getenv("PATH"), "HOME=" + dir, "TMPDIR=" + dir,
		"XDG_CONFIG_HOME=" + filepath.Join(dir, "cfg"), "XDG_STATE_HOME=" + filepath.Join(dir, "state"),
	}}
	if os.Geteuid() == 0 {
		c.cred = &syscall.Credential{Uid: 65534, Gid: 65534}
	}
	return c
}

func (c *cli) run(args ...string) (code int, stdout, stderr string) {
	c.t.Helper()
	cmd := exec.Command(c.bin, args...)
	cmd.Dir = filepath.Dir(filepath.Dir(c.bin))
	cmd.Env = c.env
	if c.cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: c.cred}
	}
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode(), out.String(), errb.String()
	} else if err != nil {
		c.t.Fatal(err)
	}
	return 0, out.String(), errb.String()
}

func (c *cli) ok(args ...string) string {
	c.t.Helper()
	code, out, stderr := c.run(args...)
	if code != exitOK {
		c.t.Fatalf("tunesafe %s: exit %d\n%s", strings.Join(args, " "), code, stderr)
	}
	return out
}

// wantFolderError checks that a refused write is reported as a folder
// permission problem: exit 1, the one-line error and a hint about the
// folder, nothing about credentials.
func (c *cli) wantFolderError(code int, stderr, what string) {
	c.t.Helper()
	lines := strings.Split(strings.TrimSpace(stderr), "\n")
	last := lines[len(lines)-1]
	if code != exitFailure || !strings.HasPrefix(last, "tunesafe: hint: ") ||
		!strings.Contains(last, "permissions of the vault folder") || strings.Contains(stderr, "AWS") {
		c.t.Errorf("%s: exit %d, want %d with a hint about the folder's permissions; stderr:\n%s", what, code, exitFailure, stderr)
	}
}

// worldDir is a temporary folder the user nobody may use.
func worldDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for _, d := range []string{dir, filepath.Dir(dir)} {
		if err := os.Chmod(d, 0o777); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() { chmodTree(t, dir, true) })
	return dir
}

func writeFile(t *testing.T, p, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o777); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o666); err != nil {
		t.Fatal(err)
	}
}

func chmod(t *testing.T, p string, mode fs.FileMode) {
	t.Helper()
	if err := os.Chmod(p, mode); err != nil {
		t.Fatal(err)
	}
}

// chmodTree gives the owner write permission on everything below dir, or
// takes everyone's away, like chmod -R u+w and chmod -R a-w.
func chmodTree(t *testing.T, dir string, write bool) {
	t.Helper()
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		fi, err := os.Lstat(p)
		if err != nil || fi.Mode()&fs.ModeSymlink != 0 {
			return nil
		}
		mode := fi.Mode().Perm() &^ 0o222
		if write {
			mode = fi.Mode().Perm() | 0o200
		}
		os.Chmod(p, mode)
		return nil
	})
}

func copyFile(t *testing.T, from, to string, mode fs.FileMode) {
	t.Helper()
	src, err := os.Open(from)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	dst, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, mode)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(dst, src); err != nil {
		t.Fatal(err)
	}
	if err := dst.Close(); err != nil {
		t.Fatal(err)
	}
}

// journalFiles counts the files in the log journals of the state folder
// under dir.
func journalFiles(t *testing.T, dir string) int {
	t.Helper()
	dirs, err := filepath.Glob(filepath.Join(dir, "state", "tunesafe", "vaults", "*", "auditlog", "journal"))
	if err != nil || len(dirs) != 1 {
		t.Fatalf("journal folders %q: %v", dirs, err)
	}
	ents, err := os.ReadDir(dirs[0])
	if err != nil {
		t.Fatal(err)
	}
	return len(ents)
}
