package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/tunesafe/tunesafe/internal/state"
	"github.com/tunesafe/tunesafe/internal/store"
	"github.com/tunesafe/tunesafe/internal/store/folder"
	"github.com/tunesafe/tunesafe/internal/store/s3store"
)

// This computer's state for a vault is of two kinds.
//
// What is the same for every copy of the vault is keyed by the vault ID:
// the log keys and the id-key (vaultDir).
//
// What is about the objects at one location is keyed by the vault ID and
// the location (stateKey): the cache rows (which objects the vault holds,
// the files already backed up and the blobs they are made of, retention
// dates, copies of trees) and the log's state (the last checkpoint
// verified there). A replica made by 'tunesafe copy' has the vault's ID
// and log but may lag behind the original: the original's cache would make
// a backup to the replica skip blobs the replica lacks, and the original's
// checkpoint would make the replica's shorter log look rolled back.
//
// A vault moved to another folder, or reached through another endpoint, is
// a new location: its first backup lists the objects and reads the files
// again, and its log is trusted on first use, as on a new computer.
//
// Older versions kept the location-specific state under the bare vault ID.
// The first location of a vault opened after the upgrade claims that state
// (claimLogState, claimCache); every other location starts with none.

// stateKey returns the key of this computer's location-specific state for
// vault id at the location of backend: "<id>@<h>", h being the first 16 hex
// digits of the SHA-256 of the canonical location (canonicalLocation).
// Everything keyed by it is the state of that copy of the vault:
// state.DB.Vault(key) and logStateDir(key). backend is the raw store of the
// location (decorators that Unwrap are looked through); a command that
// writes a vault to a second location, like copy, calls it with the store
// of that location.
func stateKey(id string, backend store.Store) string {
	return id + "@" + locationDigest(canonicalLocation(backend))
}

// locationDigest is the part of a state key that names the location.
func locationDigest(canonical string) string {
	sum := sha256.Sum256([]byte(canonical))
	return hex.EncodeToString(sum[:8])
}

// canonicalLocation names where a store keeps its objects, the same way
// however the location was written: the absolute, cleaned path of a folder
// (symlinks are not resolved: a path is what the user names), the bucket
// and prefix of S3 with the endpoint's host[:port] (none for AWS), and for
// any other store its String.
func canonicalLocation(s store.Store) string {
	if f, ok := store.Find[*folder.Store](s); ok {
		return filepath.Clean(f.Dir())
	}
	if s3, ok := store.Find[*s3store.Store](s); ok {
		if e := s3.Endpoint(); e != "" {
			return s3.String() + " at " + e
		}
		return s3.String()
	}
	return s.String()
}

// logStateDir is the log's state folder for one location of a vault, by
// its state key.
func (a *app) logStateDir(key string) string {
	return filepath.Join(a.vaultStateDir(key), "auditlog")
}

// vaultStateDir is this computer's state folder for key: a state key, or
// the bare vault ID under which older versions kept it.
func (a *app) vaultStateDir(key string) string {
	return filepath.Join(filepath.Dir(a.cacheFile()), "vaults", key)
}

// claimLogState moves the log's state that older versions kept under the
// bare vault ID to the location of key, unless that location has its own.
func (a *app) claimLogState(id, key string) error {
	to := a.logStateDir(key)
	if _, err := os.Lstat(to); !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	from := a.logStateDir(id)
	if _, err := os.Lstat(from); errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(to), 0o700); err != nil {
		return fmt.Errorf("claim the log's state: %w", err)
	}
	if err := os.Rename(from, to); err != nil {
		// Another run, opening another location, may have claimed it
		// meanwhile.
		if _, serr := os.Lstat(from); errors.Is(serr, fs.ErrNotExist) {
			return nil
		}
		return fmt.Errorf("claim the log's state: %w", err)
	}
	a.logger().Debug("the log's state of vault " + id + " now belongs to " + key)
	// The old folder holds nothing else: remove it if it is empty, and
	// leave it if not.
	os.Remove(a.vaultStateDir(id))
	return nil
}

// claimCache gives the cache rows that older versions kept under the bare
// vault ID to the location of key, unless that location has its own.
func (a *app) claimCache(ctx context.Context, db *state.DB, id, key string) error {
	claimed, err := db.Claim(ctx, id, key)
	if err != nil {
		return fmt.Errorf("claim the cache of vault %s: %w", id, err)
	}
	if claimed {
		a.logger().Debug("the cache of vault " + id + " now belongs to " + key)
	}
	return nil
}
