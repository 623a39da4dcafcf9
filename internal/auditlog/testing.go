package auditlog

import (
	"bytes"
	"crypto/sha256"
	"testing"

	"github.com/tunesafe/tunesafe/internal/store"
)

// TestKey returns a fixed signing key for vault ID "test", derived from
// seed, so golden files and tests are reproducible. Never use it for a real
// vault.
func TestKey(t testing.TB, seed string) (skey, vkey string) {
	t.Helper()
	sum := sha256.Sum256([]byte("tunesafe test log key " + seed))
	skey, vkey, err := GenerateKey(bytes.NewReader(sum[:]), "test")
	if err != nil {
		t.Fatal(err)
	}
	return skey, vkey
}

// TestLog opens a log over s with TestKey(t, "") and a fresh state
// directory under t.TempDir, and closes it when the test ends.
func TestLog(t testing.TB, s store.Store) *Log {
	t.Helper()
	skey, _ := TestKey(t, "")
	signer, verifier, err := NewSigner(skey)
	if err != nil {
		t.Fatal(err)
	}
	l, err := Open(t.Context(), Options{Store: s, Signer: signer, Verifier: verifier, StateDir: t.TempDir(), Host: "test"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.release() })
	return l
}
