package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/tunesafe/tunesafe/internal/agent"
	"github.com/tunesafe/tunesafe/internal/auditlog"
)

// integrityEnv is a computer with music, a folder vault and a config file
// for the agent, whose clock the test sets.
type integrityEnv struct {
	t      *testing.T
	dir    string
	config string
}

func newIntegrityEnv(t *testing.T, verify *verifyConfig) *integrityEnv {
	t.Helper()
	dir := t.TempDir()
	t.Setenv("TUNESAFE_VAULT", "")
	t.Setenv("TUNESAFE_PASSPHRASE", "")
	music := filepath.Join(dir, "music")
	if err := os.MkdirAll(music, 0o700); err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string]string{"a.mp3": "first track", "b.flac": "second track"} {
		if err := os.WriteFile(filepath.Join(music, name), []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	e := &integrityEnv{t: t, dir: dir, config: filepath.Join(dir, "config.json")}
	e.setVerify(verify)
	return e
}

func (e *integrityEnv) setVerify(v *verifyConfig) {
	e.t.Helper()
	cfg, _ := json.Marshal(fileConfig{Vault: filepath.Join(e.dir, "vault"), Paths: []string{filepath.Join(e.dir, "music")}, Windows: []string{"always"}, Verify: v})
	if err := os.WriteFile(e.config, cfg, 0o600); err != nil {
		e.t.Fatal(err)
	}
}

// run runs tunesafe at time now and returns its output and error.
func (e *integrityEnv) run(now time.Time, args ...string) (stdout, stderr string, err error) {
	var out, errOut bytes.Buffer
	a := newApp(nil, &out, &errOut)
	a.now = func() time.Time { return now }
	root := a.rootCommand()
	root.SetArgs(append(args, "--config", e.config, "--cache", filepath.Join(e.dir, "state", "cache.db")))
	err = root.ExecuteContext(context.Background())
	return out.String(), errOut.String(), err
}

func (e *integrityEnv) agentStatus() agent.Status {
	e.t.Helper()
	st, err := agent.ReadStatusFile(filepath.Join(e.dir, "state", "agent-status.json"))
	if err != nil {
		e.t.Fatal(err)
	}
	return st
}

// TestAgentChecksIntegrity: the agent verifies the vault after a pass when
// the last check is older than "every", finds what the provider lost, and
// tells 'tunesafe status'.
func TestAgentChecksIntegrity(t *testing.T) {
	e := newIntegrityEnv(t, &verifyConfig{Every: "2d"})
	t0 := time.Now()

	if _, stderr, err := e.run(t0, "init", "--no-encrypt", filepath.Join(e.dir, "vault")); err != nil {
		t.Fatalf("init: %v\n%s", err, stderr)
	}
	if _, stderr, err := e.run(t0, "backup"); err != nil {
		t.Fatalf("backup: %v\n%s", err, stderr)
	}
	// The first pass: a check was never made, so one runs.
	_, stderr, err := e.run(t0, "agent", "--once")
	if err != nil {
		t.Fatalf("first pass: %v\n%s", err, stderr)
	}
	if !strings.Contains(stderr, `msg="integrity checked" mode=quick`) {
		t.Fatalf("the first pass did not check:\n%s", stderr)
	}
	st := e.agentStatus()
	if i := st.Integrity; i == nil || i.Objects == 0 || i.Problems != 0 || !i.Time.Equal(t0.UTC()) {
		t.Fatalf("status integrity %+v", st.Integrity)
	}

	// A day later: not due.
	_, stderr, err = e.run(t0.Add(24*time.Hour), "agent", "--once")
	if err != nil || strings.Contains(stderr, "integrity checked") {
		t.Fatalf("a check ran a day after the last (every 2d): %v\n%s", err, stderr)
	}

	// The provider loses a blob; three days on, the check finds it.
	var blob string
	filepath.WalkDir(filepath.Join(e.dir, "vault", "blobs"), func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && blob == "" {
			blob = p
		}
		return nil
	})
	if blob == "" {
		t.Fatal("no blob in the vault")
	}
	if err := os.Remove(blob); err != nil {
		t.Fatal(err)
	}
	t3 := t0.Add(3 * 24 * time.Hour)
	_, stderr, err = e.run(t3, "agent", "--once")
	if exitCode(err) != exitWarnings {
		t.Fatalf("a pass whose check found a lost blob: exit %d (%v), want %d\n%s", exitCode(err), err, exitWarnings, stderr)
	}
	if !strings.Contains(stderr, "integrity check: 1 object lost, corrupted or tampered with: run 'tunesafe audit'") {
		t.Fatalf("no warning of the lost blob:\n%s", stderr)
	}
	if i := e.agentStatus().Integrity; i == nil || i.Problems != 1 || !i.Time.Equal(t3.UTC()) {
		t.Fatalf("status integrity %+v", i)
	}
	stdout, _, err := e.run(t3, "status")
	if err != nil || !regexpMatch(`(?m)^integrity: +1 object lost, corrupted or tampered with \(\d+ objects checked .*\(quick\)\): run 'tunesafe audit'$`, stdout) {
		t.Fatalf("status: %v\n%s", err, stdout)
	}

	// A verify by hand counts as a check: the agent does not repeat it.
	t5 := t0.Add(5 * 24 * time.Hour)
	if _, _, err := e.run(t5, "verify"); exitCode(err) != exitIntegrity {
		t.Fatalf("verify: exit %d (%v), want %d", exitCode(err), err, exitIntegrity)
	}
	// While an agent runs, status reads its status file, which still has
	// the agent's own check; the one by hand is newer and is shown.
	running := e.agentStatus()
	if running.CacheKey == "" {
		t.Fatal("the agent's status names no cache key")
	}
	running.PID, running.State, running.Updated = os.Getpid(), agent.StateWaiting, t5
	if err := agent.WriteStatusFile(filepath.Join(e.dir, "state", "agent-status.json"), running); err != nil {
		t.Fatal(err)
	}
	stdout, _, err = e.run(t5, "status", "--json")
	var shown statusReport
	if err != nil || json.Unmarshal([]byte(stdout), &shown) != nil || !shown.Agent.Running ||
		shown.Integrity == nil || !shown.Integrity.Time.Equal(t5.UTC()) {
		t.Fatalf("status while the agent runs, after a verify by hand: %v\n%s", err, stdout)
	}
	running.State = agent.StateStopped
	if err := agent.WriteStatusFile(filepath.Join(e.dir, "state", "agent-status.json"), running); err != nil {
		t.Fatal(err)
	}
	_, stderr, _ = e.run(t5.Add(time.Hour), "agent", "--once")
	if strings.Contains(stderr, "integrity checked") {
		t.Fatalf("the agent checked an hour after a verify by hand:\n%s", stderr)
	}

	// Off: never again.
	e.setVerify(&verifyConfig{Every: "off"})
	_, stderr, _ = e.run(t0.Add(30*24*time.Hour), "agent", "--once")
	if strings.Contains(stderr, "integrity checked") {
		t.Fatalf("a check ran with \"every\": \"off\":\n%s", stderr)
	}
	stdout, _, _ = e.run(t0.Add(30*24*time.Hour), "status", "--json")
	var r statusReport
	if err := json.Unmarshal([]byte(stdout), &r); err != nil || r.VerifyEverySeconds != 0 || r.Integrity == nil {
		t.Fatalf("status --json: %v\n%s", err, stdout)
	}
}

// TestAgentIntegrityConfig: the default is a quick check weekly; a bad
// "verify" is a usage error at start, before any pass.
func TestAgentIntegrityConfig(t *testing.T) {
	for _, c := range []struct {
		cfg  *verifyConfig
		want integrityPlan
	}{
		{nil, integrityPlan{every: 7 * day}},
		{&verifyConfig{}, integrityPlan{every: 7 * day}},
		{&verifyConfig{Every: "36h", Sample: "2%"}, integrityPlan{every: 36 * time.Hour, sample: 0.02}},
		{&verifyConfig{Every: "2w"}, integrityPlan{every: 14 * day}},
		{&verifyConfig{Every: "off", Sample: "5%"}, integrityPlan{sample: 0.05}},
	} {
		got, err := c.cfg.plan("config.json")
		if err != nil || got != c.want {
			t.Errorf("%+v: plan %+v, %v; want %+v", c.cfg, got, err, c.want)
		}
	}
	for _, bad := range []verifyConfig{{Every: "5m"}, {Every: "weekly"}, {Sample: "0%"}, {Sample: "150%"}, {Every: "-1d"}} {
		e := newIntegrityEnv(t, &bad)
		_, _, err := e.run(time.Now(), "agent", "--once")
		if exitCode(err) != exitUsage || !strings.Contains(err.Error(), `"verify"`) {
			t.Errorf("%+v: %v (exit %d), want a usage error naming \"verify\"", bad, err, exitCode(err))
		}
		if _, err := os.Stat(filepath.Join(e.dir, "vault")); !os.IsNotExist(err) {
			t.Errorf("%+v: a pass ran", bad)
		}
	}
}

// exitCode is the exit code tunesafe gives err (0 for nil).
func exitCode(err error) int {
	if err == nil {
		return 0
	}
	code, _, _ := classify(err)
	return code
}

func regexpMatch(pattern, s string) bool { return regexp.MustCompile(pattern).MatchString(s) }

// The verify summary says how many objects each way compared: it never
// calls a size comparison a checksum, nor a check on S3 "sizes only".
func TestCheckedSummary(t *testing.T) {
	for _, tc := range []struct {
		rep  auditlog.Report
		want string
	}{
		{auditlog.Report{Objects: 67, Hashed: 49, SizeOnly: 18}, "49 by the provider's checksums; 18 by size only; nothing downloaded"},
		{auditlog.Report{Objects: 12, SizeOnly: 12}, "12 by size only; nothing downloaded"},
		{auditlog.Report{Objects: 5, Hashed: 5}, "5 by the provider's checksums; nothing downloaded"},
		{auditlog.Report{Objects: 5, Hashed: 5, Downloaded: 2, Bytes: 2048, SizeOnly: 0}, "2 downloaded and hashed, 2.0 KiB; 3 by the provider's checksums"},
	} {
		if got := checkedSummary(tc.rep); got != tc.want {
			t.Errorf("%+v: %q, want %q", tc.rep, got, tc.want)
		}
	}
}
