package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/tunesafe/tunesafe/internal/auditlog"
	"github.com/tunesafe/tunesafe/internal/store"
	"github.com/tunesafe/tunesafe/internal/store/s3store"
	"github.com/tunesafe/tunesafe/internal/vault"
)

// A provider that loses tunesafe.json (or damages it) leaves a vault every
// object of which is still there, but which no command could open. tunesafe.json holds
// nothing secret and little that is not kept elsewhere, so it is made
// again (FORMAT.md, "tunesafe.json"):
//
//   - from the copy this computer keeps of it for each location
//     (configCopyFile, written whenever the vault opens), which is exact;
//   - otherwise from the vault's key files: the vault ID, the age recipient
//     and the log's verifier key follow from the key file the passphrase
//     opens (keys/log-key in an unencrypted vault), the Object Lock policy
//     from the retention of the newest snapshot, the creation time from the
//     oldest key file or FORMAT.md; the chunker parameters are the defaults.
//
// Reading commands, verify and audit then work on the vault with the
// rebuilt file, with a warning, and write nothing; 'tunesafe repair'
// stores it again, recorded in the log like any other PUT. A wrong rebuild
// cannot go unnoticed: the log's checkpoints must verify under the rebuilt
// verifier key (and under the one this computer recorded first), and an
// encrypted vault's key file must match the rebuilt recipient.

// configCopyFile is where this computer keeps its copy of the
// tunesafe.json of the vault at the location of key (stateKey).
func (a *app) configCopyFile(key string) string {
	return filepath.Join(a.vaultStateDir(key), vault.ConfigKey)
}

// keepConfig updates this computer's copy of an opened vault's
// tunesafe.json. A failure to write it only loses the exact rebuild.
func (a *app) keepConfig(key string, raw []byte) {
	p := a.configCopyFile(key)
	if old, err := os.ReadFile(p); err == nil && string(old) == string(raw) {
		return
	}
	writePrivate(p, strings.TrimSuffix(string(raw), "\n"))
}

// configUnreadable tells whether err, from opening a vault, is its
// tunesafe.json lost or damaged in storage: what a rebuilt one stands in
// for.
func configUnreadable(err error) bool {
	var fe *vault.FormatError
	return errors.Is(err, vault.ErrConfigLost) || errors.As(err, &fe) && fe.Damaged
}

// lostConfig is a tunesafe.json made again after the provider lost or
// damaged it.
type lostConfig struct {
	raw []byte
	// from says where it came from, and why what it replaces, for
	// messages.
	from, why string
}

func (l *lostConfig) String() string {
	return fmt.Sprintf("%s; reading the vault with the one rebuilt from %s; nothing will be written to the vault until 'tunesafe repair' stores it again", l.why, l.from)
}

// lostConfigError is why a vault opened with a rebuilt tunesafe.json is
// not written to.
type lostConfigError struct{ why string }

func (e *lostConfigError) Error() string { return e.why }

func (*lostConfigError) hint() string {
	return "run 'tunesafe repair' to store it again, rebuilt from this computer's copy or the vault's key files"
}

// openLostConfig opens the vault in chain, whose tunesafe.json is lost or
// damaged (why, a configUnreadable error), with one rebuilt. An error that
// is not about the passphrase wraps why, which stays the reason the vault
// did not open.
func (a *app) openLostConfig(ctx context.Context, backend, chain store.Store, opts vault.OpenOptions, why error) (*vault.Vault, *lostConfig, error) {
	cfg, lost, keys, err := a.rebuildConfig(ctx, backend, chain, opts.Passphrase)
	if err == nil {
		lost.why = why.Error()
		opts.Config, opts.ConfigJSON, opts.Keys = cfg, lost.raw, keys
		var v *vault.Vault
		if v, err = vault.OpenWith(ctx, chain, opts); err == nil {
			return v, lost, nil
		}
	}
	if errors.Is(err, vault.ErrWrongPassphrase) || errors.Is(err, vault.ErrNeedPassphrase) {
		return nil, nil, err
	}
	return nil, nil, fmt.Errorf("%w, and could not be rebuilt: %v", why, err)
}

// rebuildConfig makes the tunesafe.json of the vault in chain again: this
// computer's copy if it has one for the location, otherwise one rebuilt
// from the key files. keys is set when rebuilding opened a key file.
func (a *app) rebuildConfig(ctx context.Context, backend, chain store.Store, passphrase func() (string, error)) (*vault.Config, *lostConfig, *vault.Keys, error) {
	if cfg, raw, ok := a.keptConfig(backend); ok {
		return cfg, &lostConfig{raw: raw, from: "this computer's copy"}, nil, nil
	}
	var keyFiles []store.Info
	plain := false
	for info, err := range chain.List(ctx, vault.KeysPrefix) {
		if err != nil {
			return nil, nil, nil, err
		}
		if info.Key == plainLogKey {
			plain = true
		}
		keyFiles = append(keyFiles, info)
	}
	if len(keyFiles) == 0 {
		return nil, nil, nil, vault.ErrNoKeyFile
	}
	created := oldest(ctx, chain, keyFiles)
	lock, err := objectLockOf(ctx, backend, chain)
	if err != nil {
		return nil, nil, nil, err
	}
	var cfg *vault.Config
	var keys *vault.Keys
	if plain {
		b, err := store.ReadAll(ctx, chain, plainLogKey)
		if err != nil {
			return nil, nil, nil, err
		}
		skey := strings.TrimSpace(string(b))
		vkey, err := auditlog.VerifierKey(skey)
		if err != nil {
			return nil, nil, nil, &vault.CorruptError{Key: plainLogKey, Err: err}
		}
		id, ok := strings.CutPrefix(strings.SplitN(vkey, "+", 2)[0], auditlog.KeyName(""))
		if !ok || id == "" {
			return nil, nil, nil, &vault.CorruptError{Key: plainLogKey, Err: errors.New("the key is not named after a vault")}
		}
		cfg = vault.RebuiltConfig(id, created, nil, vkey, lock)
	} else {
		if passphrase == nil {
			return nil, nil, nil, vault.ErrNeedPassphrase
		}
		pass, err := passphrase()
		if err != nil {
			return nil, nil, nil, err
		}
		if pass == "" {
			return nil, nil, nil, vault.ErrNeedPassphrase
		}
		if keys, err = vault.UnlockKeys(ctx, chain, pass); err != nil {
			return nil, nil, nil, err
		}
		var vkey string
		if keys.LogKey != "" {
			if vkey, err = auditlog.VerifierKey(keys.LogKey); err != nil {
				return nil, nil, nil, fmt.Errorf("the key file's log key: %w", err)
			}
		}
		if keys.VaultID == "" {
			return nil, nil, nil, errors.New("the key file does not name its vault")
		}
		cfg = vault.RebuiltConfig(keys.VaultID, created, keys, vkey, lock)
	}
	return cfg, &lostConfig{raw: cfg.JSON(), from: "the vault's key files"}, keys, nil
}

// keptConfig returns this computer's copy of the tunesafe.json of the
// vault at the location of backend, when it has exactly one that this
// version reads.
func (a *app) keptConfig(backend store.Store) (*vault.Config, []byte, bool) {
	files, _ := filepath.Glob(a.configCopyFile("*@" + locationDigest(canonicalLocation(backend))))
	if len(files) != 1 {
		return nil, nil, false
	}
	raw, err := os.ReadFile(files[0])
	if err != nil {
		return nil, nil, false
	}
	cfg, err := vault.ParseConfig(raw)
	if err != nil {
		return nil, nil, false
	}
	return cfg, raw, true
}

// oldest is the earliest modification time of the key files and FORMAT.md,
// all written when the vault was made (a new passphrase replaces the key
// files, so the time may be later).
func oldest(ctx context.Context, s store.Store, keyFiles []store.Info) time.Time {
	t := time.Now()
	for _, k := range keyFiles {
		if !k.ModTime.IsZero() && k.ModTime.Before(t) {
			t = k.ModTime
		}
	}
	if info, err := s.Stat(ctx, vault.FormatKey); err == nil && !info.ModTime.IsZero() && info.ModTime.Before(t) {
		t = info.ModTime
	}
	return t
}

// objectLockOf tells the Object Lock policy of a vault from the retention
// of its newest snapshot, which no retention pass has extended yet unless
// it is older than half the period: the days between its upload and its
// retain-until date. A vault outside S3, or whose snapshot has no
// retention, has none.
func objectLockOf(ctx context.Context, backend, chain store.Store) (*vault.ObjectLock, error) {
	s3, ok := backend.(*s3store.Store)
	if !ok {
		return nil, nil
	}
	var newest store.Info
	for info, err := range chain.List(ctx, vault.SnapshotsPrefix) {
		if err != nil {
			return nil, err
		}
		if newest.Key == "" || info.ModTime.After(newest.ModTime) {
			newest = info
		}
	}
	if newest.Key == "" {
		return nil, nil
	}
	mode, until, err := s3.Retention(ctx, newest.Key)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil
		}
		return nil, err
	}
	if mode == "" {
		return nil, nil
	}
	days := int((until.Sub(newest.ModTime) + day/2) / day)
	l := &vault.ObjectLock{Mode: strings.ToUpper(mode), Days: max(days, 1)}
	if err := l.Validate(); err != nil {
		return nil, fmt.Errorf("the retention of %s: %w", newest.Key, err)
	}
	return l, nil
}
