package main

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/tunesafe/tunesafe/internal/auditlog"
	"github.com/tunesafe/tunesafe/internal/backup"
	"github.com/tunesafe/tunesafe/internal/locks"
	"github.com/tunesafe/tunesafe/internal/store"
	"github.com/tunesafe/tunesafe/internal/vault"
)

// PlainLogKey is where an unencrypted vault keeps its log signing key. An
// encrypted vault keeps it in its key files instead.
const plainLogKey = "keys/log-key"

func withDeleteReason(ctx context.Context, reason, command string) context.Context {
	return auditlog.WithReason(ctx, reason, command)
}

// vaultDir is this computer's config folder for one vault: it keeps the
// log keys, so that a provider cannot swap the verifier key. Every copy of
// the vault has the same keys: the folder is named by the vault ID alone
// (the log's state is per location: logStateDir).
func (a *app) vaultDir(id string) string {
	return filepath.Join(filepath.Dir(a.configFile()), "vaults", id)
}

// vaultCodec seals log entries like every other object of an encrypted
// vault. v is filled in once the vault exists (at init the log opens first).
type vaultCodec struct{ v **vault.Vault }

func (c vaultCodec) Seal(b []byte) ([]byte, error) { return (*c.v).Seal(b, true) }
func (c vaultCodec) Open(b []byte) ([]byte, error) {
	plain, err := (*c.v).Unseal(b, true)
	if errors.Is(err, vault.ErrNeedPassphrase) || errors.Is(err, vault.ErrWrongPassphrase) || errors.Is(err, vault.ErrNoKeyFile) {
		// The key files cannot be opened: the records are there, this
		// computer cannot read them (a lost key file is the audit's to
		// report, not damage to the log).
		return nil, auditlog.Locked(err)
	}
	return plain, err
}

func writePrivate(p, content string) error {
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		return err
	}
	tmp := p + ".tmp"
	if err := os.WriteFile(tmp, []byte(content+"\n"), 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, p)
}

func readTrimmed(p string) (string, error) {
	b, err := os.ReadFile(p)
	return strings.TrimSpace(string(b)), err
}

// initOwnedLog is initLog for a vault this process creates: it first takes
// the location and the new log's local state for this process
// (ownNewLog), until own.release, as openLog takes the log's state of a
// vault it opens. Another process of this computer creating a vault at
// the same location, or writing to the one it created, makes it fail with
// a *busyError, before anything is written; one that created a vault there
// since the caller looked makes it fail with vault.ErrExists.
func (a *app) initOwnedLog(ctx context.Context, id, key string, chain store.Store, vp **vault.Vault, encrypted bool) (l *auditlog.Log, own *logOwnership, skey, vkey string, err error) {
	own, err = a.ownNewLog(key)
	if err != nil {
		return nil, nil, "", "", err
	}
	_, err = chain.Stat(ctx, vault.ConfigKey)
	switch {
	case err == nil:
		own.release()
		return nil, nil, "", "", withHint(fmt.Errorf("another tunesafe process created a vault here meanwhile: %w", vault.ErrExists),
			"run the command again: it uses that vault")
	case !errors.Is(err, fs.ErrNotExist):
		own.release()
		return nil, nil, "", "", err
	}
	l, skey, vkey, err = a.initLog(ctx, id, key, chain, vp, encrypted)
	if err != nil {
		own.release()
		return nil, nil, "", "", err
	}
	return l, own, skey, vkey, nil
}

// initLog creates the log keys of a new vault and opens its log before
// anything is written, so that the vault's very first objects are logged.
// key is the vault's state key at its location (stateKey). It takes no
// ownership of the log's state: a vault's creation calls initOwnedLog.
func (a *app) initLog(ctx context.Context, id, key string, chain store.Store, vp **vault.Vault, encrypted bool) (*auditlog.Log, string, string, error) {
	skey, vkey, err := auditlog.GenerateKey(rand.Reader, id)
	if err != nil {
		return nil, "", "", err
	}
	dir := a.vaultDir(id)
	if err := writePrivate(filepath.Join(dir, "log.pub"), vkey); err != nil {
		return nil, "", "", err
	}
	if err := writePrivate(filepath.Join(dir, "log.key"), skey); err != nil {
		return nil, "", "", err
	}
	signer, verifier, err := auditlog.NewSigner(skey)
	if err != nil {
		return nil, "", "", err
	}
	opts := auditlog.Options{Store: chain, Signer: signer, Verifier: verifier, StateDir: a.logStateDir(key)}
	if encrypted {
		opts.Codec = vaultCodec{vp}
	}
	l, err := auditlog.Open(ctx, opts)
	if err != nil {
		return nil, "", "", err
	}
	return l, skey, vkey, nil
}

// openLog opens the log of an open vault. The verifier key this computer
// saw first is authoritative; the signing key comes from this computer, the
// vault's key file (encrypted vaults) or keys/log-key (plain vaults).
// Without a signing key, or with readOnly, the log is read-only. key is the vault's state key
// at the location chain stores in (stateKey): the checkpoint this computer
// verified there is kept under it.
//
// The log's local state is taken for this process (logowner.go) until
// own.release; when another process of this computer has it, the log is
// opened read-only on a copy, and own.busy is the error for every write.
func (a *app) openLog(ctx context.Context, v *vault.Vault, chain store.Store, key string, readOnly bool) (*auditlog.Log, *logOwnership, error) {
	if err := a.claimLogState(v.Config().ID, key); err != nil {
		return nil, nil, err
	}
	return withOwnedLog(a.logStateDir(key), func(stateDir string, own *logOwnership) (*auditlog.Log, error) {
		return a.openLogIn(ctx, v, chain, stateDir, readOnly || own.busy != nil)
	})
}

// withOwnedLog takes the log's local state at dir for this process
// (ownLog) and opens the log with open; the state is released again when
// open fails.
func withOwnedLog(dir string, open func(stateDir string, own *logOwnership) (*auditlog.Log, error)) (*auditlog.Log, *logOwnership, error) {
	own, stateDir, err := ownLog(dir)
	if err != nil {
		return nil, nil, fmt.Errorf("open the vault's log: %w", err)
	}
	l, err := open(stateDir, own)
	if err != nil {
		own.release()
		return nil, nil, err
	}
	return l, own, nil
}

// openLogIn opens the log with its local state in stateDir.
func (a *app) openLogIn(ctx context.Context, v *vault.Vault, chain store.Store, stateDir string, readOnly bool) (*auditlog.Log, error) {
	opts, err := a.logOptions(ctx, v, chain, stateDir, readOnly)
	if err != nil {
		return nil, err
	}
	l, err := auditlog.Open(ctx, opts)
	if err != nil {
		return nil, fmt.Errorf("open the vault's log: %w", err)
	}
	return l, nil
}

// openDamagedLog opens, read-only, the log as this computer last verified
// it at the vault's state key, for an audit of a vault whose log did not
// open for damage (auditlog.OpenDamaged).
func (a *app) openDamagedLog(ctx context.Context, v *vault.Vault, chain store.Store, key string, damage *auditlog.TamperError) (*auditlog.Log, *logOwnership, error) {
	return withOwnedLog(a.logStateDir(key), func(stateDir string, _ *logOwnership) (*auditlog.Log, error) {
		opts, err := a.logOptions(ctx, v, chain, stateDir, true)
		if err != nil {
			return nil, err
		}
		return auditlog.OpenDamaged(opts, damage)
	})
}

// logOptions are the options of the vault's log with its local state in
// stateDir: the verifier key this computer saw first, and the signing key
// unless readOnly.
func (a *app) logOptions(ctx context.Context, v *vault.Vault, chain store.Store, stateDir string, readOnly bool) (auditlog.Options, error) {
	var none auditlog.Options
	id := v.Config().ID
	dir := a.vaultDir(id)
	vkey, err := readTrimmed(filepath.Join(dir, "log.pub"))
	switch {
	case errors.Is(err, fs.ErrNotExist):
		vkey = v.Config().LogPublicKey
		if vkey == "" {
			return none, &vault.FormatError{Msg: "the vault has no log key in " + vault.ConfigKey}
		}
		if err := writePrivate(filepath.Join(dir, "log.pub"), vkey); err != nil {
			return none, err
		}
	case err != nil:
		return none, err
	case vkey != v.Config().LogPublicKey:
		return none, &integrityError{msg: "the vault's log verifier key differs from the one this computer recorded: the log may have been replaced"}
	}
	verifier, err := auditlog.NewVerifier(vkey)
	if err != nil {
		return none, err
	}
	skey, _ := readTrimmed(filepath.Join(dir, "log.key"))
	if readOnly {
		skey = ""
	} else if skey == "" {
		if v.Encrypted() {
			// Opened with a remembered id-key: the log key is in the
			// key files.
			if err := v.Unlock(); err != nil {
				return none, err
			}
		}
		if k := v.Keys(); k != nil {
			skey = k.LogKey
		} else if b, err := store.ReadAll(ctx, chain, plainLogKey); err == nil {
			skey = strings.TrimSpace(string(b))
		}
		if skey != "" {
			if err := writePrivate(filepath.Join(dir, "log.key"), skey); err != nil {
				return none, err
			}
		}
	}
	opts := auditlog.Options{Store: chain, Verifier: verifier, StateDir: stateDir}
	if skey != "" {
		signer, sv, err := auditlog.NewSigner(skey)
		if err != nil {
			return none, err
		}
		if sv.KeyHash() != verifier.KeyHash() || sv.Name() != verifier.Name() {
			return none, &integrityError{msg: "the log signing key does not match the vault's verifier key"}
		}
		opts.Signer = signer
	}
	if v.Encrypted() {
		opts.Codec = vaultCodec{&v}
	}
	return opts, nil
}

// logSnapshots makes every snapshot the backup commits carry the log's
// signed checkpoint, and records the snapshot in the log.
func (a *app) logSnapshots(s *session, o *backup.Options) {
	if s.log == nil || s.log.ReadOnly() {
		return
	}
	prev := o.Extra
	o.Extra = func(ctx context.Context, snap *vault.Snapshot) error {
		if prev != nil {
			if err := prev(ctx, snap); err != nil {
				return err
			}
		}
		// The snapshot's checkpoint must cover the objects it names; the
		// lock taken for the backup is not one of them, so a backup that
		// stored nothing new does not wait for a flush (five round trips)
		// here.
		if s.log.Waiting(isLockRecord) > 0 {
			if err := s.log.Flush(ctx); err != nil {
				return fmt.Errorf("publish the vault's log: %w", err)
			}
		}
		snap.LogCheckpoint = string(s.log.Checkpoint())
		return nil
	}
	o.OnCommit = func(ctx context.Context, id vault.ID, snap *vault.Snapshot) error {
		return s.log.Append(auditlog.Snapshot{ID: id.String(), Tree: snap.Tree.String()})
	}
}

// isLockRecord reports whether r is the PUT or DELETE of a lock object.
func isLockRecord(r auditlog.Record) bool {
	switch r := r.(type) {
	case auditlog.Put:
		return strings.HasPrefix(r.Key, locks.Prefix)
	case auditlog.Delete:
		return strings.HasPrefix(r.Key, locks.Prefix)
	}
	return false
}
