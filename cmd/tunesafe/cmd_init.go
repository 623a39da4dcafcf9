package main

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/tunesafe/tunesafe/docs"
	"github.com/tunesafe/tunesafe/internal/auditlog"
	"github.com/tunesafe/tunesafe/internal/vault"
)

type initOptions struct {
	encrypt, noEncrypt bool
	kdfWork            int
	noDefault          bool
}

func (a *app) initCommand() *cobra.Command {
	var o initOptions
	c := &cobra.Command{
		Use:   "init LOCATION",
		Short: "Create a vault in an S3 bucket (s3://bucket/prefix) or a folder",
		Long: `Create a vault. S3 vaults are encrypted by default and folder vaults are not;
choose with --encrypt or --no-encrypt. The passphrase comes from
$TUNESAFE_PASSPHRASE, --passphrase-file, or a prompt. The location becomes the
default vault in the config file unless --no-default is given.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.runInit(cmd.Context(), args[0], o)
		},
	}
	c.Flags().BoolVar(&o.encrypt, "encrypt", false, "encrypt the vault (default for S3)")
	c.Flags().BoolVar(&o.noEncrypt, "no-encrypt", false, "do not encrypt (default for folders)")
	c.Flags().IntVar(&o.kdfWork, "kdf-work", 0, "passphrase key-derivation work factor, log2 of scrypt N (default 18, about a second)")
	c.Flags().BoolVar(&o.noDefault, "no-default", false, "do not make this the default vault in the config file")
	return c
}

func (a *app) runInit(ctx context.Context, loc string, o initOptions) error {
	if o.encrypt && o.noEncrypt {
		return usagef("", "--encrypt and --no-encrypt exclude each other")
	}
	if o.kdfWork != 0 && (o.kdfWork < 10 || o.kdfWork > 22) {
		return usagef("", "--kdf-work must be between 10 and 22")
	}
	encrypt := isS3(loc)
	if o.encrypt {
		encrypt = true
	}
	if o.noEncrypt {
		encrypt = false
	}
	sess, err := a.createVault(ctx, loc, encrypt, o.kdfWork)
	if err != nil {
		return err
	}
	sess.Close()
	v := sess.vault
	if !o.noDefault {
		if err := a.rememberVault(loc); err != nil {
			return err
		}
	}
	if a.json {
		return a.printJSON(map[string]any{"location": loc, "id": v.Config().ID, "encrypted": v.Encrypted(), "format_version": v.Config().Version})
	}
	kind := "unencrypted"
	if v.Encrypted() {
		kind = "encrypted"
	}
	a.printf("created %s vault %s at %s\n", kind, v.Config().ID[:12], loc)
	if v.Encrypted() {
		a.printf("keep your passphrase safe: without it nobody, not even Tunesafe, can read the backups\n")
	}
	return nil
}

// createVault makes a new vault at loc and returns it open. The log is
// opened first, so that even the vault's first objects are recorded.
func (a *app) createVault(ctx context.Context, loc string, encrypt bool, kdfWork int) (*session, error) {
	backend, err := a.openBackend(ctx, loc, true)
	if err != nil {
		return nil, err
	}
	chain := a.decorate(backend)
	if _, err := chain.Stat(ctx, vault.ConfigKey); err == nil {
		return nil, fmt.Errorf("init %s: %w", loc, vault.ErrExists)
	}
	opts := vault.InitOptions{Encrypt: encrypt, ScryptLogN: kdfWork, FormatDoc: docs.Format, ID: vault.NewVaultID()}
	if encrypt {
		p, err := a.passphrase(true)()
		if err != nil {
			return nil, err
		}
		opts.Passphrase = p
	}
	var v *vault.Vault
	l, skey, vkey, err := a.initLog(ctx, opts.ID, chain, &v, encrypt)
	if err != nil {
		return nil, fmt.Errorf("init %s: %w", loc, err)
	}
	logged := auditlog.Wrap(chain, l)
	opts.LogPublicKey = vkey
	if encrypt {
		opts.LogKey = skey
	} else if err := logged.Put(ctx, plainLogKey, []byte(skey+"\n")); err != nil {
		l.Close(ctx)
		return nil, fmt.Errorf("init %s: %w", loc, err)
	}
	v, err = vault.Init(ctx, logged, opts)
	if err != nil {
		l.Close(ctx)
		return nil, fmt.Errorf("init %s: %w", loc, err)
	}
	return a.newSession(loc, v, l)
}

// rememberVault makes loc the default vault unless one is configured.
func (a *app) rememberVault(loc string) error {
	c, err := a.loadConfig()
	if err != nil {
		return err
	}
	if c.Vault != "" {
		return nil
	}
	c.Vault = loc
	c.Endpoint = a.endpoint
	return a.saveConfig(c)
}
