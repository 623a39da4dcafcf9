package main

import (
	"context"
	"os"

	"github.com/spf13/cobra"
)

func (a *app) passwdCommand() *cobra.Command {
	var newFile string
	var kdfWork int
	c := &cobra.Command{
		Use:   "passwd",
		Short: "Change the vault passphrase (rewrites only keys/)",
		Long: `Change the passphrase of an encrypted vault. The current passphrase comes from
the usual places; the new one from --new-passphrase-file, $TUNESAFE_NEW_PASSPHRASE,
or a prompt (never from the current passphrase's sources). The new passphrase
needs at least 8 characters and must differ from the current one. Only the key
files in keys/ are rewritten; no data is re-uploaded.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.runPasswd(cmd.Context(), newFile, kdfWork)
		},
	}
	c.Flags().StringVar(&newFile, "new-passphrase-file", "", "read the new passphrase from this file")
	c.Flags().IntVar(&kdfWork, "kdf-work", 0, "key-derivation work factor for the new key file, log2 of scrypt N (10 to 22; default 16)")
	return c
}

const newPassphraseSources = "give the new passphrase with --new-passphrase-file FILE or $TUNESAFE_NEW_PASSPHRASE, or run in a terminal to be asked"

func (a *app) runPasswd(ctx context.Context, newFile string, kdfWork int) error {
	if kdfWork != 0 && (kdfWork < 10 || kdfWork > 22) {
		return usagef("", "--kdf-work must be between 10 and 22")
	}
	// The new passphrase is read before the vault is opened, so that a
	// missing or bad one changes nothing; only a prompt waits until the
	// current passphrase has been asked for.
	var newPass string
	switch {
	case newFile != "":
		p, err := readPassphraseFile(newFile, "--new-passphrase-file")
		if err != nil {
			return err
		}
		if err := checkNewPassphrase(p, "--new-passphrase-file "+newFile); err != nil {
			return err
		}
		newPass = p
	case os.Getenv("TUNESAFE_NEW_PASSPHRASE") != "":
		newPass = os.Getenv("TUNESAFE_NEW_PASSPHRASE")
		if err := checkNewPassphrase(newPass, "$TUNESAFE_NEW_PASSPHRASE"); err != nil {
			return err
		}
	case !haveTerminal():
		return usagef(newPassphraseSources, "no new passphrase given")
	}
	s, err := a.openVault(ctx)
	if err != nil {
		return err
	}
	defer s.Close()
	if !s.vault.Encrypted() {
		return usagef("'tunesafe init --encrypt' creates an encrypted vault", "%s is not encrypted: it has no passphrase to change", s.loc)
	}
	// The current passphrase, when the vault opened without it (with
	// this computer's id-key).
	if err := s.vault.Unlock(); err != nil {
		return err
	}
	if newPass == "" {
		p, err := a.promptPassphrase("New passphrase: ", true)
		if err != nil {
			return err
		}
		newPass = p
	}
	if newPass == a.given {
		return usagef("choose another one; nothing was changed", "the new passphrase is the current one")
	}
	if err := s.vault.ChangePassphrase(a.deleteReason(ctx, "passwd"), newPass, kdfWork); err != nil {
		return err
	}
	if a.json {
		return a.printJSON(map[string]any{"changed": true})
	}
	a.printf("passphrase changed\n")
	return nil
}
