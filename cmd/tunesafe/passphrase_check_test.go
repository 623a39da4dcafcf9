package main

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// A passphrase given to a backup on a computer that remembers the id-key
// is checked against the key files once a day: a wrong one fails (exit
// 11) before anything is stored, from $TUNESAFE_PASSPHRASE or
// --passphrase-file; the right one, or none, backs up.
func TestBackupChecksGivenPassphrase(t *testing.T) {
	e, vault := newEncryptedReviewEnv(t)
	// The setup's backup checked the passphrase now; say it was a day
	// and a minute ago.
	setPassphraseChecked(t, e, vault, time.Now().Add(-passphraseRecheck-time.Minute))
	if err := os.WriteFile(filepath.Join(e.music, "c.flac"), make([]byte, 4000), 0o644); err != nil {
		t.Fatal(err)
	}
	wrongFile := filepath.Join(e.dir, "wrong.txt")
	if err := os.WriteFile(wrongFile, []byte("correct horse battery staple\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	snapshots := count(t, filepath.Join(vault, "snapshots"))
	wrong := func(what, source string, code int, stderr string) {
		t.Helper()
		lines := errorLines(stderr)
		if code != exitPassphrase || len(lines) != 2 || !strings.Contains(lines[0], "the passphrase from "+source+": wrong passphrase") ||
			!strings.Contains(lines[1], "give none") {
			t.Errorf("%s: exit %d, want %d\n%s", what, code, exitPassphrase, stderr)
		}
	}
	t.Setenv("TUNESAFE_PASSPHRASE", "wrong horse battery")
	code, _, errOut := e.run("backup", "--no-progress")
	wrong("backup", "$TUNESAFE_PASSPHRASE", code, errOut)
	code, _, errOut = e.run("agent", "--once")
	wrong("agent --once", "$TUNESAFE_PASSPHRASE", code, errOut)
	t.Setenv("TUNESAFE_PASSPHRASE", "")
	code, _, errOut = e.run("backup", "--no-progress", "--passphrase-file", wrongFile)
	wrong("backup --passphrase-file", "--passphrase-file "+wrongFile, code, errOut)
	if n := count(t, filepath.Join(vault, "snapshots")); n != snapshots {
		t.Fatalf("a backup with a wrong passphrase stored %d snapshots", n-snapshots)
	}

	for _, pass := range []string{"", keysLostPass} {
		t.Setenv("TUNESAFE_PASSPHRASE", pass)
		if code, out, errOut := e.run("backup", "--no-progress"); code != 0 {
			t.Fatalf("backup with passphrase %q: exit %d\n%s%s", pass, code, out, errOut)
		}
	}
	if n := count(t, filepath.Join(vault, "snapshots")); n != snapshots+2 {
		t.Fatalf("%d snapshots stored, want 2", n-snapshots)
	}
	// The right one was checked just now: a re-run within the day does
	// not pay the key files' derivation again, and says nothing.
	if v := passphraseChecked(t, e, vault); time.Since(v) > time.Hour {
		t.Fatalf("the check of the right passphrase is not recorded: %v", v)
	}
}

// openReviewSession opens the vault of e as a command would.
func openReviewSession(t *testing.T, e *reviewEnv, vault string) *session {
	t.Helper()
	a := newApp(strings.NewReader(""), io.Discard, io.Discard)
	a.vaultFlag, a.configPath, a.statePath = vault, e.config, filepath.Join(e.dir, "state", "cache.db")
	s, err := a.openVault(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// setPassphraseChecked records in e's cache that a given passphrase was
// checked at when.
func setPassphraseChecked(t *testing.T, e *reviewEnv, vault string, when time.Time) {
	t.Helper()
	s := openReviewSession(t, e, vault)
	if err := s.cache.SetMeta(context.Background(), passphraseCheckedMeta, when.UTC().Format(time.RFC3339)); err != nil {
		t.Fatal(err)
	}
	s.Close()
}

// passphraseChecked reads when e's cache says a given passphrase was last
// checked.
func passphraseChecked(t *testing.T, e *reviewEnv, vault string) time.Time {
	t.Helper()
	s := openReviewSession(t, e, vault)
	v, err := s.cache.Meta(context.Background(), passphraseCheckedMeta)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	when, _ := time.Parse(time.RFC3339, v)
	return when
}

// The agent checks a passphrase given on its first pass, then again only
// when the one it is given changes, or a day later.
func TestAgentPassphraseCheckedDaily(t *testing.T) {
	e, vault := newEncryptedReviewEnv(t)
	a := newApp(strings.NewReader(""), io.Discard, io.Discard)
	a.vaultFlag, a.configPath, a.statePath = vault, e.config, filepath.Join(e.dir, "state", "cache.db")
	ctx := context.Background()
	var c passphraseCheck
	start := time.Now()
	// pass checks at now and reports whether the key files were opened.
	pass := func(now time.Time) (opened bool, err error) {
		t.Helper()
		s, err := a.openVault(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		err = c.check(ctx, a, s, now)
		return s.vault.Keys() != nil, err
	}

	if opened, err := pass(start); opened || err != nil {
		t.Fatalf("no passphrase given: opened %v, %v", opened, err)
	}
	t.Setenv("TUNESAFE_PASSPHRASE", keysLostPass)
	if opened, err := pass(start); !opened || err != nil {
		t.Fatalf("first pass with a passphrase: opened %v, %v", opened, err)
	}
	if opened, err := pass(start.Add(23 * time.Hour)); opened || err != nil {
		t.Fatalf("the same passphrase within a day: opened %v, %v", opened, err)
	}
	if opened, err := pass(start.Add(25 * time.Hour)); !opened || err != nil {
		t.Fatalf("the same passphrase a day later: opened %v, %v", opened, err)
	}
	t.Setenv("TUNESAFE_PASSPHRASE", "wrong horse battery")
	if _, err := pass(start.Add(26 * time.Hour)); err == nil || !strings.Contains(err.Error(), "wrong passphrase") {
		t.Fatalf("another passphrase within the day: %v, want wrong passphrase", err)
	}
	if _, err := pass(start.Add(27 * time.Hour)); err == nil {
		t.Fatal("a wrong passphrase is checked again at every pass until it is right")
	}
}
