package vault

import (
	"context"
	"crypto/subtle"
	"errors"
	"sync"

	"filippo.io/age"
)

// A computer that has opened an encrypted vault once may remember the
// vault's id-key (Keys.IDKey) and open the vault with it later: the vault
// then names content and encrypts to its public recipient at once, and
// opens its key files (an scrypt derivation of the passphrase, a quarter of
// a second and 64 MiB) only when something must be decrypted. A backup
// that finds nothing to read, the common case of a scheduled run, never
// needs the passphrase at all.
//
// The id-key lets its holder tell whether the vault holds given content,
// which the computer that made the backups knows anyway; it decrypts
// nothing. The identity, which does, is never remembered.

// OpenOptions configure OpenWith.
type OpenOptions struct {
	// Passphrase is called when the vault's key files must be opened; it
	// may prompt the user.
	Passphrase func() (string, error)
	// AskAgain, if set, is called when the passphrase given opens no key
	// file, with the number of tries so far; when it returns true,
	// Passphrase is called for another (a prompt gives a person who
	// mistyped another try). Without it, the first wrong passphrase is
	// the answer.
	AskAgain func(tries int) bool
	// RememberedIDKey, if set, returns the id-key this computer remembers
	// for the vault with the given ID, or nil.
	RememberedIDKey func(vaultID string) []byte
	// CheckKeyFiles, with a remembered id-key, lists keys/ as the vault
	// opens (one LIST): ErrNoKeyFile when the provider lost the key
	// files, as a vault opened with its passphrase says. Without it that
	// is found only when something must be decrypted: a command that
	// writes and reads nothing, a backup, would go on storing content that
	// nobody can ever decrypt, since the identity lives only in the key
	// files. A command that writes sets it.
	CheckKeyFiles bool
	// Config, if set, is used instead of the vault's tunesafe.json, which
	// the provider lost: a copy this computer kept, or one rebuilt from
	// the key files (RebuiltConfig). Its raw form, if the copy kept one,
	// is ConfigJSON.
	Config     *Config
	ConfigJSON []byte
	// Keys, if set, are the vault's keys, already unlocked (UnlockKeys);
	// they must match the config's recipient.
	Keys *Keys
}

// lazyKeys opens the key files on first need. A wrong or missing
// passphrase, or no key file at all, is kept as the answer; any other failure (the store
// unreachable) is tried again at the next need.
type lazyKeys struct {
	mu   sync.Mutex
	open func() (*Keys, error)
	keys *Keys
	err  error
}

func (l *lazyKeys) get() (*Keys, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.keys != nil || l.err != nil {
		return l.keys, l.err
	}
	k, err := l.open()
	switch {
	case err == nil:
		l.keys = k
	case errors.Is(err, ErrWrongPassphrase), errors.Is(err, ErrNeedPassphrase), errors.Is(err, ErrNoKeyFile):
		l.err = err
	}
	return k, err
}

// peek returns the keys if they are open already.
func (l *lazyKeys) peek() *Keys {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.keys
}

// lockedError carries why the key files could not be opened through the
// codec, so that it is not mistaken for damaged content.
type lockedError struct{ err error }

func (e *lockedError) Error() string { return e.err.Error() }
func (e *lockedError) Unwrap() error { return e.err }

// openRemembered sets v up to work with a remembered id-key.
func (v *Vault) openRemembered(ctx context.Context, idKey []byte, passphrase func() (string, error), askAgain func(int) bool) error {
	rcpt, err := age.ParseX25519Recipient(v.cfg.Recipient)
	if err != nil {
		return &FormatError{Msg: ConfigKey + ": recipient: " + err.Error()}
	}
	v.hasher = NewHasher(idKey)
	// The key files are read when first needed, long after OpenWith has
	// returned and its caller may have ended ctx: keep its values only.
	ctx = context.WithoutCancel(ctx)
	v.lazy = &lazyKeys{open: func() (*Keys, error) {
		k, err := v.openKeys(ctx, passphrase, askAgain)
		if err != nil {
			return nil, err
		}
		if subtle.ConstantTimeCompare(k.IDKey, idKey) != 1 {
			return nil, &FormatError{Msg: "the id-key this computer remembers for the vault is not the vault's: forget it (see 'tunesafe help') and open the vault again"}
		}
		return k, nil
	}}
	v.codec = codec{recipient: rcpt, lazy: v.lazy, bufs: new(sync.Pool)}
	return nil
}

// Unlock opens the key files now, if the vault was opened with a
// remembered id-key and has not needed them yet.
func (v *Vault) Unlock() error {
	if v.lazy == nil {
		return nil
	}
	_, err := v.lazy.get()
	return err
}
