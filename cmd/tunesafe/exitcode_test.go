package main

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tunesafe/tunesafe/internal/store"
	"github.com/tunesafe/tunesafe/internal/store/folder"
	"github.com/tunesafe/tunesafe/internal/vault"
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
		{"no such snapshot", nil, []string{"restore", "--vault", plain, "--snapshot", "zzz", "--to", filepath.Join(dir, "out")}, exitFailure},
		{"init an existing vault", nil, []string{"init", plain, "--no-encrypt", "--no-default"}, exitUsage},
		{"init a file", nil, []string{"init", filepath.Join(music, "a.mp3"), "--no-encrypt", "--no-default"}, exitUsage},
		{"bad bucket name", map[string]string{"AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "y"}, []string{"snapshots", "--vault", "s3://b/v"}, exitUsage},
		{"endpoint without scheme", map[string]string{"AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "y"}, []string{"snapshots", "--vault", "s3://bucket/v", "--endpoint", "127.0.0.1:1"}, exitUsage},
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
	if code != exitWarnings || !strings.Contains(stderr, "completed with 1 warning") {
		t.Errorf("special file: exit %d, want %d; stderr:\n%s", code, exitWarnings, stderr)
	}
}

// TestCommandLineExitCodes: every mistake on the command line or in the
// files it names exits 2 with a hint (cmdline_errors.txtar and
// passwd_sources.txtar check the messages).
func TestCommandLineExitCodes(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{
		"XDG_CONFIG_HOME": filepath.Join(dir, "cfg"), "XDG_STATE_HOME": filepath.Join(dir, "state"),
		"TUNESAFE_PASSPHRASE": "", "TUNESAFE_NEW_PASSPHRASE": "", "TUNESAFE_VAULT": "",
	}
	if haveTerminal() {
		t.Skip("passwd would ask on this terminal")
	}
	music := filepath.Join(dir, "music")
	os.MkdirAll(music, 0o755)
	os.WriteFile(filepath.Join(music, "a.mp3"), []byte("ID3 not really"), 0o644)
	plain, enc := filepath.Join(dir, "plain"), filepath.Join(dir, "enc")
	missing := filepath.Join(dir, "missing")
	if code, _, stderr := tunesafe(t, env, "backup", "--vault", plain, music); code != exitOK {
		t.Fatalf("backup: %d %s", code, stderr)
	}
	if code, _, stderr := tunesafe(t, map[string]string{"TUNESAFE_PASSPHRASE": "long enough pass"}, "init", enc, "--encrypt", "--kdf-work", "10", "--no-default"); code != exitOK {
		t.Fatalf("init: %d %s", code, stderr)
	}
	keys := keyFiles(t, enc)
	for _, c := range []struct {
		env  map[string]string
		args []string
	}{
		{nil, []string{"versoin"}},
		{nil, []string{"help", "versoin"}},
		{nil, []string{"prune", "extra"}},
		{nil, []string{"ls", "a", "b", "c", "d"}},
		{nil, []string{"estimate", "--uplink", "1MB"}},
		{nil, []string{"restore", "--workers", "x"}},
		{nil, []string{"restore", "--vault", plain, "--to", filepath.Join(dir, "out"), "--workers", "-1"}},
		{nil, []string{"forget", "--vault", plain, "--keep-last", "-1"}},
		{nil, []string{"backup", "--vault", plain, "--passphrase-file", missing, music}},
		{nil, []string{"verify", "--vault", plain, "--passphrase-file", missing}},
		{nil, []string{"snapshots", "--vault", plain, "--config", missing}},
		{nil, []string{"passwd", "--vault", enc, "--passphrase-file", missing}},
		{map[string]string{"TUNESAFE_PASSPHRASE": "long enough pass"}, []string{"passwd", "--vault", enc}},
		{map[string]string{"TUNESAFE_PASSPHRASE": "long enough pass", "TUNESAFE_NEW_PASSPHRASE": "long enough pass"}, []string{"passwd", "--vault", enc}},
		{map[string]string{"TUNESAFE_PASSPHRASE": "long enough pass", "TUNESAFE_NEW_PASSPHRASE": "short"}, []string{"passwd", "--vault", enc}},
		{map[string]string{"TUNESAFE_PASSPHRASE": "short"}, []string{"init", filepath.Join(dir, "enc2"), "--encrypt", "--no-default"}},
	} {
		merged := map[string]string{}
		for k, v := range env {
			merged[k] = v
		}
		for k, v := range c.env {
			merged[k] = v
		}
		code, stdout, stderr := tunesafe(t, merged, c.args...)
		lines := strings.Split(strings.TrimSuffix(stderr, "\n"), "\n")
		if code != exitUsage || stdout != "" || len(lines) != 2 ||
			!strings.HasPrefix(lines[0], "tunesafe: error: ") || !strings.HasPrefix(lines[1], "tunesafe: hint: ") {
			t.Errorf("%q: exit %d, want %d, with an error and a hint; stdout %q, stderr:\n%s", c.args, code, exitUsage, stdout, stderr)
		}
	}
	// The refused passwd runs changed nothing.
	if after := keyFiles(t, enc); after != keys {
		t.Errorf("key files %s, were %s", after, keys)
	}
}

// keyFiles names the key files of the vault in dir.
func keyFiles(t *testing.T, dir string) string {
	t.Helper()
	ents, err := os.ReadDir(filepath.Join(dir, "keys"))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	return strings.Join(names, " ")
}

// TestClassifyPermission: a folder that refuses this user is a failure
// (exit 1) with a hint about the folder, whatever hint the operation
// carried; the same kind of error from S3 is about credentials.
func TestClassifyPermission(t *testing.T) {
	denied := store.Permanent(store.KindAccessDenied, &folder.PermissionError{
		Err: &fs.PathError{Op: "open", Path: "/media/usb/vault/locks/x", Err: syscall.EACCES}})
	code, _, hint := classify(withHint(fmt.Errorf("audit: write lock: %w", denied), "an audit needs the vault to itself"))
	if code != exitFailure || !strings.Contains(hint, "permissions of the vault folder") {
		t.Errorf("permission denied on a folder: exit %d, hint %q", code, hint)
	}
	rofs := store.Permanent(store.KindAccessDenied, &folder.PermissionError{ReadOnlyDisk: true,
		Err: &fs.PathError{Op: "open", Path: "/media/usb/vault/x", Err: syscall.EROFS}})
	if code, _, hint := classify(rofs); code != exitFailure || !strings.Contains(hint, "mounted read-only") {
		t.Errorf("read-only disk: exit %d, hint %q", code, hint)
	}
	s3denied := store.Permanent(store.KindAccessDenied, errors.New("AccessDenied: Access Denied"))
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
	if code, _, hint := classify(s3denied); code != exitCredentials || !strings.Contains(hint, "AWS_ACCESS_KEY_ID=AKIDEXAMPLE") || !strings.Contains(hint, "s3:PutObject") {
		t.Errorf("S3 access denied: exit %d, hint %q", code, hint)
	}
}

// An ambiguous snapshot prefix is answered with the snapshots it could
// mean, newest first, the rest counted.
func TestAmbiguousPrefixHint(t *testing.T) {
	var matches []vault.SnapshotRef
	start := time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC)
	for i := range 6 {
		var id vault.ID
		id[0], id[1] = 0xab, byte(i)
		matches = append(matches, vault.SnapshotRef{ID: id, Snapshot: &vault.Snapshot{Time: start.Add(time.Duration(i) * time.Hour), Host: "studio"}})
	}
	code, msg, hint := classify(&vault.AmbiguousError{Prefix: "ab", Matches: matches})
	if code != exitFailure || !strings.Contains(msg, `snapshot prefix "ab" is ambiguous: 6 snapshots start with it`) {
		t.Fatalf("classify: %d %q", code, msg)
	}
	newest, oldestShown := short(matches[5].ID.String()), short(matches[2].ID.String())
	if !strings.Contains(hint, "it could be "+newest+" (") || !strings.Contains(hint, oldestShown) ||
		strings.Contains(hint, short(matches[1].ID.String())) || !strings.Contains(hint, "and 2 older") ||
		strings.Index(hint, newest) > strings.Index(hint, oldestShown) {
		t.Fatalf("hint: %s", hint)
	}
}
