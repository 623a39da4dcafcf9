package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/tunesafe/tunesafe/internal/faultrelay"
)

// job is one command to run and measure.
type job struct {
	// name names the log file (logs/<name>.log) and appears in errors.
	name string
	argv []string
	env  []string // the complete environment
	dir  string
	// killAfterUp, when > 0, SIGKILLs the command as soon as the relay has
	// counted this many bytes upstream since it started.
	killAfterUp int64
}

// measurement is what one command cost.
type measurement struct {
	Wall    time.Duration
	Up      int64 // bytes the relay carried client to server during the command
	Down    int64 // bytes the relay carried server to client
	PeakRSS int64 // bytes: the child's maximum resident set size
	Killed  bool  // killAfterUp was reached and the command was SIGKILLed
}

// runner runs commands one at a time and measures them. The counts are
// deltas of the relay's counters, so nothing else may use the relay while
// a command runs.
type runner struct {
	relay   *faultrelay.Relay
	logDir  string
	timeout time.Duration
}

// pollEvery is how often a killable command's upload count is looked at;
// at loopback speeds (~100 MB/s) it overshoots the target by about 1 MB.
const pollEvery = 5 * time.Millisecond

// run runs j to completion (or to its kill) and returns what it cost. A
// non-zero exit is an error, unless the command was killed on purpose.
func (r *runner) run(ctx context.Context, j job) (measurement, error) {
	var m measurement
	ctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	logPath := filepath.Join(r.logDir, j.name+".log")
	logFile, err := os.Create(logPath)
	if err != nil {
		return m, err
	}
	defer logFile.Close()
	fmt.Fprintf(logFile, "$ %s\n", strings.Join(j.argv, " "))

	cmd := exec.CommandContext(ctx, j.argv[0], j.argv[1:]...)
	cmd.Env, cmd.Dir = j.env, j.dir
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGKILL) }

	flushDisks()
	before := r.relay.Stats()
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return m, fmt.Errorf("%s: %w", j.name, err)
	}
	killed := make(chan bool, 1)
	done := make(chan struct{})
	go func() {
		if j.killAfterUp <= 0 {
			killed <- false
			return
		}
		t := time.NewTicker(pollEvery)
		defer t.Stop()
		for {
			select {
			case <-done:
				killed <- false
				return
			case <-t.C:
				if r.relay.Stats().Up-before.Up >= j.killAfterUp {
					killed <- cmd.Process.Signal(syscall.SIGKILL) == nil
					return
				}
			}
		}
	}()
	werr := cmd.Wait()
	close(done)
	m.Wall = time.Since(start)
	m.Killed = <-killed
	after := r.relay.Stats()
	m.Up, m.Down = after.Up-before.Up, after.Down-before.Down
	m.PeakRSS = peakRSS(cmd.ProcessState)
	fmt.Fprintf(logFile, "# %v in %v, %d bytes up, %d down, peak RSS %d\n", werr, m.Wall, m.Up, m.Down, m.PeakRSS)
	switch {
	case m.Killed:
		return m, nil
	case ctx.Err() != nil && errors.Is(ctx.Err(), context.DeadlineExceeded):
		return m, fmt.Errorf("%s: no result after %v (log: %s)", j.name, r.timeout, logPath)
	case werr != nil:
		return m, fmt.Errorf("%s: %w\n%s", j.name, werr, tail(logPath, 12))
	}
	return m, nil
}

// tail returns the last n lines of a log file, indented, for an error
// message.
func tail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	var out bytes.Buffer
	for _, l := range lines {
		fmt.Fprintf(&out, "    | %s\n", l)
	}
	fmt.Fprintf(&out, "    (whole log: %s)", path)
	return out.String()
}

// childEnv returns this process's environment without the variables that
// configure any of the tools or their S3 access, plus extra. Every tool then
// sees only what the benchmark gives it.
func childEnv(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch {
		case strings.HasPrefix(k, "AWS_"), strings.HasPrefix(k, "RESTIC_"), strings.HasPrefix(k, "RCLONE_"),
			strings.HasPrefix(k, "TUNESAFE_"), strings.HasPrefix(k, "XDG_"), k == "HOME", k == "GOGC", k == "GOMAXPROCS":
			continue
		}
		env = append(env, kv)
	}
	return append(env, extra...)
}
