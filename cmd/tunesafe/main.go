// Command tunesafe keeps an exact, private, always-current copy of a music
// library in a vault the user owns: a bucket on any S3-compatible storage or
// a local folder. This package is wiring only: flags, building the parts from
// internal/, and mapping errors to exit codes (see exitcode.go).
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	"github.com/spf13/pflag"

	"github.com/tunesafe/tunesafe/internal/vault"
)

func main() {
	// A backup runs in the background for hours: keep its footprint small
	// by collecting garbage sooner once the heap passes this soft limit
	// (GOMEMLIMIT overrides it).
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(112 << 20)
	}
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// run executes the command line and returns the exit code.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	app := newApp(stdin, stdout, stderr)
	// The first interrupt stops a command gently where it can (see
	// interrupts); the next cancels it. After that, the signals' default
	// action is back: a third Ctrl-C ends a process that hangs.
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)
	go func() {
		for range sigs {
			if !app.interrupts.interrupt() {
				cancel()
				signal.Stop(sigs)
				return
			}
		}
	}()
	root := app.rootCommand()
	root.SetArgs(args)
	cmd, err := root.ExecuteContextC(ctx)
	app.flushStderr()
	if err == nil {
		return exitOK
	}
	if !app.started {
		// Cobra refused the command line before the command started,
		// perhaps before it parsed --json ("tunesafe snapshot --json").
		err = commandLineError(cmd, err)
		app.json = app.json || jsonRequested(args)
	}
	code, msg, hint := classify(err)
	if errors.Is(err, vault.ErrWrongPassphrase) && app.givenBy == promptSource {
		hint = fmt.Sprintf("typed %d times at the prompt: check the keyboard layout and Caps Lock; the passphrase is the one set when the vault was made, or by 'tunesafe passwd'; nothing was changed", passphraseTries)
	}
	if se := (*stoppedError)(nil); code == exitWarnings || code == exitStopped || errors.As(err, &se) {
		// The summary already said it; nothing more to add.
		return code
	}
	if app.json {
		// A JSON line like the log's and progress's on stderr, so that a
		// program reading them needs no second parser for the end.
		b, _ := json.Marshal(struct {
			Type     string `json:"type"`
			Error    string `json:"error"`
			Hint     string `json:"hint,omitempty"`
			ExitCode int    `json:"exit_code"`
		}{"error", msg, hint, code})
		fmt.Fprintf(stderr, "%s\n", b)
		return code
	}
	// One line whatever the error carries (a parser's multi-line
	// message, a server's reply).
	fmt.Fprintf(stderr, "tunesafe: error: %s\n", oneLine(msg))
	if hint != "" {
		fmt.Fprintf(stderr, "tunesafe: hint: %s\n", hint)
	}
	return code
}

// jsonRequested reports whether the command line asks for --json, read
// on its own: for an error in a command line cobra could not parse.
func jsonRequested(args []string) bool {
	fs := pflag.NewFlagSet("tunesafe", pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.ParseErrorsAllowlist.UnknownFlags = true
	j := fs.Bool("json", false, "")
	fs.Parse(args)
	return *j
}
