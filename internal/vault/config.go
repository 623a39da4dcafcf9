package vault

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/tunesafe/tunesafe/internal/chunker"
)

// ConfigKey is the object that marks a vault and names its format.
const ConfigKey = "tunesafe.json"

// FormatKey is the copy of the format specification kept in every vault.
const FormatKey = "FORMAT.md"

// Format version this program writes. Readers refuse a larger major version
// and accept any minor version of a major they know.
const (
	FormatName  = "tunesafe-vault"
	MajorFormat = 1
	MinorFormat = 1
)

// Encryption schemes.
const (
	EncryptionNone = "none"
	EncryptionAge  = "age-x25519"
)

// Config is tunesafe.json: never encrypted, so that any tool can tell what
// the vault is and how to read it.
type Config struct {
	Format  string    `json:"format"`
	Version int       `json:"version"`
	Minor   int       `json:"minor"`
	ID      string    `json:"id"`
	Created time.Time `json:"created"`
	// Encryption is EncryptionNone or EncryptionAge.
	Encryption string `json:"encryption"`
	// Recipient is the vault's age X25519 public key: anyone may encrypt to
	// it; only the identity in keys/ decrypts.
	Recipient string `json:"recipient,omitempty"`
	// IDHash is "sha256" (plain) or "hmac-sha256" (encrypted).
	IDHash  string         `json:"id_hash"`
	Chunker chunker.Params `json:"chunker"`
	// LogPublicKey verifies the signed checkpoints of the tamper-evident log.
	LogPublicKey string `json:"log_public_key,omitempty"`
	// ObjectLock, when set, is the S3 Object Lock retention every object
	// is written with (an optional field of minor version 1).
	ObjectLock *ObjectLock `json:"object_lock,omitempty"`
	Doc        string      `json:"doc"`
}

func (c *Config) encrypted() bool { return c.Encryption == EncryptionAge }

// configDoc is the note every tunesafe.json carries for whoever finds it.
const configDoc = "This is a Tunesafe backup vault. FORMAT.md beside this file explains how to read it, with or without Tunesafe."

// newConfig describes an unencrypted vault; encryptTo makes it encrypted.
func newConfig(id string, created time.Time, p chunker.Params, logPublicKey string, lock *ObjectLock) *Config {
	return &Config{
		Format: FormatName, Version: MajorFormat, Minor: MinorFormat,
		ID: id, Created: created.UTC().Truncate(time.Second),
		Encryption: EncryptionNone, IDHash: "sha256", Chunker: p,
		LogPublicKey: logPublicKey,
		ObjectLock:   lock,
		Doc:          configDoc,
	}
}

// encryptTo makes c the config of a vault encrypted with k.
func (c *Config) encryptTo(k *Keys) {
	c.Encryption, c.IDHash, c.Recipient = EncryptionAge, "hmac-sha256", k.Identity.Recipient().String()
}

// RebuiltConfig is the tunesafe.json of a vault that lost it, made again
// from what the vault still holds (FORMAT.md, "tunesafe.json"): its ID, its
// keys when it is encrypted (nil otherwise), its log's verifier key and its
// Object Lock policy; created is approximate, and the chunker parameters
// are the defaults, which every vault this program made uses.
func RebuiltConfig(id string, created time.Time, keys *Keys, logPublicKey string, lock *ObjectLock) *Config {
	c := newConfig(id, created, chunker.DefaultParams, logPublicKey, lock)
	if keys != nil {
		c.encryptTo(keys)
	}
	return c
}

// JSON returns c as tunesafe.json is written.
func (c *Config) JSON() []byte {
	b, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		panic(err) // a Config always marshals
	}
	return append(b, '\n')
}

// ParseConfig reads tunesafe.json and checks that this program can read
// the vault it describes: a *FormatError otherwise.
func ParseConfig(b []byte) (*Config, error) {
	var c Config
	if err := json.Unmarshal(b, &c); err != nil {
		return nil, &FormatError{Msg: fmt.Sprintf("%s is damaged: %v", ConfigKey, err), Damaged: true}
	}
	if c.Format != FormatName {
		return nil, &FormatError{Msg: fmt.Sprintf("%s does not describe a Tunesafe vault (format %q)", ConfigKey, c.Format)}
	}
	if c.Version > MajorFormat || c.Version < 1 {
		return nil, &FormatError{Msg: fmt.Sprintf("vault format version %d.%d is not supported by this program (it reads version %d); upgrade Tunesafe", c.Version, c.Minor, MajorFormat), Newer: c.Version > MajorFormat}
	}
	switch c.Encryption {
	case EncryptionNone:
		if c.IDHash != "sha256" {
			return nil, &FormatError{Msg: fmt.Sprintf("%s: id_hash %q does not fit encryption %q", ConfigKey, c.IDHash, c.Encryption)}
		}
	case EncryptionAge:
		if c.IDHash != "hmac-sha256" || c.Recipient == "" {
			return nil, &FormatError{Msg: fmt.Sprintf("%s: encrypted vault without recipient or hmac id_hash", ConfigKey)}
		}
	default:
		return nil, &FormatError{Msg: fmt.Sprintf("%s: unknown encryption %q", ConfigKey, c.Encryption)}
	}
	if err := c.Chunker.Validate(); err != nil {
		return nil, &FormatError{Msg: fmt.Sprintf("%s: %v", ConfigKey, err)}
	}
	if c.ObjectLock != nil {
		if err := c.ObjectLock.Validate(); err != nil {
			return nil, &FormatError{Msg: fmt.Sprintf("%s: %v", ConfigKey, err)}
		}
	}
	return &c, nil
}
