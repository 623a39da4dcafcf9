package vault

import (
	"context"
	"errors"
	"testing"

	"github.com/tunesafe/tunesafe/internal/store"
	"github.com/tunesafe/tunesafe/internal/store/memstore"
)

// A creation stopped after its key file but before tunesafe.json leaves a
// key file of a vault that never was; a vault created there afterwards
// with the same passphrase must open with its own key file, whichever
// the listing gives first.
func TestKeyFileOfUnfinishedVaultIgnored(t *testing.T) {
	ctx := context.Background()
	for _, name := range []string{"0000000000000000", "ffffffffffffffff"} {
		t.Run(name, func(t *testing.T) {
			old, _ := initVault(t, true)
			var stale []byte
			for info, err := range old.List(ctx, KeysPrefix) {
				if err != nil {
					t.Fatal(err)
				}
				stale, _ = store.ReadAll(ctx, old, info.Key)
			}
			s := &memstore.Store{}
			if err := s.Put(ctx, KeysPrefix+name, stale); err != nil {
				t.Fatal(err)
			}
			v, err := Init(ctx, s, InitOptions{Encrypt: true, Passphrase: "pass phrase", ScryptLogN: 10, FormatDoc: []byte("# doc\n")})
			if err != nil {
				t.Fatal(err)
			}
			data := []byte("a track")
			id := v.Hasher().Sum(data)
			if _, err := v.PutBlob(ctx, id, data); err != nil {
				t.Fatal(err)
			}
			v2, err := Open(ctx, s, pass("pass phrase"))
			if err != nil {
				t.Fatalf("open with a stale key file %s beside the vault's: %v", name, err)
			}
			if got, err := v2.GetBlob(ctx, id); err != nil || string(got) != string(data) {
				t.Fatalf("GetBlob: %q, %v", got, err)
			}
		})
	}
}

// A key file the passphrase opens that is not the vault's, with no other,
// is still refused as not matching.
func TestForeignKeyFileAloneRefused(t *testing.T) {
	ctx := context.Background()
	s, _ := initVault(t, true)
	other, _ := initVault(t, true)
	for info, err := range s.List(ctx, KeysPrefix) {
		if err != nil {
			t.Fatal(err)
		}
		s.Delete(ctx, info.Key)
	}
	for info, err := range other.List(ctx, KeysPrefix) {
		if err != nil {
			t.Fatal(err)
		}
		b, _ := store.ReadAll(ctx, other, info.Key)
		s.Put(ctx, info.Key, b)
	}
	var fe *FormatError
	if _, err := Open(ctx, s, pass("pass phrase")); !errors.As(err, &fe) {
		t.Fatalf("open with another vault's key file: %v", err)
	}
}
