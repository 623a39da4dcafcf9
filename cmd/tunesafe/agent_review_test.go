package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tunesafe/tunesafe/internal/agent"
	"github.com/tunesafe/tunesafe/internal/store"
)

// reviewEnv is a computer with a config file, a cache and a music folder
// of two files, run in-process.
type reviewEnv struct {
	t      *testing.T
	dir    string
	home   string
	music  string
	config string
}

func newReviewEnv(t *testing.T) *reviewEnv {
	t.Helper()
	dir := t.TempDir()
	e := &reviewEnv{t: t, dir: dir, home: filepath.Join(dir, "home"), config: filepath.Join(dir, "config.json")}
	e.music = filepath.Join(e.home, "music")
	if err := os.MkdirAll(e.music, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, size := range map[string]int{"a.flac": 3000, "b.flac": 5000} {
		if err := os.WriteFile(filepath.Join(e.music, name), make([]byte, size), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("HOME", e.home)
	t.Setenv("TUNESAFE_VAULT", "")
	t.Setenv("TUNESAFE_PASSPHRASE", "")
	return e
}

// writeConfig writes the config file from a JSON text.
func (e *reviewEnv) writeConfig(text string) {
	e.t.Helper()
	if err := os.WriteFile(e.config, []byte(text), 0o600); err != nil {
		e.t.Fatal(err)
	}
}

func (e *reviewEnv) run(args ...string) (code int, stdout, stderr string) {
	e.t.Helper()
	args = append(args, "--config", e.config, "--cache", filepath.Join(e.dir, "state", "cache.db"))
	return tunesafe(e.t, nil, args...)
}

func (e *reviewEnv) statusFile() string { return filepath.Join(e.dir, "state", "agent-status.json") }

func (e *reviewEnv) writeStatus(st agent.Status) {
	e.t.Helper()
	if err := agent.WriteStatusFile(e.statusFile(), st); err != nil {
		e.t.Fatal(err)
	}
}

// "~" in the config file's paths is the home folder; a relative path is
// refused, naming the file; estimate takes the configured paths.
func TestConfigPathsTildeAndRelative(t *testing.T) {
	e := newReviewEnv(t)
	vault := filepath.Join(e.dir, "vault")
	e.writeConfig(`{"vault": "` + vault + `", "paths": ["~/music"]}`)
	code, out, errOut := e.run("estimate", "--uplink", "36kB/s", "--json")
	var rep estimateReport
	if code != 0 || json.Unmarshal([]byte(out), &rep) != nil || rep.Files != 2 || rep.Bytes != 8000 {
		t.Fatalf("estimate of the configured paths: exit %d\n%s%s", code, out, errOut)
	}
	if code, out, errOut := e.run("init", "--no-encrypt", vault); code != 0 {
		t.Fatalf("init: exit %d\n%s%s", code, out, errOut)
	}
	if code, out, errOut := e.run("backup", "--no-progress"); code != 0 {
		t.Fatalf("backup of ~/music: exit %d\n%s%s", code, out, errOut)
	}
	e.writeConfig(`{"vault": "` + vault + `", "paths": ["music"]}`)
	for _, args := range [][]string{{"estimate", "--uplink", "36kB/s"}, {"backup", "--no-progress"}, {"agent", "--once"}} {
		code, _, errOut := e.run(args...)
		if code != exitUsage || !strings.Contains(errOut, "config file "+e.config+`: "paths": "music" is a relative path`) || !strings.Contains(errOut, "tunesafe: hint: write absolute paths") {
			t.Errorf("%s with a relative path: exit %d\n%s", args[0], code, errOut)
		}
	}
	e.writeConfig(`{"vault": "` + vault + `"}`)
	if code, _, errOut := e.run("estimate", "--uplink", "36kB/s"); code != exitUsage || !strings.Contains(errOut, "no paths given and none configured") {
		t.Errorf("estimate without paths: exit %d\n%s", code, errOut)
	}
}

// Rates take "/s" as estimate's --uplink does; a bad limit in the config
// file is reported as the config file's.
func TestLimitUploadRates(t *testing.T) {
	e := newReviewEnv(t)
	e.writeConfig(`{}`)
	for _, rate := range []string{"36kB/s", "36KiB/s", "2Mbit/s", "Mon-Fri 08:00 256KiB/s; 23:00 off"} {
		if code, _, errOut := e.run("version", "--limit-upload", rate); code != 0 {
			t.Errorf("--limit-upload %q: exit %d\n%s", rate, code, errOut)
		}
	}
	e.writeConfig(`{"limit_upload": "fast"}`)
	code, _, errOut := e.run("version")
	if code != exitUsage || !strings.Contains(errOut, "config file "+e.config+`: "limit_upload": `) || strings.Contains(errOut, "--limit-upload") {
		t.Fatalf("bad limit_upload: exit %d\n%s", code, errOut)
	}
}

// A change of the configured limit reaches the limiter the stores already
// use; a bad one changes nothing.
func TestApplyLimitsFollowsTheConfig(t *testing.T) {
	a := newApp(nil, &strings.Builder{}, &strings.Builder{})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	l := &limits{ctx: ctx}
	if err := a.applyLimits(l, &fileConfig{LimitUpload: "50KB"}); err != nil {
		t.Fatal(err)
	}
	up := l.up
	if up.Rate() != 50_000 {
		t.Fatalf("rate %d", up.Rate())
	}
	if err := a.applyLimits(l, &fileConfig{LimitUpload: "5MB/s"}); err != nil || l.up != up || up.Rate() != 5_000_000 {
		t.Fatalf("after the edit: %v, same limiter %v, rate %d", err, l.up == up, up.Rate())
	}
	if err := a.applyLimits(l, &fileConfig{LimitUpload: "fast"}); err == nil || up.Rate() != 5_000_000 {
		t.Fatalf("a bad edit: %v, rate %d", err, up.Rate())
	}
	if err := a.applyLimits(l, &fileConfig{}); err != nil || up.Rate() != 0 {
		t.Fatalf("limit removed: %v, rate %d", err, up.Rate())
	}
}

// status --vault X shows the agent's status only when X is the agent's
// vault, and names the vault.
func TestStatusOfAnotherVault(t *testing.T) {
	e := newReviewEnv(t)
	mine, other := filepath.Join(e.dir, "mine"), filepath.Join(e.dir, "other")
	e.writeConfig(`{"vault": "` + mine + `", "paths": ["` + e.music + `"]}`)
	for _, v := range []string{mine, other} {
		if code, out, errOut := e.run("init", "--no-encrypt", v); code != 0 {
			t.Fatalf("init: exit %d\n%s%s", code, out, errOut)
		}
	}
	e.writeConfig(`{"vault": "` + mine + `", "paths": ["` + e.music + `"]}`) // init made the last its default
	e.writeStatus(agent.Status{Version: agent.StatusVersion, PID: os.Getpid(), State: agent.StateWaiting, Updated: time.Now(),
		Vault: mine, Windows: "always", Protected: &agent.Snapshot{ID: "0123456789abcdef", Files: 99}, Rate: 1000})

	code, out, errOut := e.run("status", "--json")
	var r statusReport
	if code != 0 || json.Unmarshal([]byte(out), &r) != nil || r.Source != "agent" || r.Vault != mine || r.Protected == nil || r.Protected.Files != 99 {
		t.Fatalf("status of the agent's vault: exit %d\n%s%s", code, out, errOut)
	}
	code, out, errOut = e.run("status", "--vault", other)
	if code != 0 || !strings.Contains(out, "vault:         "+other+"\n") || !strings.Contains(out, "for another vault, "+mine) ||
		!strings.Contains(out, "protected:     nothing yet") || strings.Contains(out, "99 files") || strings.Contains(out, "1000 B/s") {
		t.Fatalf("status of another vault: exit %d\n%s%s", code, out, errOut)
	}
	if code, out, errOut := e.run("status", "--vault", filepath.Join(e.dir, "nonexist")); code != exitNoVault {
		t.Fatalf("status of no vault: exit %d\n%s%s", code, out, errOut)
	}
}

// When the storage does not answer, status shows what this computer knows
// first, then says the vault could not be reached, within seconds.
func TestStatusUnreachableVault(t *testing.T) {
	e := newReviewEnv(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() { // accept, and never answer
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			defer c.Close()
		}
	}()
	for k, v := range map[string]string{"AWS_ACCESS_KEY_ID": "k", "AWS_SECRET_ACCESS_KEY": "s", "AWS_REGION": "us-east-1", "AWS_PROFILE": "",
		"AWS_SHARED_CREDENTIALS_FILE": filepath.Join(e.dir, "none"), "AWS_CONFIG_FILE": filepath.Join(e.dir, "none")} {
		t.Setenv(k, v)
	}
	loc := "s3://bucket/music"
	e.writeConfig(`{"vault": "` + loc + `", "endpoint": "http://` + ln.Addr().String() + `"}`)
	last := time.Date(2026, 11, 24, 3, 0, 0, 0, time.Local)
	e.writeStatus(agent.Status{Version: agent.StatusVersion, PID: 0, State: agent.StateStopped, Updated: last, LastSuccess: last,
		LastError: &agent.ErrorStatus{Time: last, Message: "disk full", Class: agent.ClassPermanent}, Rate: 36_000})
	code, out, errOut := e.run("status", "--retry-for", "10m")
	if code != exitUnreachable || !strings.Contains(errOut, "did not answer within 5s") {
		t.Fatalf("exit %d, want %d\n%s%s", code, exitUnreachable, out, errOut)
	}
	for _, want := range []string{"agent:         not running (last seen ", "vault:         " + loc, "last success:  2026-11-24 03:00",
		"last error:    2026-11-24 03:00 (permanent): disk full", "rate:          35.2 KiB/s"} {
		if !strings.Contains(out, want) {
			t.Errorf("status lacks %q:\n%s", want, out)
		}
	}
}

// After a kill -9, status says the agent stopped during a pass; a damaged
// snapshot does not stop status (nor the agent, which lists the same way).
func TestStatusAfterKillAndDamagedSnapshot(t *testing.T) {
	e := newReviewEnv(t)
	vault := filepath.Join(e.dir, "vault")
	e.writeConfig(`{"vault": "` + vault + `", "paths": ["` + e.music + `"]}`)
	if code, out, errOut := e.run("init", "--no-encrypt", vault); code != 0 {
		t.Fatalf("init: exit %d\n%s%s", code, out, errOut)
	}
	if code, out, errOut := e.run("backup", "--no-progress"); code != 0 {
		t.Fatalf("backup: exit %d\n%s%s", code, out, errOut)
	}
	bad := filepath.Join(vault, "snapshots", strings.Repeat("ab", 32))
	if err := os.WriteFile(bad, []byte("not a snapshot"), 0o600); err != nil {
		t.Fatal(err)
	}
	dead := 1<<31 - 2 // no process has it
	e.writeStatus(agent.Status{Version: agent.StatusVersion, PID: dead, State: agent.StateRunning, Updated: time.Now(), Vault: vault,
		Pass: &agent.PassStatus{Started: time.Now()}, Remaining: &agent.Remaining{Files: 1, Bytes: 10}})
	code, out, errOut := e.run("status")
	if code != 0 || !strings.Contains(out, "stopped during a pass") || !strings.Contains(out, "protected:     2 files") {
		t.Fatalf("status: exit %d\n%s%s", code, out, errOut)
	}
	if !strings.Contains(errOut, "snapshot abababababab cannot be read") {
		t.Fatalf("no warning of the damaged snapshot:\n%s", errOut)
	}
}

// An unchanged library costs no snapshot with --skip-if-unchanged, and the
// agent passes it.
func TestSkipIfUnchanged(t *testing.T) {
	e := newReviewEnv(t)
	vault := filepath.Join(e.dir, "vault")
	e.writeConfig(`{"vault": "` + vault + `", "paths": ["` + e.music + `"]}`)
	if code, out, errOut := e.run("init", "--no-encrypt", vault); code != 0 {
		t.Fatalf("init: exit %d\n%s%s", code, out, errOut)
	}
	if code, out, errOut := e.run("backup", "--no-progress"); code != 0 {
		t.Fatalf("backup: exit %d\n%s%s", code, out, errOut)
	}
	code, out, errOut := e.run("backup", "--no-progress", "--skip-if-unchanged")
	if code != 0 || !strings.Contains(out, "nothing changed; no new snapshot") {
		t.Fatalf("backup --skip-if-unchanged: exit %d\n%s%s", code, out, errOut)
	}
	code, out, errOut = e.run("agent", "--once")
	if code != 0 || !strings.Contains(out, "nothing changed; no new snapshot") {
		t.Fatalf("agent --once: exit %d\n%s%s", code, out, errOut)
	}
	des, err := os.ReadDir(filepath.Join(vault, "snapshots"))
	if err != nil || len(des) != 1 {
		t.Fatalf("%d snapshots, %v; want 1", len(des), err)
	}
}

// 'agent --once' reports a failure once; the agent's hint for a transient
// failure does not ask to run a command again.
func TestAgentFailureReports(t *testing.T) {
	e := newReviewEnv(t)
	e.writeConfig(`{"vault": "` + filepath.Join(e.dir, "nothing-here") + `", "paths": ["` + e.music + `"]}`)
	code, _, errOut := e.run("agent", "--once")
	if code != exitNoVault || strings.Count(errOut, "no vault") != 1 || strings.Contains(errOut, "next window") {
		t.Fatalf("agent --once: exit %d\n%s", code, errOut)
	}
	hint := agentHint(store.Transient(store.KindUnreachable, errors.New("connection refused")))
	if strings.Contains(hint, "again later") || !strings.Contains(hint, "tries again by itself") {
		t.Fatalf("hint %q", hint)
	}
}

// Uninstalling where no user service exists says uninstall.
func TestAgentUninstallSaysUninstall(t *testing.T) {
	sc := agentServiceConfig("linux", "", nil, nil, "", t.TempDir())
	_, _, err := newUserService(sc, t.TempDir(), "uninstall")
	if err == nil {
		t.Skip("this system has user services: nothing to refuse")
	}
	code, msg, hint := classify(err)
	if code != exitFailure || strings.Contains(msg+hint, "install the agent") && !strings.Contains(msg, "uninstall") || strings.Contains(msg, "cannot install") {
		t.Fatalf("exit %d: %s; hint %s", code, msg, hint)
	}
}

// While the storage does not answer, status says since when and what is
// retried (review F9); the store chain's retry policy tells the pass.
func TestStatusWhileStorageRetried(t *testing.T) {
	e := newReviewEnv(t)
	vault := filepath.Join(e.dir, "vault")
	e.writeConfig(`{"vault": "` + vault + `", "paths": ["` + e.music + `"]}`)
	if code, out, errOut := e.run("init", "--no-encrypt", vault); code != 0 {
		t.Fatalf("init: exit %d\n%s%s", code, out, errOut)
	}
	e.writeConfig(`{"vault": "` + vault + `", "paths": ["` + e.music + `"]}`)
	since := time.Now().Add(-3 * time.Minute)
	e.writeStatus(agent.Status{Version: agent.StatusVersion, PID: os.Getpid(), State: agent.StateRunning, Updated: time.Now(),
		Vault: vault, Windows: "always", WindowOpen: true,
		Pass: &agent.PassStatus{Started: since, Phase: "data", Retrying: &agent.Retrying{
			Since: since, Request: "put blobs/ab/ab12", Attempt: 6, Error: "dial tcp 10.0.0.1:443: connect: connection refused"}}})
	code, out, errOut := e.run("status")
	if code != 0 || !strings.Contains(out, "waiting:       the storage has not answered since "+stamp(since)+": retrying put blobs/ab/ab12 (attempt 6): dial tcp") {
		t.Fatalf("status while retrying: exit %d\n%s%s", code, out, errOut)
	}

	a := newApp(nil, io.Discard, io.Discard)
	var heard []string
	a.storage.Store(&storageWatch{
		retrying: func(request string, attempt int, err error) {
			heard = append(heard, fmt.Sprintf("%s %d", request, attempt))
		},
		recovered: func() { heard = append(heard, "recovered") },
	})
	p := a.retryPolicy()
	p.OnRetry("put", "blobs/ab/ab12", 2, errors.New("reset"))
	p.OnRecover("put", "blobs/ab/ab12", 2)
	if want := []string{"put blobs/ab/ab12 2", "recovered"}; !slices.Equal(heard, want) {
		t.Fatalf("the pass heard %q, want %q", heard, want)
	}
}
