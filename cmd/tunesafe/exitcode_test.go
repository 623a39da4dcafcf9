package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// tunesafe runs the command in-process and returns exit code and output.
func tunesafe(t *testing.T, env map[string]string, args ...string) (int, string, string) {
	t.Helper()
	for k, v := range env {
		t.Setenv(k, v)
	}
	var out, errb bytes.Buffer
	code := run(args, strings.NewReader(""), &out, &errb)
	return code, out.String(), errb.String()
}

func TestExitCodes(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{
		"XDG_CONFIG_HOME": filepath.Join(dir, "cfg"), "XDG_STATE_HOME": filepath.Join(dir, "state"),
		"TUNESAFE_PASSPHRASE": "", "TUNESAFE_VAULT": "",
	}
	music := filepath.Join(dir, "music")
	os.MkdirAll(music, 0o755)
	os.WriteFile(filepath.Join(music, "a.mp3"), []byte("ID3 not really"), 0o644)
	plain := filepath.Join(dir, "plain")
	enc := filepath.Join(dir, "enc")

	cases := []struct {
		name string
		env  map[string]string
		args []string
		want int
	}{
		{"usage", nil, []string{"backup", "--bogus"}, exitUsage},
		{"no vault configured", nil, []string{"snapshots"}, exitUsage},
		{"backup creates", nil, []string{"backup", "--vault", plain, music}, exitOK},
		{"no vault", nil, []string{"snapshots", "--vault", filepath.Join(dir, "missing")}, exitNoVault},
		{"init encrypted", map[string]string{"TUNESAFE_PASSPHRASE": "long enough pass"}, []string{"init", enc, "--encrypt", "--kdf-work", "10", "--no-default"}, exitOK},
		{"wrong passphrase", map[string]string{"TUNESAFE_PASSPHRASE": "nope"}, []string{"snapshots", "--vault", enc}, exitPassphrase},
		{"no passphrase", map[string]string{"TUNESAFE_PASSPHRASE": ""}, []string{"snapshots", "--vault", enc}, exitPassphrase},
		{"right passphrase", map[string]string{"TUNESAFE_PASSPHRASE": "long enough pass"}, []string{"snapshots", "--vault", enc}, exitOK},
	}
	for _, c := range cases {
		merged := map[string]string{}
		for k, v := range env {
			merged[k] = v
		}
		for k, v := range c.env {
			merged[k] = v
		}
		code, _, stderr := tunesafe(t, merged, c.args...)
		if code != c.want {
			t.Errorf("%s: exit %d, want %d; stderr:\n%s", c.name, code, c.want, stderr)
		}
		if code != exitOK && code != exitWarnings && !strings.HasPrefix(stderr, "tunesafe: error: ") {
			t.Errorf("%s: stderr does not start with the error line: %q", c.name, stderr)
		}
	}

	if err := syscall.Mkfifo(filepath.Join(music, "fifo"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := tunesafe(t, env, "backup", "--vault", plain, music)
	if code != exitWarnings || !strings.Contains(stderr, "completed with 1 warnings") {
		t.Errorf("special file: exit %d, want %d; stderr:\n%s", code, exitWarnings, stderr)
	}
}
