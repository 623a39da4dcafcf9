package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/tunesafe/tunesafe/internal/s3test"
)

// The embedded versitygw (-server versitygw) runs in a child process, the
// bench binary run again with gatewayEnv set: versitygw's posix backend makes
// its root the process's working directory, and embedgw allows one gateway
// per process. The child serves until its standard input closes, so it
// cannot outlive the benchmark. internal/s3test does the same for tests.

const (
	gatewayEnv    = "TUNESAFE_BENCH_GATEWAY_DIR" // the child's data folder
	gatewayReady  = "bench-gateway-ready "
	gatewayAccess = "tunesafe-bench"
	gatewaySecret = "tunesafe-bench-secret"
)

func isGatewayChild() bool { return os.Getenv(gatewayEnv) != "" }

// startGateway starts the child and waits for its address.
func startGateway(ctx context.Context, dir string) (*s3Server, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	data := filepath.Join(dir, "versitygw")
	if err := os.MkdirAll(data, 0o700); err != nil {
		return nil, err
	}
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), gatewayEnv+"="+data)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start the versitygw child: %w", err)
	}
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if a, ok := strings.CutPrefix(sc.Text(), gatewayReady); ok {
				addr <- a
			}
		}
		close(addr)
	}()
	stop := func() error {
		stdin.Close()
		return cmd.Wait()
	}
	select {
	case a, ok := <-addr:
		if !ok {
			_ = stop()
			return nil, fmt.Errorf("the versitygw child exited before serving")
		}
		return &s3Server{Name: "versitygw", Addr: a, AccessKey: gatewayAccess, SecretKey: gatewaySecret, stop: stop}, nil
	case <-time.After(time.Minute):
	case <-ctx.Done():
	}
	_ = cmd.Process.Kill()
	_ = stop()
	return nil, fmt.Errorf("the versitygw child did not serve within a minute")
}

// runGatewayChild serves versitygw over the folder gatewayEnv names until
// standard input closes, and returns the exit code.
func runGatewayChild() int {
	if err := serveGateway(os.Getenv(gatewayEnv), os.Stdin, os.Stdout); err != nil {
		fmt.Fprintf(os.Stderr, "bench gateway: %v\n", err)
		return 1
	}
	return 0
}

func serveGateway(dir string, in io.Reader, out io.Writer) error {
	return s3test.ServeGateway(s3test.GatewayConfig{
		Dir: dir, AccessKey: gatewayAccess, SecretKey: gatewaySecret,
	}, in, func(url string) {
		fmt.Fprintf(out, "%s%s\n", gatewayReady, strings.TrimPrefix(url, "http://"))
	})
}
