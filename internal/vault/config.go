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

func parseConfig(b []byte) (*Config, error) {
	var c Config
	if err := json.Unmarshal(b, &c); err != nil {
		return nil, &FormatError{Msg: fmt.Sprintf("%s is damaged: %v", ConfigKey, err)}
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
