package schedule

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"time"
)

// runFunc runs a program and returns its standard output. Tests replace it
// with one that returns captured output.
type runFunc func(ctx context.Context, name string, args ...string) ([]byte, error)

// commandTimeout bounds each query of the system.
const commandTimeout = 5 * time.Second

// runCommand runs name with args in the C locale and returns its standard
// output; a failure's error carries the first line of its standard error.
func runCommand(ctx context.Context, name string, args ...string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, commandTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = append(os.Environ(), "LC_ALL=C")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		if line, _, _ := strings.Cut(strings.TrimSpace(stderr.String()), "\n"); line != "" {
			return out, fmt.Errorf("%s: %w: %s", name, err, line)
		}
		return out, fmt.Errorf("%s: %w", name, err)
	}
	return out, nil
}
