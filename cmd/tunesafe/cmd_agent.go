package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"time"

	"github.com/kardianos/service"
	"github.com/spf13/cobra"

	"github.com/tunesafe/tunesafe/internal/agent"
	"github.com/tunesafe/tunesafe/internal/schedule"
	"github.com/tunesafe/tunesafe/internal/store"
)

// agentOptions are the flags of `tunesafe agent` and of the service that
// `agent install` sets up (which runs `tunesafe agent` with them).
type agentOptions struct {
	once            bool
	rescan          time.Duration
	windows         []string
	host            string
	uploaders       int
	readers         int
	checkpointEvery time.Duration
}

func (a *app) agentCommand() *cobra.Command {
	var o agentOptions
	c := &cobra.Command{
		Use:   "agent",
		Short: "Back up in the background, inside the configured windows",
		Long: `Run as a long-lived process that keeps the vault current: rescan the
configured paths and library (the "paths" and "library" of the config file)
every --rescan, and back up inside the windows of the config file's
"windows" (or --window), for example:

  "23:00-07:00"            every night
  "Mon-Fri 09:00-17:00"    office hours
  "idle 10m"               when the computer has been idle for 10 minutes
  "23:00-07:00 ac"         nights, never on battery
  "always"                 (the default)

A pass is given the time left in its window and stops then with a
restorable checkpoint; the next window continues where it stopped.
Transient failures (network, DNS, server errors) are retried with growing
waits; others (credentials, missing bucket, full disk) are reported in
'tunesafe status' and the log, and retried at the next window.

After a completed pass, once a week, the agent also checks the vault's
integrity as 'tunesafe verify' does (the config file's "verify":
{"every": "1d", "sample": "1%"}, or {"every": "off"}).
Edits of the config file's "windows", "paths", "library", "exclude" and
"limit_upload" take effect without a restart (the windows within a minute,
the rest at the next pass; an edit after a failure retries at once); a bad
edit is logged and shown by 'tunesafe status', and the agent carries on
with what it read before. The vault is the one it started with. A pass that
finds nothing changed writes no snapshot.
The agent reports to 'tunesafe status' through a file beside the cache
($XDG_STATE_HOME/tunesafe/agent-status.json). 'tunesafe agent install'
makes it a service of your user that starts at login.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.runAgent(cmd.Context(), o)
		},
	}
	c.Flags().BoolVar(&o.once, "once", false, "run one pass if a window is open now, then exit")
	// Persistent, so that 'agent install' takes them for the service.
	f := c.PersistentFlags()
	f.DurationVar(&o.rescan, "rescan", time.Hour, "rescan the library this often between passes")
	f.StringArrayVar(&o.windows, "window", nil, "when to back up, e.g. \"23:00-07:00\" or \"idle 10m\" (repeatable; default: the config file's \"windows\", else always)")
	f.StringVar(&o.host, "host", "", "host name recorded in the snapshots (default: this computer's)")
	f.IntVar(&o.uploaders, "uploaders", 32, "most uploads at once (fewer go at once on a slow line)")
	f.IntVar(&o.readers, "readers", 2, "files read at once")
	f.DurationVar(&o.checkpointEvery, "checkpoint-every", 10*time.Minute, "commit a restorable checkpoint this often during a long pass")
	c.AddCommand(a.agentInstallCommand(&o), a.agentUninstallCommand())
	return c
}

func (a *app) runAgent(ctx context.Context, o agentOptions) error {
	// The deletes the agent makes (superseded checkpoints, its locks) are
	// recorded in the vault's log as made by the agent.
	ctx = a.deleteReason(ctx, "agent")
	if o.rescan < time.Minute {
		return usagef("", "--rescan %s: want at least 1m", o.rescan)
	}
	if err := checkCheckpointEvery(o.checkpointEvery); err != nil {
		return err
	}
	if o.uploaders < 1 || o.readers < 1 {
		return usagef("", "--uploaders and --readers must be at least 1")
	}
	cfg, err := a.loadConfig()
	if err != nil {
		return err
	}
	windows, err := agentWindows(cfg, o.windows)
	if err != nil {
		return err
	}
	src, err := a.backupSources(cfg)
	if err != nil {
		return err
	}
	plan, err := cfg.Verify.plan(a.configFile())
	if err != nil {
		return err
	}
	// Fail now, not at the first window, when no vault is configured.
	// The agent keeps the vault it starts with: an edit of the config
	// file's "vault" takes effect when it is restarted, and a bad edit of
	// the file cannot take its vault away.
	loc, err := a.vaultLocation()
	if err != nil {
		return err
	}
	a.vaultFlag = loc
	statusPath := a.agentStatusFile()
	previous, err := previousAgent(statusPath, a.now())
	if err != nil {
		return err
	}
	log := a.agentLogger()
	// Edits of the config file's windows, paths, exclusions and limits
	// take effect at the next pass (the windows at once); a bad edit
	// leaves the agent as it was, with a warning in its log and status.
	loaded := cfg
	reload := func() (schedule.Windows, bool, error) {
		cfg, err := a.loadConfig()
		if err != nil {
			return schedule.Windows{}, false, err
		}
		w, err := agentWindows(cfg, o.windows)
		if err != nil {
			return w, false, err
		}
		s, err := a.backupSources(cfg)
		if err != nil {
			return w, false, err
		}
		if err := a.applyLimits(a.lim, cfg); err != nil {
			return w, false, err
		}
		changed := !reflect.DeepEqual(cfg, loaded)
		src, loaded = s, cfg
		return w, changed, nil
	}
	ag, err := agent.New(agent.Config{
		Pass:     a.agentPass(&src, o, plan, log),
		Windows:  windows,
		Idle:     schedule.SystemIdle(),
		Power:    schedule.SystemPower(),
		Status:   func(st agent.Status) error { return agent.WriteStatusFile(statusPath, st) },
		Hint:     agentHint,
		Logger:   log,
		Rescan:   o.rescan,
		Clock:    agent.SystemClock(a.now),
		Previous: previous,
		Vault:    a.normalVault(loc),
		Reload:   reload,
		Sent:     a.lim.up.Passed,
		Limit:    a.lim.up.Rate,
	})
	if err != nil {
		return err
	}
	if o.once {
		return a.agentOnce(ctx, ag)
	}
	log.Info("agent started", "windows", windows.String(), "paths", strings.Join(src.paths, ", "), "library", src.lib.xml, "rescan", o.rescan.String(), "status", statusPath)
	if runtime.GOOS == "windows" && !service.Interactive() {
		return runUnderServiceManager(ctx, ag)
	}
	return ag.Run(ctx)
}

// agentHint is the advice the agent's status gives for a failed pass: what
// to fix, and for a transient failure that the agent tries again by itself
// (the advice of a command, to run it again later, does not fit).
func agentHint(err error) string {
	if store.IsTransient(err) {
		return "the agent tries again by itself; if this lasts, check the network and the endpoint (--endpoint or AWS_ENDPOINT_URL_S3)"
	}
	_, _, hint := classify(err)
	return hint
}

// agentOnce runs one pass if a window is open, for scripts and tests.
func (a *app) agentOnce(ctx context.Context, ag *agent.Agent) error {
	res, err := ag.RunOnce(ctx)
	var closed *agent.ClosedError
	if errors.As(err, &closed) {
		if a.json {
			return a.printJSON(map[string]any{"ran": false, "reason": closed.Reason, "next_window": nullTime(closed.Next)})
		}
		a.printf("%s\n", closed.Error())
		return nil
	}
	if err != nil {
		return err
	}
	return a.reportBackup(res, nil)
}

// agentWindows parses the windows given by --window, else the config
// file's; none means always.
func agentWindows(cfg *fileConfig, flags []string) (schedule.Windows, error) {
	specs, from := flags, "--window"
	if len(specs) == 0 {
		specs, from = cfg.Windows, "config file \"windows\""
	}
	if len(specs) == 0 {
		return schedule.Always(), nil
	}
	w, err := schedule.ParseWindows(strings.Join(specs, ", "))
	if err != nil {
		return w, usagef(`for example "23:00-07:00", "Mon-Fri 09:00-17:00", "idle 10m", "23:00-07:00 ac" or "always"`, "%s: %v", from, err)
	}
	return w, nil
}

// agentStatusFile is where the agent reports, beside the cache.
func (a *app) agentStatusFile() string {
	return filepath.Join(filepath.Dir(a.cacheFile()), "agent-status.json")
}

// previousAgent returns the status the last agent on this cache left, to
// carry its history forward, or nil if there is none. It refuses to start
// a second agent on the same cache: two would fight over the status file.
// A status that names a live process but has not been updated for long is
// taken as a stale file whose PID was reused.
func previousAgent(statusPath string, now time.Time) (*agent.Status, error) {
	st, err := agent.ReadStatusFile(statusPath)
	if err != nil {
		// No agent ran, or its status is unreadable: this agent's replaces it.
		return nil, nil
	}
	if st.Running() && !st.Stale(now) {
		return nil, withHint(fmt.Errorf("an agent is already running (pid %d)", st.PID),
			"see 'tunesafe status'; stop it first ('tunesafe agent uninstall' if it is installed as a service)")
	}
	return &st, nil
}

// agentLogger logs the agent's events to stderr (the journal under
// systemd): one line each, at Info, or Debug with --verbose; with --json,
// JSON lines like every command's log.
func (a *app) agentLogger() *slog.Logger {
	level := slog.LevelInfo
	if a.verbose {
		level = slog.LevelDebug
	}
	if a.json {
		return slog.New(jsonLogHandler(a.stderr, level))
	}
	return slog.New(slog.NewTextHandler(a.stderr, &slog.HandlerOptions{Level: level}))
}

// runUnderServiceManager runs the agent under the Windows service control
// manager, which must be told when the service starts and asks it to stop.
// (systemd and launchd run the process as it is and stop it with SIGTERM,
// which ends ctx.)
func runUnderServiceManager(ctx context.Context, ag *agent.Agent) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	prog := &serviceProgram{cancel: cancel, done: make(chan struct{})}
	prog.run = func() {
		defer close(prog.done)
		ag.Run(ctx)
	}
	svc, err := service.New(prog, &service.Config{Name: agentServiceName})
	if err != nil {
		return err
	}
	return svc.Run()
}

// serviceProgram adapts the agent to service.Interface.
type serviceProgram struct {
	run    func()
	cancel context.CancelFunc
	done   chan struct{}
}

func (p *serviceProgram) Start(service.Service) error {
	go p.run()
	return nil
}

func (p *serviceProgram) Stop(service.Service) error {
	p.cancel()
	select {
	case <-p.done:
	case <-time.After(20 * time.Second):
	}
	return nil
}

// nullTime is t for JSON, or nil when it is zero.
func nullTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t
}
