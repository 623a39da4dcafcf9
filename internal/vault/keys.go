package vault

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"filippo.io/age"
)

// Keys are a vault's secrets. In an encrypted vault they live in keys/,
// each key file an age file encrypted with a passphrase (scrypt), whose
// plaintext is a standard age identity file: the stock age CLI can use the
// decrypted file directly with -i. Extra secrets ride along as comment
// lines, which age ignores:
//
//	# tunesafe-key-file: 1
//	# vault-id: 3f9c…
//	# id-key: <64 hex digits: the HMAC-SHA256 key for content IDs>
//	# log-key: PRIVATE+KEY+…  (signs the tamper-evident log's checkpoints)
//	AGE-SECRET-KEY-1…
type Keys struct {
	VaultID  string
	Identity *age.X25519Identity
	IDKey    []byte
	LogKey   string
}

// KeysPrefix is where key files live.
const KeysPrefix = "keys/"

// newKeys creates fresh secrets for a vault.
func newKeys(vaultID string) (*Keys, error) {
	id, err := age.GenerateX25519Identity()
	if err != nil {
		return nil, err
	}
	k := &Keys{VaultID: vaultID, Identity: id, IDKey: make([]byte, 32)}
	if _, err := rand.Read(k.IDKey); err != nil {
		return nil, err
	}
	return k, nil
}

// Marshal returns the plaintext key file.
func (k *Keys) Marshal() []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "# tunesafe-key-file: 1\n")
	fmt.Fprintf(&b, "# created: %s\n", time.Now().UTC().Format(time.RFC3339))
	fmt.Fprintf(&b, "# vault-id: %s\n", k.VaultID)
	fmt.Fprintf(&b, "# id-key: %s\n", hex.EncodeToString(k.IDKey))
	if k.LogKey != "" {
		fmt.Fprintf(&b, "# log-key: %s\n", k.LogKey)
	}
	fmt.Fprintf(&b, "%s\n", k.Identity.String())
	return b.Bytes()
}

// ParseKeys reads a plaintext key file.
func ParseKeys(b []byte) (*Keys, error) {
	k := &Keys{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "":
		case strings.HasPrefix(line, "#"):
			name, value, ok := strings.Cut(strings.TrimSpace(strings.TrimPrefix(line, "#")), ":")
			if !ok {
				continue
			}
			value = strings.TrimSpace(value)
			switch name {
			case "vault-id":
				k.VaultID = value
			case "id-key":
				key, err := hex.DecodeString(value)
				if err != nil || len(key) != 32 {
					return nil, errors.New("key file: bad id-key")
				}
				k.IDKey = key
			case "log-key":
				k.LogKey = value
			}
		case strings.HasPrefix(line, "AGE-SECRET-KEY-1"):
			id, err := age.ParseX25519Identity(line)
			if err != nil {
				return nil, fmt.Errorf("key file: %w", err)
			}
			k.Identity = id
		default:
			return nil, errors.New("key file: unexpected line")
		}
	}
	if k.Identity == nil || k.IDKey == nil {
		return nil, errors.New("key file: incomplete")
	}
	return k, nil
}

// sealKeys encrypts a key file with a passphrase.
func sealKeys(k *Keys, passphrase string, logN int) ([]byte, error) {
	r, err := age.NewScryptRecipient(passphrase)
	if err != nil {
		return nil, err
	}
	if logN > 0 {
		r.SetWorkFactor(logN)
	}
	var out bytes.Buffer
	w, err := age.Encrypt(&out, r)
	if err != nil {
		return nil, err
	}
	if _, err := w.Write(k.Marshal()); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

// openKeys decrypts a key file; a wrong passphrase is ErrWrongPassphrase.
func openKeys(sealed []byte, passphrase string) (*Keys, error) {
	id, err := age.NewScryptIdentity(passphrase)
	if err != nil {
		return nil, err
	}
	r, err := age.Decrypt(bytes.NewReader(sealed), id)
	if err != nil {
		var nm *age.NoIdentityMatchError
		if errors.As(err, &nm) {
			return nil, ErrWrongPassphrase
		}
		return nil, err
	}
	plain, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	return ParseKeys(plain)
}
