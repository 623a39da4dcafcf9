package main

import (
	"encoding/hex"
	"path/filepath"

	"github.com/tunesafe/tunesafe/internal/vault"
)

// Once this computer has opened an encrypted vault with its passphrase, it
// remembers the vault's id-key in the vault's configuration folder (like
// the log's signing key), so that later runs open the vault without the
// scrypt derivation and ask for the passphrase only when they must decrypt
// something (package vault, remembered.go). The id-key decrypts nothing.
// Deleting the file forgets it.

// idKeyFile is where the id-key of vault id is remembered.
func (a *app) idKeyFile(id string) string {
	return filepath.Join(a.vaultDir(id), "id.key")
}

// rememberedIDKey returns the remembered id-key of vault id, or nil.
func (a *app) rememberedIDKey(id string) []byte {
	s, err := readTrimmed(a.idKeyFile(id))
	if err != nil {
		return nil
	}
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != 32 {
		return nil
	}
	return b
}

// rememberIDKey remembers the id-key of v once its key files are open. A
// failure to write it only costs the next run a derivation.
func (a *app) rememberIDKey(v *vault.Vault) {
	k := v.Keys()
	if k == nil || a.rememberedIDKey(v.Config().ID) != nil {
		return
	}
	writePrivate(a.idKeyFile(v.Config().ID), hex.EncodeToString(k.IDKey))
}
