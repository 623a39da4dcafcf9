package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"golang.org/x/term"

	"github.com/tunesafe/tunesafe/internal/store/retry"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

// app holds what every command shares: standard streams and global flags.
// There is no package-level state; commands get the app they run in.
type app struct {
	stdin          io.Reader
	stdout, stderr io.Writer

	vaultFlag      string
	passphraseFile string
	endpoint       string
	json           bool
	verbose        bool
	configPath     string
	statePath      string
	limitUpload    string
	limitDownload  string
	retryFor       time.Duration
	lim            *limits
	cpuProfile     string
	profile        *os.File
	// given is the vault passphrase once a command has been given it.
	given string
	// givenBy says where given came from ("$TUNESAFE_PASSPHRASE",
	// "--passphrase-file F", promptSource).
	givenBy string
	// reading is set for a command of readingCommands.
	reading bool
	// started is set when the command line has been parsed and the
	// command starts: an error before is a mistake in the command line.
	started bool
	log     *slog.Logger // see logger
	logOnce sync.Once
	// reporter tells the log of storage requests retried; see
	// retryReporter.
	reporter     *retry.Reporter
	reporterOnce sync.Once
	// now is the clock; tests may replace it.
	now func() time.Time
	// storage, when set (by the agent's pass), hears of the storage's
	// requests being retried and of its answering again.
	storage atomic.Pointer[storageWatch]
	// interrupts says what Ctrl-C and SIGTERM do (interrupt.go).
	interrupts interrupts
}

// storageWatch is told, by the store chain's retry policy, of requests
// retried and of the storage answering again.
type storageWatch struct {
	retrying  func(request string, attempt int, err error)
	recovered func()
}

func newApp(stdin io.Reader, stdout, stderr io.Writer) *app {
	return &app{stdin: stdin, stdout: stdout, stderr: stderr, now: time.Now}
}

func (a *app) rootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:   "tunesafe",
		Short: "Back up a music library to a vault you own (S3-compatible storage or a folder)",
		Long: `Tunesafe keeps an exact, private, always-current copy of your music library
in a vault you own: a bucket on any S3-compatible storage, or a folder on a USB
disk or NAS. Tag edits upload only the new tag bytes; interrupted backups resume
where they stopped; every object is encrypted on your computer.`,
		Version:       version,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetOut(a.stdout)
	root.SetErr(a.stderr)
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return usagef(helpHint(c), "%v", err)
	})
	// Cobra's own messages are one line, without "Did you mean" lines.
	root.DisableSuggestions = true
	pf := root.PersistentFlags()
	pf.StringVar(&a.vaultFlag, "vault", "", "vault location: s3://bucket/prefix or a folder (default $TUNESAFE_VAULT, then the config file)")
	pf.StringVar(&a.passphraseFile, "passphrase-file", "", "read the vault passphrase from this file (default $TUNESAFE_PASSPHRASE, then a prompt)")
	pf.StringVar(&a.endpoint, "endpoint", "", "S3 endpoint URL (default $AWS_ENDPOINT_URL_S3, $AWS_ENDPOINT_URL, then AWS)")
	pf.BoolVar(&a.json, "json", false, "print machine-readable JSON")
	pf.BoolVarP(&a.verbose, "verbose", "v", false, "log more detail to stderr")
	pf.StringVar(&a.configPath, "config", "", "config file (default $XDG_CONFIG_HOME/tunesafe/config.json)")
	pf.StringVar(&a.statePath, "cache", "", "local cache database (default $XDG_STATE_HOME/tunesafe/cache.db)")
	pf.StringVar(&a.limitUpload, "limit-upload", "", "upload rate limit, e.g. 36KB, 2Mbit, or a timetable \"Mon-Fri 08:00 256KiB; 18:00 2MiB; 23:00 off\"")
	pf.StringVar(&a.limitDownload, "limit-download", "", "download rate limit (same forms as --limit-upload)")
	pf.DurationVar(&a.retryFor, "retry-for", 15*time.Minute, "keep retrying transient storage failures this long before giving up")
	pf.StringVar(&a.cpuProfile, "cpuprofile", "", "write a CPU profile to this file (for performance work)")
	pf.MarkHidden("cpuprofile")
	root.PersistentPreRunE = func(cmd *cobra.Command, args []string) error {
		a.started = true
		a.reading = readingCommands[cmd.CommandPath()]
		if a.json {
			// Every line on stderr a JSON object, the commands'
			// warnings and notices too.
			a.stderr = newJSONLines(a.stderr)
			cmd.Root().SetErr(a.stderr)
		}
		if err := a.checkGlobalFlags(cmd); err != nil {
			return err
		}
		if a.cpuProfile != "" {
			if err := a.startProfile(); err != nil {
				return err
			}
		}
		return a.setupLimits(cmd.Context())
	}
	root.PersistentPostRun = func(cmd *cobra.Command, args []string) { a.stopProfile() }

	root.AddCommand(
		a.initCommand(),
		a.backupCommand(),
		a.snapshotsCommand(),
		a.lsCommand(),
		a.diffCommand(),
		a.restoreCommand(),
		a.passwdCommand(),
		a.forgetCommand(),
		a.pruneCommand(),
		a.retainCommand(),
		a.verifyCommand(),
		a.auditCommand(),
		a.repairCommand(),
		a.copyCommand(),
		a.promoteCommand(),
		a.agentCommand(),
		a.statusCommand(),
		a.estimateCommand(),
		a.versionCommand(),
	)
	root.SetHelpCommand(a.helpCommand())
	return root
}

// readingCommands only read a vault: they work on a vault whose log is
// damaged or tampered with (without it, with a warning), since the log is
// not needed to read the data.
var readingCommands = map[string]bool{
	"tunesafe snapshots": true, "tunesafe ls": true, "tunesafe restore": true, "tunesafe diff": true,
}

// checkGlobalFlags checks what every command is given before it starts:
// files named on the command line must exist, whether or not the command
// ends up reading them.
func (a *app) checkGlobalFlags(cmd *cobra.Command) error {
	if err := checkPassphraseFile(a.passphraseFile, "--passphrase-file"); err != nil {
		return err
	}
	// A missing config file at the default place is an empty config; one
	// named with --config is a mistake, except for init, which writes it.
	if a.configPath != "" && cmd.Name() != "init" {
		if _, err := os.Stat(a.configPath); err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return usagef("check the path, or leave --config out for the default file", "config file %s does not exist", a.configPath)
			}
			return usagef("check the path given with --config", "config file %s: %v", a.configPath, err)
		}
	}
	return checkNotNegative(cmd)
}

// checkNotNegative refuses a negative value for any numeric flag: no
// count, size or duration of tunesafe's means anything below zero, and a
// command reading "keep the last -1 snapshots" as "keep none" must never
// run. Which values above zero make sense is each command's to check.
func checkNotNegative(cmd *cobra.Command) error {
	var err error
	cmd.Flags().Visit(func(f *pflag.Flag) {
		switch f.Value.Type() {
		case "int", "int8", "int16", "int32", "int64", "float32", "float64", "duration":
		default:
			return
		}
		if err == nil && strings.HasPrefix(f.Value.String(), "-") {
			err = usagef(helpHint(cmd), "--%s %s: must not be negative", f.Name, f.Value)
		}
	})
	return err
}

// helpHint points at the help of the command c.
func helpHint(c *cobra.Command) string {
	if !c.HasParent() {
		return "run 'tunesafe help' to list the commands"
	}
	path := strings.TrimPrefix(c.CommandPath(), c.Root().Name()+" ")
	return "run 'tunesafe help " + path + "'"
}

// commandLineError makes an error cobra returned before the command
// started (an unknown command, a wrong number of arguments) a usage error
// with a hint at c's help.
func commandLineError(c *cobra.Command, err error) error {
	var ue *usageError
	if errors.As(err, &ue) {
		return err
	}
	if c == nil {
		return usagef("run 'tunesafe help' to list the commands", "%v", err)
	}
	msg := err.Error()
	if c.HasParent() && !strings.Contains(msg, c.CommandPath()) {
		// "accepts at most 2 arg(s)" does not say which command.
		msg = strings.TrimPrefix(c.CommandPath(), c.Root().Name()+" ") + ": " + msg
	}
	return usagef(helpHint(c), "%s", msg)
}

// logger is the command's log on stderr, made once the flags are parsed.
func (a *app) logger() *slog.Logger {
	a.logOnce.Do(func() { a.log = a.newLogger() })
	return a.log
}

func (a *app) newLogger() *slog.Logger {
	level := slog.LevelWarn
	if a.verbose {
		level = slog.LevelDebug
	}
	if a.json {
		return slog.New(jsonLogHandler(a.stderr, level))
	}
	return slog.New(newLineHandler(a.stderr, level, a.stderrIsTerminal()))
}

// printJSON writes v as indented JSON to stdout.
func (a *app) printJSON(v any) error {
	enc := json.NewEncoder(a.stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func (a *app) printf(format string, args ...any) {
	fmt.Fprintf(a.stdout, format, args...)
}

// flushStderr writes out what a command left of a line on stderr, before
// the final error.
func (a *app) flushStderr() {
	if j, ok := a.stderr.(*jsonLines); ok {
		j.Flush()
	}
}

// stderrIsTerminal reports whether progress can be drawn.
func (a *app) stderrIsTerminal() bool {
	f, ok := a.stderr.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}
