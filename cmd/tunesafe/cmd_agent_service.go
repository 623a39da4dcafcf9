package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"time"

	"github.com/kardianos/service"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// agentServiceName names the service on every platform: the systemd unit
// tunesafe-agent.service, the launchd agent tunesafe-agent.plist, the
// Windows service tunesafe-agent.
const agentServiceName = "tunesafe-agent"

// userServicePlatforms are the service managers (as kardianos/service
// names them) that run a service as the user who installs it. Elsewhere
// (System V init, upstart, OpenRC...) installing would write a system
// service as root, which is not what 'agent install' promises.
var userServicePlatforms = []string{"linux-systemd", "darwin-launchd", "windows-service"}

// systemdUserUnit is the unit of the agent under the systemd user manager.
// kardianos/service's own template says WantedBy=multi-user.target, a
// target the user manager does not have, so the agent would never start
// at login; default.target is the user's session.
const systemdUserUnit = `[Unit]
Description={{Description}}
ConditionFileIsExecutable={{Path | cmdEscape}}

[Service]
ExecStart={{Path | cmdEscape}}{{range Arguments}} {{. | cmd}}{{end}}
{{if WorkingDirectory}}WorkingDirectory={{WorkingDirectory | cmdEscape}}
{{end}}Restart=on-failure
RestartSec=120
Nice=10
IOSchedulingClass=idle
{{range EnvVars}}{{.}}
{{end}}
[Install]
WantedBy=default.target
`

// serviceEnvVars are the variables copied into the service's definition:
// where AWS configuration lives, never secrets. Keys and passphrases in the
// environment are not copied, since service definitions are plain files;
// the service reads them from ~/.aws/credentials (AWS_PROFILE) and
// --passphrase-file.
var serviceEnvVars = []string{
	"AWS_PROFILE", "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE",
	"AWS_CA_BUNDLE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3",
}

// secretEnvVars are the variables the service does not get.
var secretEnvVars = []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "TUNESAFE_PASSPHRASE"}

func (a *app) agentInstallCommand(o *agentOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "install",
		Short: "Install the agent as a service of this user, started at login",
		Long: `Install 'tunesafe agent' as a service of the current user: a systemd user
unit on Linux, a launchd agent on macOS, a service on Windows. The service
runs this program with the vault, config file, cache, passphrase file and
agent flags given to this command (for example --window, --rescan), and
AWS_PROFILE, AWS_REGION and the endpoint variables of this environment.

Access keys and passphrases in the environment are not copied into the
service definition: put the keys in ~/.aws/credentials and give the
passphrase with --passphrase-file.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.runAgentInstall(cmd, o)
		},
	}
}

func (a *app) agentUninstallCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "uninstall",
		Short: "Stop the agent's service and remove it",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.runAgentUninstall()
		},
	}
}

func (a *app) runAgentInstall(cmd *cobra.Command, o *agentOptions) error {
	// Check now what the agent would refuse at its start.
	if o.rescan < time.Minute {
		return usagef("", "--rescan %s: want at least 1m", o.rescan)
	}
	if _, err := a.vaultLocation(); err != nil {
		return err
	}
	cfg, err := a.loadConfig()
	if err != nil {
		return err
	}
	if _, err := agentWindows(cfg, o.windows); err != nil {
		return err
	}
	if _, err := a.backupSources(cfg); err != nil {
		return err
	}
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("find this program: %w", err)
	}
	if p, err := filepath.EvalSymlinks(exe); err == nil {
		exe = p
	}
	args, err := a.agentServiceArgs(cmd.Flags())
	if err != nil {
		return err
	}
	home, _ := os.UserHomeDir()
	wd, _ := os.Getwd()
	sc := agentServiceConfig(runtime.GOOS, exe, args, serviceEnv(os.Getenv), wd, home)
	svc, path, err := newUserService(sc, home, "install")
	if err != nil {
		return err
	}
	for _, k := range secretEnvVars {
		if os.Getenv(k) != "" && !(k == "TUNESAFE_PASSPHRASE" && a.passphraseFile != "") {
			fmt.Fprintf(a.stderr, "tunesafe: warning: $%s is not copied into the service; %s\n", k, secretAdvice(k))
		}
	}
	existed := fileExists(path)
	if err := svc.Install(); err != nil {
		// systemd writes the unit before enabling it: leave nothing
		// half-installed behind a failure.
		if path != "" && !existed {
			os.Remove(path)
		}
		return withHint(fmt.Errorf("install the agent as a %s service: %w", svc.Platform(), err), installHint(svc.Platform(), existed))
	}
	if err := svc.Start(); err != nil {
		return withHint(fmt.Errorf("the agent is installed (%s) but did not start: %w", or(path, agentServiceName), err),
			"it starts at your next login; see 'tunesafe agent uninstall' to remove it")
	}
	if a.json {
		return a.printJSON(map[string]any{"installed": agentServiceName, "platform": svc.Platform(), "file": path, "executable": exe, "arguments": args})
	}
	a.printf("installed and started the agent as %s (%s)\n", agentServiceName, svc.Platform())
	if path != "" {
		a.printf("service file: %s\n", path)
	}
	a.printf("it runs: %s %s\n", exe, shellJoin(args))
	a.printf("see what it does with 'tunesafe status'\n")
	return nil
}

func (a *app) runAgentUninstall() error {
	home, _ := os.UserHomeDir()
	sc := agentServiceConfig(runtime.GOOS, "", nil, nil, "", home)
	svc, path, err := newUserService(sc, home, "uninstall")
	if err != nil {
		return err
	}
	if path != "" && !fileExists(path) {
		return withHint(fmt.Errorf("the agent is not installed (no %s)", path), "nothing to do")
	}
	// A service that is not running cannot be stopped; that is fine.
	_ = svc.Stop()
	if err := svc.Uninstall(); err != nil {
		return withHint(fmt.Errorf("uninstall the agent's %s service: %w", svc.Platform(), err), installHint(svc.Platform(), false))
	}
	a.printf("stopped and removed the agent's service %s\n", agentServiceName)
	return nil
}

// agentServiceConfig describes the agent's service for goos: the program
// exe run with args, the environment env, in the directory wd, for the
// user whose home is home. It has no side effects, so tests can check it.
func agentServiceConfig(goos, exe string, args []string, env map[string]string, wd, home string) *service.Config {
	c := &service.Config{
		Name:             agentServiceName,
		DisplayName:      "Tunesafe agent",
		Description:      "Keeps a backup of your music library current in your vault (tunesafe agent)",
		Executable:       exe,
		Arguments:        args,
		EnvVars:          env,
		WorkingDirectory: wd,
		Option:           service.KeyValue{},
	}
	switch goos {
	case "linux":
		c.Option["UserService"] = true
		c.Option["SystemdScript"] = systemdUserUnit
	case "darwin":
		c.Option["UserService"] = true
		c.Option["RunAtLoad"] = true
		c.Option["KeepAlive"] = true
		c.Option["LogOutput"] = true
		c.Option["LogDirectory"] = filepath.Join(home, "Library", "Logs")
	case "windows":
		c.WorkingDirectory = ""
		c.Option["StartType"] = "automatic"
		c.Option["DelayedAutoStart"] = true
		c.Option["OnFailure"] = "restart"
		c.Option["OnFailureDelayDuration"] = "2m"
	default:
		c.Option["UserService"] = true
	}
	return c
}

// agentServiceArgs is the command line of the service: 'agent' with the
// config file and cache this command uses, as absolute paths (the service
// starts elsewhere, with another environment), and the flags given to
// this command.
func (a *app) agentServiceArgs(flags *pflag.FlagSet) ([]string, error) {
	config, err := filepath.Abs(a.configFile())
	if err != nil {
		return nil, err
	}
	cache, err := filepath.Abs(a.cacheFile())
	if err != nil {
		return nil, err
	}
	args := []string{"agent", "--config", config, "--cache", cache}
	if a.vaultFlag == "" {
		if v := os.Getenv("TUNESAFE_VAULT"); v != "" {
			args = append(args, "--vault", absLocation(v))
		}
	}
	var ferr error
	flags.Visit(func(f *pflag.Flag) {
		switch f.Name {
		case "config", "cache", "json", "help":
			return
		case "vault":
			args = append(args, "--vault", absLocation(f.Value.String()))
			return
		case "passphrase-file":
			p, err := filepath.Abs(f.Value.String())
			if err != nil {
				ferr = err
			}
			args = append(args, "--passphrase-file", p)
			return
		}
		if sv, ok := f.Value.(pflag.SliceValue); ok {
			for _, v := range sv.GetSlice() {
				args = append(args, "--"+f.Name, v)
			}
			return
		}
		args = append(args, "--"+f.Name+"="+f.Value.String())
	})
	return args, ferr
}

// absLocation makes a folder vault's path absolute; S3 locations stay.
func absLocation(loc string) string {
	if isS3(loc) {
		return loc
	}
	if p, err := filepath.Abs(loc); err == nil {
		return p
	}
	return loc
}

// serviceEnv returns the variables of serviceEnvVars that are set.
func serviceEnv(getenv func(string) string) map[string]string {
	env := map[string]string{}
	for _, k := range serviceEnvVars {
		if v := getenv(k); v != "" {
			env[k] = v
		}
	}
	return env
}

func secretAdvice(k string) string {
	if k == "TUNESAFE_PASSPHRASE" {
		return "give the passphrase with --passphrase-file FILE (readable only by you) for an encrypted vault"
	}
	return "the service reads credentials from ~/.aws/credentials (set AWS_PROFILE, or the [default] profile)"
}

// newUserService returns the agent's service and the file that defines it
// (for the managers whose files are known), refusing managers that cannot
// run it as this user. verb, "install" or "uninstall", says what the
// caller was asked to do.
func newUserService(sc *service.Config, home, verb string) (service.Service, string, error) {
	svc, err := service.New(&serviceProgram{}, sc)
	if err != nil {
		return nil, "", withHint(fmt.Errorf("agent service: %w", err), userServiceHint(verb))
	}
	platform := svc.Platform()
	if !slices.Contains(userServicePlatforms, platform) {
		return nil, "", withHint(fmt.Errorf("cannot %s the agent: this system's service manager (%s) has no services for a user", verb, platform), userServiceHint(verb))
	}
	return svc, serviceFile(platform, home), nil
}

// userServiceHint is the advice where no user service can be installed.
func userServiceHint(verb string) string {
	if verb == "uninstall" {
		return "nothing was installed as a service here; an agent run from your session's autostart or a crontab line is stopped by removing that line"
	}
	return "run 'tunesafe agent' from your session's autostart (or a @reboot crontab line) instead; it needs no service manager"
}

// serviceFile is where a user service manager keeps the agent's
// definition, or "" where it is not a file.
func serviceFile(platform, home string) string {
	switch platform {
	case "linux-systemd":
		return filepath.Join(home, ".config", "systemd", "user", agentServiceName+".service")
	case "darwin-launchd":
		return filepath.Join(home, "Library", "LaunchAgents", agentServiceName+".plist")
	}
	return ""
}

func installHint(platform string, existed bool) string {
	switch {
	case existed:
		return "the agent is installed already: 'tunesafe agent uninstall' first to change how it runs"
	case platform == "linux-systemd":
		return "'systemctl --user' needs your user session (log in, or 'loginctl enable-linger $USER' for a server); meanwhile 'tunesafe agent' runs in the foreground"
	case platform == "windows-service":
		return "installing a Windows service needs an administrator's command prompt"
	}
	return "meanwhile 'tunesafe agent' runs in the foreground"
}

func fileExists(p string) bool {
	if p == "" {
		return false
	}
	_, err := os.Stat(p)
	return !errors.Is(err, os.ErrNotExist)
}

// shellJoin quotes args for display.
func shellJoin(args []string) string {
	var out []byte
	for i, s := range args {
		if i > 0 {
			out = append(out, ' ')
		}
		if s != "" && !needsQuote(s) {
			out = append(out, s...)
			continue
		}
		out = append(out, '\'')
		for _, r := range s {
			if r == '\'' {
				out = append(out, `'\''`...)
			} else {
				out = append(out, string(r)...)
			}
		}
		out = append(out, '\'')
	}
	return string(out)
}

func needsQuote(s string) bool {
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
		case r == '-' || r == '_' || r == '.' || r == '/' || r == ':' || r == '=' || r == ',' || r == '@' || r == '+':
		default:
			return true
		}
	}
	return false
}
