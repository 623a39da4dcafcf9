package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/tunesafe/tunesafe/internal/vault"
)

// nearbyVaultHint returns the hint for a folder location that holds no
// vault when one lies near it: the vault that loc is inside (a subfolder
// given for the vault, "usb/tunesafe/blobs"), or vaults in the folders
// directly inside loc (the disk given for the vault's folder on it,
// "usb" for "usb/tunesafe"). It returns "" when there is none.
func nearbyVaultHint(loc string) string {
	if isS3(loc) || mistypedS3(loc) || strings.Contains(loc, "://") {
		return ""
	}
	abs, err := filepath.Abs(loc)
	if err != nil {
		return ""
	}
	if d, ok := enclosingVault(abs); ok {
		v := shown(loc, d)
		return fmt.Sprintf("%s is inside the vault at %s: give --vault %s", loc, v, shellJoin([]string{v}))
	}
	f, err := os.Open(abs)
	if err != nil {
		return ""
	}
	// A disk's root holds few folders; a music folder given by mistake
	// may hold thousands, which need not all be looked into.
	des, _ := f.ReadDir(1000)
	f.Close()
	var found []string
	for _, de := range des {
		if de.IsDir() && isVaultFolder(filepath.Join(abs, de.Name())) {
			found = append(found, shellJoin([]string{filepath.Join(loc, de.Name())}))
		}
	}
	switch len(found) {
	case 0:
		return ""
	case 1:
		return fmt.Sprintf("the vault is in a folder inside it: give --vault %s", found[0])
	}
	return fmt.Sprintf("vaults are in folders inside it: give --vault with one of %s", strings.Join(found, ", "))
}

// isVaultFolder reports whether folder d holds a vault's tunesafe.json.
func isVaultFolder(d string) bool {
	fi, err := os.Stat(filepath.Join(d, vault.ConfigKey))
	return err == nil && fi.Mode().IsRegular()
}

// shown writes folder d as loc was written: relative to the working
// folder when loc is relative.
func shown(loc, d string) string {
	if filepath.IsAbs(loc) {
		return d
	}
	wd, err := os.Getwd()
	if err != nil {
		return d
	}
	if rel, err := filepath.Rel(wd, d); err == nil {
		return rel
	}
	return d
}

// checkNearbyVault refuses a backup to a folder that holds no vault and
// where none would be created (it holds other files), when a vault lies
// near it: the user gave the disk, or a folder inside the vault. Before,
// the backup would refuse with no vault there, or say the music folder
// is inside the vault.
func (a *app) checkNearbyVault() error {
	loc, err := a.vaultLocation()
	if err != nil || isVaultFolder(loc) {
		return nil
	}
	if empty, _ := isEmptyOrUnfinished(loc); empty {
		return nil
	}
	if abs, err := filepath.Abs(loc); err != nil || a.usedLocation(filepath.Clean(abs)) {
		return nil // its tunesafe.json lost: opening says so
	}
	if hint := nearbyVaultHint(loc); hint != "" {
		return withHint(fmt.Errorf("open vault %s: %w", loc, vault.ErrNoVault), hint)
	}
	return nil
}

// noVaultHint is ErrNoVault for a location, with the nearby vault as
// the hint when there is one.
func noVaultHint(loc string, err error) error {
	if !errors.Is(err, vault.ErrNoVault) {
		return err
	}
	if hint := nearbyVaultHint(loc); hint != "" {
		return withHint(err, hint)
	}
	return err
}
