package main

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/tunesafe/tunesafe/internal/auditlog"
	"github.com/tunesafe/tunesafe/internal/locks"
	"github.com/tunesafe/tunesafe/internal/store"
	"github.com/tunesafe/tunesafe/internal/store/folder"
	"github.com/tunesafe/tunesafe/internal/store/s3store"
	"github.com/tunesafe/tunesafe/internal/vault"
)

// checkFresh refuses to make a vault or a replica where other data lives:
// a folder holding anything but a disk's own housekeeping, or a bucket
// prefix holding any object. `tunesafe init ~/Music` or `copy --to
// ~/Music` would otherwise scatter a vault's folders among the tracks.
// A location that already holds a vault (or a replica) is left to the
// caller, which knows whether it may continue one, and so is what an
// interrupted init leaves before it writes tunesafe.json (its keys, log
// and FORMAT.md).
//
// Folders are read directly rather than through the folder store, which
// lists only names that can be keys: "01 Finlandia.mp3" is not one.
func checkFresh(ctx context.Context, loc string, backend store.Store) error {
	if err := checkNotNested(ctx, loc, backend); err != nil {
		return err
	}
	if !isS3(loc) {
		if _, err := os.Stat(filepath.Join(loc, vault.ConfigKey)); err == nil {
			return nil
		}
		des, err := os.ReadDir(loc)
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil {
			return err
		}
		for _, de := range des {
			if backedUpVault(de.Name()) {
				return openVaultError(loc, vault.ErrConfigLost)
			}
			if !housekeeping(de.Name()) && !unfinishedInit(de.Name()) {
				return usagef("give an empty or new folder, such as "+filepath.Join(loc, "tunesafe"),
					"%s is not empty (it holds %q) and holds no vault", loc, de.Name())
			}
		}
		return nil
	}
	if _, err := backend.Stat(ctx, vault.ConfigKey); err == nil {
		return nil
	}
	for info, err := range backend.List(ctx, "") {
		if err != nil {
			return err
		}
		top, _, _ := strings.Cut(info.Key, "/")
		if backedUpVault(top) {
			return openVaultError(loc, vault.ErrConfigLost)
		}
		if unfinishedInit(top) {
			continue
		}
		return usagef("give an empty bucket or a new prefix, such as s3://bucket/tunesafe",
			"%s is not empty (it holds %q) and holds no vault", loc, info.Key)
	}
	return nil
}

// checkNotNested refuses a location inside a vault: the vault would take
// the new one's objects for foreign ones (verify reports them, and prune
// of either would not know the other's), and a copy of the outer vault
// would leave them behind.
// A folder is checked without its store (backend may be nil): before the
// store is opened, which creates the folder.
func checkNotNested(ctx context.Context, loc string, backend store.Store) error {
	if s3, ok := store.Find[*s3store.Store](backend); ok && isS3(loc) {
		// Credentials may be for the vault's prefix alone: a prefix
		// above that cannot be read tells nothing, and stops nothing.
		for _, up := range s3.Enclosing() {
			if _, err := up.Stat(ctx, vault.ConfigKey); err == nil {
				return nestedError(loc, up.String())
			}
		}
		return nil
	}
	if isS3(loc) {
		return nil
	}
	abs, err := filepath.Abs(loc)
	if err != nil {
		return err
	}
	if outer, ok := enclosingVault(abs); ok {
		return nestedError(loc, outer)
	}
	return nil
}

// enclosingVault returns the folder above abs, an absolute path, that
// holds a vault's tunesafe.json, the nearest first.
func enclosingVault(abs string) (string, bool) {
	for dir := filepath.Dir(abs); ; dir = filepath.Dir(dir) {
		if _, err := os.Stat(filepath.Join(dir, vault.ConfigKey)); err == nil {
			return dir, true
		}
		if filepath.Dir(dir) == dir {
			return "", false
		}
	}
}

func nestedError(loc, outer string) error {
	return usagef("give a location outside it; one vault holds any number of computers' backups",
		"%s is inside the vault at %s", loc, outer)
}

// unfinishedInit reports whether a top-level name is one init writes
// before tunesafe.json.
func unfinishedInit(name string) bool {
	switch name + "/" {
	case vault.FormatKey + "/", vault.KeysPrefix, auditlog.Prefix, locks.Prefix:
		return true
	}
	return false
}

// backedUpVault reports whether a top-level name is one only a vault that
// was backed up to holds: a location with it and without tunesafe.json
// is a vault whose tunesafe.json was lost, not a place for a new vault
// (nor, nested, for one inside it).
func backedUpVault(name string) bool {
	return name == "snapshots" || name == "blobs"
}

// housekeeping reports whether a name is one an operating system puts on
// any disk (hidden files, lost+found, Windows' system folders), which
// does not make a folder anyone's data.
func housekeeping(name string) bool {
	return folder.SystemFolder(name) || strings.HasPrefix(name, ".")
}
