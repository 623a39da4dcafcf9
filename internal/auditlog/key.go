package auditlog

import (
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"strings"

	"golang.org/x/mod/sumdb/note"
)

// KeyName returns the name of a vault's log key, which is also the origin
// line of its checkpoints: "tunesafe-vault-<vaultID>". The ID must not
// contain spaces or '+'.
func KeyName(vaultID string) string { return "tunesafe-vault-" + vaultID }

// GenerateKey creates the Ed25519 key pair that signs a vault's checkpoints,
// in the note key formats of golang.org/x/mod/sumdb/note:
//
//	skey: PRIVATE+KEY+tunesafe-vault-<id>+<8 hex key hash>+<base64 key>
//	vkey: tunesafe-vault-<id>+<8 hex key hash>+<base64 public key>
//
// The signing key must stay out of the provider's reach: whoever holds it
// can sign a forged log. The verifier key is public.
func GenerateKey(rand io.Reader, vaultID string) (skey, vkey string, err error) {
	name := KeyName(vaultID)
	if vaultID == "" || strings.ContainsAny(vaultID, "+ \t\r\n") {
		return "", "", fmt.Errorf("invalid vault ID %q for a log key", vaultID)
	}
	return note.GenerateKey(rand, name)
}

// NewSigner parses a signing key made by GenerateKey and returns the signer
// and the matching verifier, so a caller that holds the signing key needs
// nothing else.
func NewSigner(skey string) (note.Signer, note.Verifier, error) {
	s, err := note.NewSigner(skey)
	if err != nil {
		return nil, nil, fmt.Errorf("log signing key: %w", err)
	}
	vkey, err := VerifierKey(skey)
	if err != nil {
		return nil, nil, err
	}
	v, err := note.NewVerifier(vkey)
	if err != nil {
		return nil, nil, fmt.Errorf("log signing key: %w", err)
	}
	return s, v, nil
}

// VerifierKey returns the verifier key (the public half) of a signing key.
func VerifierKey(skey string) (string, error) {
	parts := strings.SplitN(skey, "+", 5)
	if len(parts) != 5 || parts[0] != "PRIVATE" || parts[1] != "KEY" {
		return "", errors.New("log signing key: malformed")
	}
	k, err := base64.StdEncoding.DecodeString(parts[4])
	if err != nil || len(k) != 1+ed25519.SeedSize || k[0] != 1 {
		return "", errors.New("log signing key: not an Ed25519 note key")
	}
	pub := ed25519.NewKeyFromSeed(k[1:]).Public().(ed25519.PublicKey)
	return note.NewEd25519VerifierKey(parts[2], pub)
}

// NewVerifier parses a verifier key made by GenerateKey.
func NewVerifier(vkey string) (note.Verifier, error) {
	v, err := note.NewVerifier(vkey)
	if err != nil {
		return nil, fmt.Errorf("log verifier key: %w", err)
	}
	return v, nil
}
