package main

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
)

// startMinIO starts MinIO with the project's own script (.ci/minio.sh),
// which builds it from source the first time, on a free port, with its
// data and pid file under dir.
func startMinIO(ctx context.Context, moduleRoot, dir string) (*s3Server, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	script := filepath.Join(moduleRoot, ".ci", "minio.sh")
	envFile := filepath.Join(dir, "minio.env")
	env := append(os.Environ(), "TUNESAFE_MINIO_PORT="+strconv.Itoa(port), "TMPDIR="+dir)
	cmd := exec.CommandContext(ctx, "bash", script, envFile)
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	if err != nil {
		return nil, fmt.Errorf("start MinIO with %s: %w\n%s\n(use -server versitygw for the embedded server)", script, err, out)
	}
	vars, err := readExports(envFile)
	if err != nil {
		return nil, err
	}
	endpoint := strings.TrimPrefix(vars["TUNESAFE_MINIO_ENDPOINT"], "http://")
	s := &s3Server{
		Name:      "minio",
		Addr:      endpoint,
		AccessKey: vars["TUNESAFE_MINIO_ACCESS_KEY"],
		SecretKey: vars["TUNESAFE_MINIO_SECRET_KEY"],
		stop: func() error {
			stop := exec.Command("bash", script, "--stop", envFile)
			stop.Env = env
			if out, err := stop.CombinedOutput(); err != nil {
				return fmt.Errorf("stop MinIO: %w\n%s", err, out)
			}
			return nil
		},
	}
	if s.Addr == "" || s.AccessKey == "" || s.SecretKey == "" {
		_ = s.Close()
		return nil, fmt.Errorf("%s did not name the server in %s", script, envFile)
	}
	return s, nil
}

// readExports reads the "export K=V" lines minio.sh writes.
func readExports(path string) (map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	vars := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(strings.TrimPrefix(sc.Text(), "export "), "=")
		if ok {
			vars[k] = v
		}
	}
	return vars, sc.Err()
}

// freePort returns a 127.0.0.1 port that was free a moment ago.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
