package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tunesafe/tunesafe/internal/agent"
)

func TestAgentServiceConfig(t *testing.T) {
	args := []string{"agent", "--config", "/home/u/.config/tunesafe/config.json"}
	env := map[string]string{"AWS_PROFILE": "music"}
	for _, c := range []struct {
		goos string
		want map[string]any
	}{
		{"linux", map[string]any{"UserService": true, "SystemdScript": systemdUserUnit}},
		{"darwin", map[string]any{"UserService": true, "RunAtLoad": true, "KeepAlive": true, "LogOutput": true, "LogDirectory": "/home/u/Library/Logs"}},
		{"windows", map[string]any{"StartType": "automatic", "DelayedAutoStart": true, "OnFailure": "restart", "OnFailureDelayDuration": "2m"}},
		{"freebsd", map[string]any{"UserService": true}},
	} {
		sc := agentServiceConfig(c.goos, "/usr/bin/tunesafe", args, env, "/home/u", "/home/u")
		if sc.Name != "tunesafe-agent" || sc.Executable != "/usr/bin/tunesafe" || !slices.Equal(sc.Arguments, args) || sc.EnvVars["AWS_PROFILE"] != "music" {
			t.Errorf("%s: config = %+v", c.goos, sc)
		}
		for k, v := range c.want {
			if sc.Option[k] != v {
				t.Errorf("%s: option %s = %v, want %v", c.goos, k, sc.Option[k], v)
			}
		}
		if len(sc.Option) != len(c.want) {
			t.Errorf("%s: options %v, want %v", c.goos, sc.Option, c.want)
		}
		if wd := sc.WorkingDirectory; (c.goos == "windows") != (wd == "") {
			t.Errorf("%s: working directory %q", c.goos, wd)
		}
	}
	// The user unit starts with the user's session, not with a system
	// target the user manager lacks, and stays out of the user's way.
	for _, line := range []string{"WantedBy=default.target", "Restart=on-failure", "IOSchedulingClass=idle", "{{range EnvVars}}"} {
		if !strings.Contains(systemdUserUnit, line) {
			t.Errorf("user unit lacks %q", line)
		}
	}
	if strings.Contains(systemdUserUnit, "multi-user.target") {
		t.Error("user unit wants multi-user.target")
	}
}

func TestServiceEnvLeavesSecretsOut(t *testing.T) {
	all := map[string]string{
		"AWS_PROFILE": "music", "AWS_REGION": "eu-central-1", "AWS_ENDPOINT_URL_S3": "https://s3.example",
		"AWS_ACCESS_KEY_ID": "AKIA", "AWS_SECRET_ACCESS_KEY": "secret", "AWS_SESSION_TOKEN": "tok",
		"TUNESAFE_PASSPHRASE": "pass", "HOME": "/home/u",
	}
	env := serviceEnv(func(k string) string { return all[k] })
	want := map[string]string{"AWS_PROFILE": "music", "AWS_REGION": "eu-central-1", "AWS_ENDPOINT_URL_S3": "https://s3.example"}
	if len(env) != len(want) {
		t.Fatalf("env = %v, want %v", env, want)
	}
	for k, v := range want {
		if env[k] != v {
			t.Errorf("env[%s] = %q, want %q", k, env[k], v)
		}
	}
}

// The service runs 'agent' with absolute paths and the flags given to
// 'agent install', whatever directory it starts in.
func TestAgentServiceArgs(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	t.Setenv("TUNESAFE_VAULT", "")
	a := newApp(nil, &bytes.Buffer{}, &bytes.Buffer{})
	root := a.rootCommand()
	install, _, err := root.Find([]string{"agent", "install"})
	if err != nil {
		t.Fatal(err)
	}
	flags := []string{"--vault", "v", "--passphrase-file", "pf", "--config", "c.json", "--cache", "state/cache.db",
		"--window", "23:00-07:00", "--window", "idle 10m", "--rescan", "30m", "-v", "--json"}
	if err := install.ParseFlags(flags); err != nil {
		t.Fatal(err)
	}
	args, err := a.agentServiceArgs(install.Flags())
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Join(args, " | ")
	want := strings.Join([]string{"agent", "--config", filepath.Join(dir, "c.json"), "--cache", filepath.Join(dir, "state/cache.db"),
		"--passphrase-file", filepath.Join(dir, "pf"), "--rescan=30m0s", "--vault", filepath.Join(dir, "v"), "--verbose=true",
		"--window", "23:00-07:00", "--window", "idle 10m"}, " | ")
	if got != want {
		t.Fatalf("service arguments\n got %s\nwant %s", got, want)
	}

	// An S3 vault from the environment is passed on as it is.
	t.Setenv("TUNESAFE_VAULT", "s3://bucket/music")
	b := newApp(nil, &bytes.Buffer{}, &bytes.Buffer{})
	install, _, _ = b.rootCommand().Find([]string{"agent", "install"})
	if err := install.ParseFlags(nil); err != nil {
		t.Fatal(err)
	}
	args, _ = b.agentServiceArgs(install.Flags())
	if i := slices.Index(args, "--vault"); i < 0 || args[i+1] != "s3://bucket/music" {
		t.Fatalf("service arguments %q", args)
	}
}

func TestUserServicePlatforms(t *testing.T) {
	if got := serviceFile("linux-systemd", "/home/u"); got != "/home/u/.config/systemd/user/tunesafe-agent.service" {
		t.Errorf("systemd file %s", got)
	}
	if got := serviceFile("darwin-launchd", "/Users/u"); got != "/Users/u/Library/LaunchAgents/tunesafe-agent.plist" {
		t.Errorf("launchd file %s", got)
	}
	for _, p := range []string{"unix-systemv", "linux-upstart", "linux-openrc"} {
		if slices.Contains(userServicePlatforms, p) {
			t.Errorf("%s would install a system service", p)
		}
	}
}

// The agent backs up in the foreground, writes its status, and 'status'
// reads it without opening the vault while the agent runs.
func TestAgentRunsAndStatusReadsIt(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("TUNESAFE_VAULT", "")
	t.Setenv("TUNESAFE_PASSPHRASE", "")
	music := filepath.Join(dir, "music")
	if err := os.MkdirAll(music, 0o755); err != nil {
		t.Fatal(err)
	}
	for i, size := range []int{1000, 200_000} {
		if err := os.WriteFile(filepath.Join(music, "track"+string(rune('a'+i))+".flac"), bytes.Repeat([]byte{byte(i)}, size), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	vaultDir := filepath.Join(dir, "vault")
	config := filepath.Join(dir, "config.json")
	cfg, _ := json.Marshal(fileConfig{Vault: vaultDir, Paths: []string{music}, Windows: []string{"always"}})
	if err := os.WriteFile(config, cfg, 0o600); err != nil {
		t.Fatal(err)
	}
	common := []string{"--config", config, "--cache", filepath.Join(dir, "state", "cache.db")}
	// The agent needs a vault: init makes it, a first backup fills it.
	if code := run(append([]string{"init", "--no-encrypt", vaultDir}, common...), nil, &bytes.Buffer{}, &bytes.Buffer{}); code != 0 {
		t.Fatalf("init exited %d", code)
	}
	if code := run(append([]string{"backup", "--no-progress"}, common...), nil, &bytes.Buffer{}, &bytes.Buffer{}); code != 0 {
		t.Fatalf("backup exited %d", code)
	}
	if err := os.WriteFile(filepath.Join(music, "trackc.flac"), bytes.Repeat([]byte{9}, 50_000), 0o644); err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var agentErr bytes.Buffer
	a := newApp(nil, &bytes.Buffer{}, &agentErr)
	root := a.rootCommand()
	root.SetArgs(append([]string{"agent", "--rescan", "1m"}, common...))
	done := make(chan error, 1)
	go func() { done <- root.ExecuteContext(ctx) }()

	statusFile := filepath.Join(dir, "state", "agent-status.json")
	var st agent.Status
	deadline := time.Now().Add(30 * time.Second)
	for st.LastSuccess.IsZero() || st.State != agent.StateWaiting {
		if time.Now().After(deadline) {
			t.Fatalf("the agent did not finish a pass; log:\n%s", agentErr.String())
		}
		time.Sleep(20 * time.Millisecond)
		st, _ = agent.ReadStatusFile(statusFile)
	}
	if st.PID != os.Getpid() || st.Protected == nil || st.Protected.Files != 3 || st.LastPass == nil || st.LastPass.FilesNew != 1 {
		t.Fatalf("agent status = %+v; protected %+v; last pass %+v", st, st.Protected, st.LastPass)
	}

	// A second agent on the same cache is refused.
	var errOut bytes.Buffer
	if code := run(append([]string{"agent", "--once"}, common...), nil, &bytes.Buffer{}, &errOut); code != exitFailure || !strings.Contains(errOut.String(), "already running") {
		t.Fatalf("second agent: exit %d, %s", code, errOut.String())
	}

	// 'status' reads the agent, not the vault.
	var out bytes.Buffer
	if code := run(append([]string{"status", "--json", "--vault", vaultDir}, common...), nil, &out, &errOut); code != 0 {
		t.Fatalf("status exited %d: %s", code, errOut.String())
	}
	var rep statusReport
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatal(err)
	}
	if !rep.Agent.Running || rep.Source != "agent" || rep.Protected == nil || rep.Protected.Files != 3 || rep.LastSuccess.IsZero() || rep.Windows != "always" || rep.Vault != vaultDir {
		t.Fatalf("status report = %s", out.String())
	}
	// Asked about another vault, status does not answer with the agent's.
	out.Reset()
	errOut.Reset()
	if code := run(append([]string{"status", "--json", "--vault", filepath.Join(dir, "nowhere")}, common...), nil, &out, &errOut); code != exitNoVault {
		t.Fatalf("status of a vault that does not exist exited %d: %s%s", code, out.String(), errOut.String())
	}
	out.Reset()
	if code := run(append([]string{"status"}, common...), nil, &out, &errOut); code != 0 {
		t.Fatalf("status exited %d: %s", code, errOut.String())
	}
	for _, want := range []string{"agent:         running (pid ", "waiting: next rescan of the library at ", "vault:         " + vaultDir + "\n", "protected:     3 files, 245 KiB",
		"remaining:     nothing\n", "next window:   open now (windows: always)", "next pass:     "} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("status lacks %q:\n%s", want, out.String())
		}
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("agent: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the agent did not stop")
	}
	st, err := agent.ReadStatusFile(statusFile)
	if err != nil || st.State != agent.StateStopped || st.Running() {
		t.Fatalf("status after stop = %+v, %v", st, err)
	}
	if !strings.Contains(agentErr.String(), "backup pass ended") {
		t.Errorf("agent log:\n%s", agentErr.String())
	}
}

// The worked example of the product brief: 23.4 GB at 36 kB/s.
func TestEstimateExample(t *testing.T) {
	dir := t.TempDir()
	f, err := os.Create(filepath.Join(dir, "library.bin"))
	if err != nil {
		t.Fatal(err)
	}
	// A sparse file: its size counts, its blocks are not written.
	if err := f.Truncate(23_400_000_000); err != nil {
		t.Skipf("no sparse file of 23.4 GB here: %v", err)
	}
	f.Close()
	var out, errOut bytes.Buffer
	if code := run([]string{"estimate", dir, "--uplink", "36kB/s", "--provider", "b2"}, nil, &out, &errOut); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	for _, want := range []string{"size:   23.4 GB (21.8 GiB)", "upload: 180.6 hours at 36.0 kB/s = 22.6 nights of 8 hours",
		"23400000000 B / 36000 B/s = 650000 s", "b2        $0.08"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}

func TestParseRate(t *testing.T) {
	for in, want := range map[string]int64{
		"36kB/s": 36_000, "36KB": 36_000, "36 kB/s": 36_000, "36KiB/s": 36_864, "2Mbit": 250_000,
		"2Mbit/s": 250_000, "2Mbps": 250_000, "1.5MB/s": 1_500_000, "36kBps": 36_000,
	} {
		if got, err := parseRate(in); err != nil || got != want {
			t.Errorf("parseRate(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "fast", "0", "0kB/s", "-3kB"} {
		if _, err := parseRate(bad); err == nil {
			t.Errorf("parseRate(%q) succeeded", bad)
		}
	}
}

func TestFormatHours(t *testing.T) {
	for d, want := range map[time.Duration]string{
		90 * time.Second:                   "2m",
		650000 * time.Second:               "180h33m",
		3 * time.Hour:                      "3h",
		3*time.Hour + 5*time.Minute + 29e9: "3h05m",
	} {
		if got := formatHours(d); got != want {
			t.Errorf("formatHours(%v) = %s, want %s", d, got, want)
		}
	}
}

// Outside its windows, 'agent --once' runs nothing and says when the next
// window opens.
func TestAgentOnceOutsideWindow(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("TUNESAFE_VAULT", "")
	config := filepath.Join(dir, "config.json")
	cfg, _ := json.Marshal(fileConfig{Vault: filepath.Join(dir, "vault"), Paths: []string{dir}, Windows: []string{"23:00-07:00"}})
	if err := os.WriteFile(config, cfg, 0o600); err != nil {
		t.Fatal(err)
	}
	noon := time.Date(2026, 3, 2, 12, 0, 0, 0, time.Local)
	for _, c := range []struct {
		flags []string
		want  string
	}{
		{nil, "no window is open: outside the windows 23:00-07:00; the next opens at 2026-03-02 23:00\n"},
		{[]string{"--window", "Sat-Sun"}, "no window is open: outside the windows Sat-Sun; the next opens at 2026-03-07 00:00\n"},
		{[]string{"--json"}, `"next_window": "2026-03-02T23:00:00`},
	} {
		var out, errOut bytes.Buffer
		a := newApp(nil, &out, &errOut)
		a.now = func() time.Time { return noon }
		root := a.rootCommand()
		root.SetArgs(append([]string{"agent", "--once", "--config", config, "--cache", filepath.Join(dir, "state", "cache.db")}, c.flags...))
		if err := root.ExecuteContext(context.Background()); err != nil {
			t.Fatalf("%v: %v", c.flags, err)
		}
		if !strings.Contains(out.String(), c.want) {
			t.Errorf("%v: output %q, want %q", c.flags, out.String(), c.want)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "vault")); !os.IsNotExist(err) {
		t.Errorf("the vault was touched: %v", err)
	}
}
