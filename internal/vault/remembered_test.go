package vault

import (
	"bytes"
	"context"
	"errors"
	"testing"
)

// counted returns a passphrase function and the number of times it was
// called.
func counted(p string) (func() (string, error), *int) {
	n := 0
	return func() (string, error) { n++; return p, nil }, &n
}

// A vault opened with its remembered id-key writes what a fully opened one
// writes, asks for the passphrase only to decrypt, and then reads.
func TestOpenRemembered(t *testing.T) {
	ctx := context.Background()
	s, full := initVault(t, true)
	idKey := full.Keys().IDKey
	remember := func(id string) []byte {
		if id != full.Config().ID {
			t.Fatalf("asked for vault %s", id)
		}
		return idKey
	}
	passphrase, calls := counted("pass phrase")
	v, err := OpenWith(ctx, s, OpenOptions{Passphrase: passphrase, RememberedIDKey: remember})
	if err != nil {
		t.Fatal(err)
	}
	data := []byte("the new tag bytes")
	id := v.Hasher().Sum(data)
	if id != full.Hasher().Sum(data) {
		t.Fatal("content IDs differ from the fully opened vault's")
	}
	if _, err := v.PutBlob(ctx, id, data); err != nil {
		t.Fatal(err)
	}
	tree, err := v.EncodeTree(&Tree{Nodes: []Node{{Name: "a", Type: TypeFile, Blobs: []ID{id}}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.PutTree(ctx, tree); err != nil {
		t.Fatal(err)
	}
	if *calls != 0 || v.Keys() != nil {
		t.Fatalf("writing asked for the passphrase %d times", *calls)
	}
	// The fully opened vault reads what the remembered one wrote.
	if got, err := full.GetBlob(ctx, id); err != nil || !bytes.Equal(got, data) {
		t.Fatalf("read back: %q, %v", got, err)
	}
	// Reading opens the key files, once.
	if got, err := v.GetBlob(ctx, id); err != nil || !bytes.Equal(got, data) {
		t.Fatalf("remembered read: %q, %v", got, err)
	}
	if _, err := v.GetTree(ctx, tree.ID); err != nil {
		t.Fatal(err)
	}
	if *calls != 1 || v.Keys() == nil {
		t.Fatalf("passphrase asked %d times, keys %v", *calls, v.Keys())
	}
}

// A wrong passphrase surfaces as ErrWrongPassphrase when something must be
// decrypted, not as damage to the object, and is not asked again.
func TestOpenRememberedWrongPassphrase(t *testing.T) {
	ctx := context.Background()
	s, full := initVault(t, true)
	data := []byte("x")
	id := full.Hasher().Sum(data)
	full.PutBlob(ctx, id, data)
	passphrase, calls := counted("not the passphrase")
	v, err := OpenWith(ctx, s, OpenOptions{Passphrase: passphrase, RememberedIDKey: func(string) []byte { return full.Keys().IDKey }})
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		_, err := v.GetBlob(ctx, id)
		var ce *CorruptError
		if !errors.Is(err, ErrWrongPassphrase) || errors.As(err, &ce) {
			t.Fatalf("read with a wrong passphrase: %v", err)
		}
	}
	if *calls != 1 {
		t.Fatalf("passphrase asked %d times", *calls)
	}
	if err := v.ChangePassphrase(ctx, "new one", 10); !errors.Is(err, ErrWrongPassphrase) {
		t.Fatalf("passwd with a wrong passphrase: %v", err)
	}
}

// A remembered key that is not the vault's is refused once the key files
// are open, and a key of the wrong length is ignored.
func TestOpenRememberedMismatch(t *testing.T) {
	ctx := context.Background()
	s, full := initVault(t, true)
	data := []byte("x")
	id := full.Hasher().Sum(data)
	full.PutBlob(ctx, id, data)
	v, err := OpenWith(ctx, s, OpenOptions{Passphrase: pass("pass phrase"), RememberedIDKey: func(string) []byte { return make([]byte, 32) }})
	if err != nil {
		t.Fatal(err)
	}
	var fe *FormatError
	if _, _, err := v.ReadBlob(ctx, id); !errors.As(err, &fe) {
		t.Fatalf("read with a wrong remembered key: %v", err)
	}
	v, err = OpenWith(ctx, s, OpenOptions{Passphrase: pass("pass phrase"), RememberedIDKey: func(string) []byte { return []byte("short") }})
	if err != nil || v.Keys() == nil {
		t.Fatalf("short remembered key: %v, keys %v", err, v.Keys())
	}
}

// The key files are read when first needed, with the context of the call
// that needs them: one that ended after OpenWith returned (a caller's
// opening deadline) does not make every later read fail.
func TestOpenRememberedOutlivesOpenContext(t *testing.T) {
	s, full := initVault(t, true)
	data := []byte("bytes to read later")
	id := full.Hasher().Sum(data)
	if _, err := full.PutBlob(context.Background(), id, data); err != nil {
		t.Fatal(err)
	}
	openCtx, cancel := context.WithCancel(context.Background())
	passphrase, _ := counted("pass phrase")
	v, err := OpenWith(openCtx, s, OpenOptions{Passphrase: passphrase, RememberedIDKey: func(string) []byte { return full.Keys().IDKey }})
	cancel()
	if err != nil {
		t.Fatal(err)
	}
	if got, err := v.GetBlob(context.Background(), id); err != nil || !bytes.Equal(got, data) {
		t.Fatalf("read after the opening context ended: %q, %v", got, err)
	}
}
