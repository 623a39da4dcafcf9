package vault

import (
	"errors"
	"fmt"
)

// ErrNoVault: the location holds no vault (no tunesafe.json).
var ErrNoVault = errors.New("no vault at this location")

// ErrConfigLost: the location holds a vault's objects (its log, key files
// or snapshots) but no tunesafe.json: the provider lost it, or it was
// deleted behind Tunesafe's back. It is not ErrNoVault: creating a vault
// there would be wrong.
var ErrConfigLost = errors.New(ConfigKey + " is missing (lost by the provider?)")

// ErrNoKeyFile: the vault is encrypted but keys/ holds no key file (lost
// by the provider, or deleted behind Tunesafe's back). Nothing encrypted
// can be read until one is put back.
var ErrNoKeyFile = errors.New("the vault is encrypted but keys/ holds no key file (lost by the provider?)")

// ErrWrongPassphrase: no key file opens with the given passphrase.
var ErrWrongPassphrase = errors.New("wrong passphrase")

// ErrNeedPassphrase: the vault is encrypted and no passphrase was given.
var ErrNeedPassphrase = errors.New("the vault is encrypted and needs a passphrase")

// ErrExists: init found a vault already there.
var ErrExists = errors.New("a vault already exists at this location")

// ErrNoSnapshots: the vault holds no snapshot at all.
var ErrNoSnapshots = errors.New("the vault has no snapshots yet")

// ErrNoSnapshot: no snapshot has the ID asked for (wrapped with it).
var ErrNoSnapshot = errors.New("no snapshot")

// AmbiguousError: more than one snapshot's ID starts with the prefix asked
// for. Matches are the snapshots it could mean, oldest first.
type AmbiguousError struct {
	Prefix  string
	Matches []SnapshotRef
}

func (e *AmbiguousError) Error() string {
	return fmt.Sprintf("snapshot prefix %q is ambiguous: %d snapshots start with it", e.Prefix, len(e.Matches))
}

// FormatError reports a vault this program cannot read: an unknown major
// version, or a damaged tunesafe.json.
type FormatError struct {
	Msg string
	// Newer is set when the vault's format version is newer than this
	// program reads: an upgrade reads it.
	Newer bool
	// Damaged is set when tunesafe.json is not JSON at all: damaged in
	// storage, not a format this program does not know.
	Damaged bool
}

func (e *FormatError) Error() string { return e.Msg }

// CorruptError reports an object whose content does not match its name or
// that cannot be decrypted or decoded: damaged in storage or in transit.
type CorruptError struct {
	Key string
	Err error
}

func (e *CorruptError) Error() string { return fmt.Sprintf("%s is damaged: %v", e.Key, e.Err) }
func (e *CorruptError) Unwrap() error { return e.Err }
