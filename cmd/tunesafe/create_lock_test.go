package main

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/tunesafe/tunesafe/internal/vault"
)

// Creating a vault takes the new log's state for the process, as opening
// one does, and the location: a second process of this computer creating
// a vault at the same location at the same moment is refused before it
// writes anything (its vault would have another ID, so the log's state
// alone would not keep them apart), and one that opens the new vault
// meanwhile opens its log as a guest. Once the first is done, a vault
// created there since the second looked is not created over.
func TestVaultCreationOwnsTheLog(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(dir, "cfg"))
	t.Setenv("XDG_STATE_HOME", filepath.Join(dir, "state"))
	t.Setenv("TUNESAFE_PASSPHRASE", "")
	ctx := t.Context()
	loc := filepath.Join(dir, "vault")
	first, second := newApp(nil, io.Discard, io.Discard), newApp(nil, io.Discard, io.Discard)
	backend, err := first.openBackend(ctx, loc, true)
	if err != nil {
		t.Fatal(err)
	}
	chain := first.decorate(backend)
	key1, key2 := stateKey("id1", backend), stateKey("id2", backend)

	var v1, v2 *vault.Vault
	l1, own1, _, _, err := first.initOwnedLog(ctx, "id1", key1, chain, &v1, false)
	if err != nil {
		t.Fatal(err)
	}
	_, _, _, _, err = second.initOwnedLog(ctx, "id2", key2, chain, &v2, false)
	var be *busyError
	if !errors.As(err, &be) || be.pid != os.Getpid() {
		t.Fatalf("a second creation at the same location: %v, want a *busyError naming pid %d", err, os.Getpid())
	}
	if code, msg, hint := classify(err); code != exitFailure || msg != "another tunesafe process (pid "+strconv.Itoa(os.Getpid())+") on this computer is writing to this vault" || hint == "" {
		t.Errorf("classified as %d %q %q", code, msg, hint)
	}
	if _, err := os.Stat(second.vaultDir("id2")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the refused creation wrote its log keys: %v", err)
	}
	// A process that opens the new vault now is its log's guest.
	own, _, err := ownLog(second.logStateDir(key1))
	if err != nil || own.busy == nil {
		t.Fatalf("opening the log of a vault being created: busy = %v, %v; want a guest", own.busy, err)
	}
	own.release()

	if err := l1.Close(ctx); err != nil {
		t.Fatal(err)
	}
	own1.release()
	own, _, err = ownLog(second.logStateDir(key1))
	if err != nil || own.busy != nil {
		t.Fatalf("the log of a vault created by a process that is done: busy = %v, %v", own.busy, err)
	}
	own.release()

	// A vault there now: the second does not create one over it.
	if err := chain.Put(ctx, vault.ConfigKey, []byte("{}")); err != nil {
		t.Fatal(err)
	}
	_, _, _, _, err = second.initOwnedLog(ctx, "id2", key2, chain, &v2, false)
	if !errors.Is(err, vault.ErrExists) {
		t.Fatalf("creating over a vault created meanwhile: %v, want vault.ErrExists", err)
	}
	// Its ownership went with the refusal: the same again is refused for
	// the same reason, not as busy.
	_, _, _, _, err = second.initOwnedLog(ctx, "id2", key2, chain, &v2, false)
	if !errors.Is(err, vault.ErrExists) || errors.As(err, &be) {
		t.Fatalf("creating over a vault again: %v, want vault.ErrExists", err)
	}
}

// While a process that created a vault still writes its first objects, a
// backup into that vault by another process of this computer is refused:
// the log is the creator's.
func TestBackupWhileTheVaultIsBeingCreated(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(dir, "cfg"))
	t.Setenv("XDG_STATE_HOME", filepath.Join(dir, "state"))
	t.Setenv("TUNESAFE_PASSPHRASE", "")
	loc := filepath.Join(dir, "vault")
	music := filepath.Join(dir, "music")
	if err := os.MkdirAll(music, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(music, "a.mp3"), []byte("track"), 0o644); err != nil {
		t.Fatal(err)
	}
	creator := newApp(nil, io.Discard, io.Discard)
	s, err := creator.createVault(t.Context(), loc, false, 0)
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	code := run([]string{"backup", "--vault", loc, "--no-progress", music}, nil, io.Discard, &stderr)
	if code != exitFailure || !strings.Contains(stderr.String(), "is writing to this vault") {
		t.Fatalf("backup during the creation: exit %d, %s", code, stderr.String())
	}
	s.Close()
	stderr.Reset()
	if code := run([]string{"backup", "--vault", loc, "--no-progress", music}, nil, io.Discard, &stderr); code != exitOK {
		t.Fatalf("backup after the creation: exit %d, %s", code, stderr.String())
	}
}
