package main

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync/atomic"

	"github.com/spf13/cobra"

	"github.com/tunesafe/tunesafe/docs"
	"github.com/tunesafe/tunesafe/internal/auditlog"
	"github.com/tunesafe/tunesafe/internal/store"
	"github.com/tunesafe/tunesafe/internal/vault"
)

type initOptions struct {
	encrypt, noEncrypt bool
	kdfWork            int
	noDefault          bool
	objectLock         string
	objectLockMode     string
}

func (a *app) initCommand() *cobra.Command {
	var o initOptions
	c := &cobra.Command{
		Use:   "init LOCATION",
		Short: "Create a vault in an S3 bucket (s3://bucket/prefix) or a folder",
		Long: `Create a vault at LOCATION (or --vault LOCATION). S3 vaults are encrypted by default, and so are folder vaults
when a passphrase is given ($TUNESAFE_PASSPHRASE or --passphrase-file); choose
with --encrypt or --no-encrypt. The passphrase comes from
$TUNESAFE_PASSPHRASE, --passphrase-file, or a prompt. The location becomes the
default vault in the config file unless --no-default is given.

--object-lock 30d protects an S3 vault against anyone holding its storage
credentials: every object is written with an S3 Object Lock retention of that
many days from its upload, during which the stored version cannot be deleted
or changed (in GOVERNANCE mode, the default, an account allowed to bypass
governance can still lift it; in COMPLIANCE mode no one can). The bucket must
have Object Lock enabled. The policy is recorded in the vault, so every later
command applies it.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			// Every other command names its vault with --vault: init
			// takes it too, as well as the argument.
			loc := a.vaultFlag
			switch {
			case len(args) == 1 && loc != "" && loc != args[0]:
				return usagef("", "init takes one location: %s (the argument) or %s (--vault), not both", args[0], loc)
			case len(args) == 1:
				loc = args[0]
			case loc == "":
				return usagef("for example: tunesafe init s3://my-bucket/tunesafe, or tunesafe init /media/usb/tunesafe", "init needs the LOCATION of the new vault")
			}
			return a.runInit(cmd.Context(), loc, o)
		},
	}
	c.Flags().BoolVar(&o.encrypt, "encrypt", false, "encrypt the vault (default for S3, and for folders when a passphrase is given)")
	c.Flags().BoolVar(&o.noEncrypt, "no-encrypt", false, "do not encrypt (default for folders without a passphrase given)")
	c.Flags().IntVar(&o.kdfWork, "kdf-work", 0, "passphrase key-derivation work factor, log2 of scrypt N (default 16, about a quarter second)")
	c.Flags().BoolVar(&o.noDefault, "no-default", false, "do not make this the default vault in the config file")
	c.Flags().StringVar(&o.objectLock, "object-lock", "", "lock every object with S3 Object Lock for this long after its upload (e.g. 30d)")
	c.Flags().StringVar(&o.objectLockMode, "object-lock-mode", "", "Object Lock retention mode: governance (default) or compliance")
	return c
}

func (a *app) runInit(ctx context.Context, loc string, o initOptions) error {
	if o.encrypt && o.noEncrypt {
		return usagef("", "--encrypt and --no-encrypt exclude each other")
	}
	if o.kdfWork != 0 && (o.kdfWork < 10 || o.kdfWork > 22) {
		return usagef("", "--kdf-work must be between 10 and 22")
	}
	// A folder vault is encrypted when a passphrase is given, as the
	// backup that creates one does: a user who set one expects it used.
	encrypt := isS3(loc) || a.passphraseGiven()
	if o.encrypt {
		encrypt = true
	}
	if o.noEncrypt {
		encrypt = false
	}
	lock, err := parseObjectLock(o.objectLock, o.objectLockMode)
	if err != nil {
		return err
	}
	if lock != nil && !isS3(loc) {
		return usagef("Object Lock is a feature of S3 buckets", "--object-lock needs an S3 vault (s3://bucket/prefix), not %s", loc)
	}
	sess, err := a.createLockedVault(ctx, loc, encrypt, o.kdfWork, lock)
	if err != nil {
		return err
	}
	sess.Close()
	v := sess.vault
	var previous string
	if !o.noDefault {
		if previous, err = a.rememberVault(loc); err != nil {
			return err
		}
	}
	if a.json {
		out := map[string]any{"location": loc, "id": v.Config().ID, "encrypted": v.Encrypted(), "format_version": v.Config().Version}
		if lock != nil {
			out["object_lock"] = lock
		}
		// Whether later commands without --vault use it, and which
		// vault they used before.
		out["default"] = !o.noDefault
		if previous != "" {
			out["previous_default"] = previous
		}
		return a.printJSON(out)
	}
	kind := "unencrypted"
	if v.Encrypted() {
		kind = "encrypted"
	}
	a.printf("created %s vault %s at %s\n", kind, v.Config().ID[:12], loc)
	if v.Encrypted() {
		a.printf("keep your passphrase safe: without it nobody, not even Tunesafe, can read the backups\n")
	}
	if lock != nil {
		a.printf("every object is locked (S3 Object Lock, %s) for %s after its upload\n", lock.Mode, plural(lock.Days, "day", "days"))
	}
	if previous != "" {
		a.printf("this is now the default vault, instead of %s (init --no-default keeps the default)\n", previous)
	}
	return nil
}

// createVault makes a new vault at loc and returns it open. The log is
// opened first, so that even the vault's first objects are recorded.
func (a *app) createVault(ctx context.Context, loc string, encrypt bool, kdfWork int) (*session, error) {
	return a.createLockedVault(ctx, loc, encrypt, kdfWork, nil)
}

// createLockedVault is createVault with an S3 Object Lock policy (nil for
// none), which applies from the vault's first object on.
//
// A vault half made (its tunesafe.json, written last, missing) is not one
// a command opens, nor a location where one creates a vault: the first
// interrupt therefore waits for the creation to end (seconds, even on a
// slow line), and the command then stops; the second stops at once.
func (a *app) createLockedVault(ctx context.Context, loc string, encrypt bool, kdfWork int, lock *vault.ObjectLock) (*session, error) {
	var interrupted atomic.Bool
	release := a.interrupts.handle(func() {
		interrupted.Store(true)
		fmt.Fprintln(a.stderr, "tunesafe: stopping once the new vault is made (half made, it could not be used); interrupt again to stop at once")
	})
	s, err := a.createVaultNow(ctx, loc, encrypt, kdfWork, lock)
	release()
	if err == nil && interrupted.Load() {
		s.Close()
		return nil, context.Canceled
	}
	return s, err
}

func (a *app) createVaultNow(ctx context.Context, loc string, encrypt bool, kdfWork int, lock *vault.ObjectLock) (*session, error) {
	if err := checkNotNested(ctx, loc, nil); err != nil {
		return nil, err // before the folder is made
	}
	backend, err := a.openBackend(ctx, loc, true)
	if err != nil {
		return nil, err
	}
	if lock != nil {
		if err := checkObjectLock(ctx, loc, backend); err != nil {
			return nil, err
		}
		if backend, err = lockBackend(backend, lock); err != nil {
			return nil, err
		}
	}
	chain := a.decorate(backend)
	if _, err := chain.Stat(ctx, vault.ConfigKey); err == nil {
		return nil, fmt.Errorf("init %s: %w", loc, vault.ErrExists)
	}
	if err := checkFresh(ctx, loc, backend); err != nil {
		return nil, err
	}
	// Key files a creation killed part way left (checkFresh let nothing
	// else through): removed once this vault exists, so that its own is
	// the only one, and rebuilding a lost tunesafe.json from the key
	// files cannot take the dead one's.
	var dead []string
	for info, err := range chain.List(ctx, vault.KeysPrefix) {
		if err != nil {
			return nil, err
		}
		// An unencrypted vault's log key has one name, which this
		// creation writes again.
		if info.Key != plainLogKey {
			dead = append(dead, info.Key)
		}
	}
	opts := vault.InitOptions{Encrypt: encrypt, ScryptLogN: kdfWork, FormatDoc: docs.Format, ID: vault.NewVaultID(), ObjectLock: lock}
	if encrypt {
		p, err := a.passphrase(true)()
		if errors.Is(err, vault.ErrNeedPassphrase) {
			return nil, withHint(&newVaultPassphraseError{loc},
				"set TUNESAFE_PASSPHRASE or pass --passphrase-file FILE (or run in a terminal to be asked); --no-encrypt makes a vault without encryption")
		}
		if err != nil {
			return nil, err
		}
		opts.Passphrase = p
	}
	var v *vault.Vault
	key := stateKey(opts.ID, backend)
	// Two processes creating a vault at one location at once: the second
	// is refused, as a second writer of an open vault's log is.
	l, own, skey, vkey, err := a.initOwnedLog(ctx, opts.ID, key, chain, &v, encrypt)
	if err != nil {
		return nil, fmt.Errorf("init %s: %w", loc, err)
	}
	logged := auditlog.Wrap(chain, l)
	opts.LogPublicKey = vkey
	if encrypt {
		opts.LogKey = skey
	} else if err := logged.Put(ctx, plainLogKey, []byte(skey+"\n")); err != nil {
		l.Close(ctx)
		own.release()
		return nil, fmt.Errorf("init %s: %w", loc, err)
	}
	v, err = vault.Init(ctx, logged, opts)
	if err != nil {
		l.Close(ctx)
		own.release()
		return nil, fmt.Errorf("init %s: %w", loc, err)
	}
	a.keepConfig(key, v.ConfigJSON())
	removeDeadKeyFiles(a.deleteReason(ctx, auditlog.ReasonUnfinishedInit), logged, dead)
	s, err := a.newSession(ctx, loc, key, v, l)
	if err != nil {
		own.release()
		return nil, err
	}
	s.own = own
	s.raw = chain
	return s, nil
}

// removeDeadKeyFiles deletes the key files of a dead creation. One that
// cannot be deleted (Object Lock) stays: opening skips a key file whose
// identity is not the vault's.
func removeDeadKeyFiles(ctx context.Context, s store.Store, keys []string) {
	for _, k := range keys {
		s.Delete(ctx, k)
	}
}

// newVaultPassphraseError: no passphrase for the vault about to be made at
// loc. It is a vault.ErrNeedPassphrase, for its exit code; its message does
// not speak of a vault that does not exist yet.
type newVaultPassphraseError struct{ loc string }

func (e *newVaultPassphraseError) Error() string {
	return "a passphrase is needed to create an encrypted vault at " + e.loc
}

func (e *newVaultPassphraseError) Unwrap() error { return vault.ErrNeedPassphrase }

// rememberVault makes loc the default vault, with the endpoint in use, and
// returns the default it replaces ("" when none or the same).
func (a *app) rememberVault(loc string) (previous string, err error) {
	c, err := a.loadConfig()
	if err != nil {
		return "", err
	}
	if !isS3(loc) {
		// Saved as typed, "./vault" would name another folder in every
		// other working directory.
		if loc, err = filepath.Abs(loc); err != nil {
			return "", err
		}
	}
	if c.Vault != loc {
		previous = c.Vault
	}
	c.Vault = loc
	c.Endpoint = a.endpoint
	return previous, a.saveConfig(c)
}
