//go:build unix

package locks

import (
	"os"
	"os/exec"
	"testing"
)

func TestProcessGone(t *testing.T) {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	// Reaped by Run: the PID is free (a new process could take it, which
	// makes the lock live again, the safe side).
	if !processGone(cmd.Process.Pid) {
		t.Errorf("processGone(%d) = false for a process that ended", cmd.Process.Pid)
	}
	if processGone(os.Getpid()) {
		t.Error("processGone says this process is gone")
	}
	if processGone(1) {
		t.Error("processGone(1) = true: EPERM taken for gone")
	}
	if processGone(0) || processGone(-1) {
		t.Error("processGone of a PID no process has")
	}
}
