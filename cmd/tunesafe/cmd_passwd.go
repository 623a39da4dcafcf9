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
or a prompt. Only the key files in keys/ are rewritten; no data is re-uploaded.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.runPasswd(cmd.Context(), newFile, kdfWork)
		},
	}
	c.Flags().StringVar(&newFile, "new-passphrase-file", "", "read the new passphrase from this file")
	c.Flags().IntVar(&kdfWork, "kdf-work", 0, "key-derivation work factor for the new key file (log2 of scrypt N)")
	return c
}

func (a *app) runPasswd(ctx context.Context, newFile string, kdfWork int) error {
	s, err := a.openVault(ctx)
	if err != nil {
		return err
	}
	defer s.Close()
	nb := &app{passphraseFile: newFile, stdin: a.stdin, stdout: a.stdout, stderr: a.stderr}
	var newPass string
	if newFile == "" {
		if p := os.Getenv("TUNESAFE_NEW_PASSPHRASE"); p != "" {
			newPass = p
		}
	}
	if newPass == "" {
		p, err := nb.passphrase(true)()
		if err != nil {
			return err
		}
		newPass = p
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
