package s3test

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"time"

	"github.com/versity/versitygw/embedgw"
)

// The child side: serve versitygw until standard input closes.

// runChild serves the gateway and returns the process's exit code.
func runChild() int {
	if err := serveGateway(os.Stdin, os.Stdout); err != nil {
		fmt.Fprintf(os.Stderr, "s3test gateway: %v\n", err)
		return 1
	}
	return 0
}

// serveGateway starts versitygw over a new temporary directory, announces
// its URL on out, serves until in reaches EOF, then stops it and removes the
// directory.
func serveGateway(in io.Reader, out io.Writer) error {
	certFile, keyFile := os.Getenv(envCert), os.Getenv(envKey)
	if (certFile == "") != (keyFile == "") {
		return errNoTLSPair
	}
	dir, err := os.MkdirTemp("", "tunesafe-s3test-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	return ServeGateway(GatewayConfig{
		Dir: dir, AccessKey: accessKey, SecretKey: secretKey,
		CertFile: certFile, KeyFile: keyFile,
	}, in, func(url string) { fmt.Fprintf(out, "%s%s\n", readyPrefix, url) })
}

// GatewayConfig is what ServeGateway serves.
type GatewayConfig struct {
	// Dir is the posix backend's root: one folder per bucket.
	Dir                  string
	AccessKey, SecretKey string
	// CertFile and KeyFile, both or neither, make it serve HTTPS.
	CertFile, KeyFile string
}

// ServeGateway runs versitygw on a free 127.0.0.1 port, calls ready with
// its URL once it accepts connections, and serves until in reaches EOF.
// embedgw allows one gateway per process, and the posix backend works
// relative to the process's working directory, so callers run it in a
// child process of their own (this package's tests and the benchmark do).
func ServeGateway(cfg GatewayConfig, in io.Reader, ready func(url string)) error {
	scheme := "http"
	if cfg.CertFile != "" {
		scheme = "https"
	}
	// The port is picked free and then handed to the gateway, so another
	// process may take it in between; a few attempts make that harmless.
	var lastErr error
	for range 5 {
		addr, err := freePort()
		if err != nil {
			return err
		}
		be, err := PosixBackend(cfg.Dir)
		if err != nil {
			return err
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() {
			done <- embedgw.RunVersityGW(ctx, be, &embedgw.Config{
				RootUserAccess:    cfg.AccessKey,
				RootUserSecret:    cfg.SecretKey,
				Ports:             []string{addr},
				MaxConnections:    500,
				MaxRequests:       250,
				MultipartMaxParts: 10000,
				CertFile:          cfg.CertFile,
				KeyFile:           cfg.KeyFile,
				Quiet:             true,
				// No keep-alive (the default): with it, versitygw
				// v1.8.0 leaves the unread rest of a refused or
				// streaming-signed body on the connection and parses
				// it as the next request. Each request then pays a
				// new TCP (and TLS) handshake, which on loopback is
				// cheap.
			})
		}()
		if err := waitListening(addr, done); err != nil {
			cancel()
			lastErr = err
			continue
		}
		ready(scheme + "://" + addr)
		_, _ = io.Copy(io.Discard, in)
		// A graceful shutdown waits for idle keep-alive connections;
		// the data is thrown away anyway, so give it a moment and go.
		cancel()
		select {
		case <-done:
		case <-time.After(time.Second):
		}
		return nil
	}
	return fmt.Errorf("gateway did not start: %w", lastErr)
}

// freePort returns a 127.0.0.1 address with a port that was free a moment
// ago.
func freePort() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	addr := l.Addr().String()
	return addr, l.Close()
}

// waitListening waits until addr accepts connections, or the gateway gives
// up (done), or a timeout.
func waitListening(addr string, done <-chan error) error {
	deadline := time.Now().Add(startTimeout)
	for time.Now().Before(deadline) {
		select {
		case err := <-done:
			return fmt.Errorf("gateway exited: %w", err)
		default:
		}
		if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			c.Close()
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	return fmt.Errorf("nothing listening on %s after %v", addr, startTimeout)
}
