//go:build unix

package flock

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// A lock held by another process is refused; once that process is gone,
// it is granted. Within one process, flock locks are per open file.
func TestTryLock(t *testing.T) {
	if os.Getenv("FLOCK_TEST_HOLD") != "" {
		f, err := os.Open(os.Getenv("FLOCK_TEST_HOLD"))
		if err != nil || TryLock(f) != nil {
			os.Exit(3)
		}
		os.Stdout.WriteString("held\n")
		os.Stdin.Read(make([]byte, 1)) // until the parent closes stdin
		os.Exit(0)
	}
	dir := t.TempDir()
	p := filepath.Join(dir, "lock")
	os.WriteFile(p, nil, 0o600)
	self, _ := os.Executable()
	cmd := exec.Command(self, "-test.run=^TestTryLock$")
	cmd.Env = append(os.Environ(), "FLOCK_TEST_HOLD="+p)
	stdin, _ := cmd.StdinPipe()
	out, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 5)
	if _, err := out.Read(buf); err != nil || string(buf) != "held\n" {
		t.Fatalf("child: %q %v", buf, err)
	}
	f, _ := os.Open(p)
	defer f.Close()
	if err := TryLock(f); !errors.Is(err, ErrBusy) {
		t.Fatalf("while another process holds it: %v", err)
	}
	// A folder can be locked too.
	d, _ := os.Open(dir)
	defer d.Close()
	if err := TryLock(d); err != nil {
		t.Fatalf("folder: %v", err)
	}
	stdin.Close()
	cmd.Wait()
	if err := TryLock(f); err != nil {
		t.Fatalf("after the holder exited: %v", err)
	}
}
