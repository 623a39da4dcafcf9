package s3test

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// The parent side of the gateway child: start it, read its address, stop it.

const (
	envChild = "TUNESAFE_S3TEST_GATEWAY" // set in the child's environment
	envCert  = "TUNESAFE_S3TEST_CERT"    // TLS certificate file, for an HTTPS child
	envKey   = "TUNESAFE_S3TEST_KEY"     // its private key

	// readyPrefix starts the line on which the child announces its URL;
	// the gateway prints other lines to standard output too.
	readyPrefix = "s3test-ready "

	accessKey = "tunesafe-test"
	secretKey = "tunesafe-test-secret"

	startTimeout = time.Minute
)

type child struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	done   chan struct{} // closed when the process has exited
	target Target
	dir    string // the TLS child's certificate directory, removed on stop
	err    error
}

// startChild re-runs the test binary as a gateway. Any failure is kept in
// child.err, so that every test asking for this server reports it.
func startChild(tls bool) *child {
	c := &child{done: make(chan struct{})}
	exe, err := os.Executable()
	if err != nil {
		c.err = fmt.Errorf("finding the test binary: %w", err)
		return c
	}
	c.cmd = exec.Command(exe, "-test.run=^$")
	c.cmd.Env = append(os.Environ(), envChild+"=1")
	c.cmd.Stderr = os.Stderr
	c.target = Target{Name: "versitygw", AccessKey: accessKey, SecretKey: secretKey}
	if tls {
		c.dir, err = os.MkdirTemp("", "tunesafe-s3test-tls-")
		if err != nil {
			c.err = err
			return c
		}
		certFile, keyFile := filepath.Join(c.dir, "cert.pem"), filepath.Join(c.dir, "key.pem")
		if err := writeSelfSigned(certFile, keyFile); err != nil {
			c.err = fmt.Errorf("generating a TLS certificate: %w", err)
			return c
		}
		c.cmd.Env = append(c.cmd.Env, envCert+"="+certFile, envKey+"="+keyFile)
		c.target.Name = "versitygw-tls"
		c.target.CABundle = certFile
	}
	c.stdin, err = c.cmd.StdinPipe()
	if err != nil {
		c.err = err
		return c
	}
	stdout, err := c.cmd.StdoutPipe()
	if err != nil {
		c.err = err
		return c
	}
	if err := c.cmd.Start(); err != nil {
		c.err = fmt.Errorf("starting the gateway child: %w", err)
		return c
	}
	go func() {
		_ = c.cmd.Wait()
		close(c.done)
	}()

	ready := make(chan string, 1)
	go func() {
		// Keep reading to the end so the child never blocks on a
		// full pipe; the gateway's own chatter is dropped.
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if u, ok := strings.CutPrefix(sc.Text(), readyPrefix); ok {
				ready <- u
			}
		}
	}()
	select {
	case u := <-ready:
		c.target.Endpoint = u
	case <-c.done:
		c.err = fmt.Errorf("the versitygw child exited before serving (%v); its error is on stderr", c.cmd.ProcessState)
	case <-time.After(startTimeout):
		c.stop()
		c.err = fmt.Errorf("the versitygw child did not serve within %v", startTimeout)
	}
	return c
}

// stop closes the child's standard input, which ends it, and waits; a child
// that does not end in time is killed.
func (c *child) stop() {
	if c.cmd == nil || c.cmd.Process == nil {
		return
	}
	if c.stdin != nil {
		_ = c.stdin.Close()
	}
	select {
	case <-c.done:
	case <-time.After(15 * time.Second):
		_ = c.cmd.Process.Kill()
		<-c.done
	}
	if c.dir != "" {
		_ = os.RemoveAll(c.dir)
	}
}

func stopAll() {
	mu.Lock()
	defer mu.Unlock()
	for _, c := range children {
		c.stop()
	}
	clear(children)
}

func isChild() bool { return os.Getenv(envChild) == "1" }

var errNoTLSPair = errors.New(envCert + " and " + envKey + " must be set together")

// IsChild reports whether this process is a gateway child started by Main;
// a TestMain that dispatches on its own (testscript) checks it first.
func IsChild() bool { return isChild() }
