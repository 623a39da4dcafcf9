package auditlog

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// lockedCodec seals like xorCodec but opens nothing, as an encrypted vault
// opened without its passphrase.
type lockedCodec struct{ xorCodec }

func (lockedCodec) Open([]byte) ([]byte, error) {
	return nil, Locked(errors.New("the vault is encrypted and needs a passphrase"))
}

// A computer without the vault's keys reads the records it keeps of the
// log (a scheduled check of an encrypted vault), reports the missing keys
// for what it must download, never tampering; a kept copy edited on disk
// is caught by the signed tree and not used.
func TestLockedCodecUsesKeptRecords(t *testing.T) {
	f := newFixture(t)
	opts := f.options()
	opts.Codec = xorCodec{}
	l, err := Open(t.Context(), opts)
	if err != nil {
		t.Fatal(err)
	}
	put(t, Wrap(f.store, l), "blobs/aa", "one")
	if err := l.Close(t.Context()); err != nil {
		t.Fatal(err)
	}

	opts.Codec = lockedCodec{}
	locked, err := Open(t.Context(), opts)
	if err != nil {
		t.Fatalf("open with a locked codec: %v", err)
	}
	if got := keysOf(entries(t, locked)); !slices.Equal(got, []string{"put blobs/aa ok"}) {
		t.Fatalf("entries %q", got)
	}
	var te *TamperError
	for _, err := range locked.FreshEntries(t.Context()) {
		if err == nil {
			t.Fatal("read a fresh entries object without the keys")
		}
		if !errors.Is(err, ErrLocked) || errors.As(err, &te) {
			t.Fatalf("fresh read without the keys: %v, want ErrLocked and no tampering", err)
		}
		break
	}
	locked.release()

	kept, err := filepath.Glob(filepath.Join(f.dir, entriesCacheDir, "*"+plainSuffix))
	if err != nil || len(kept) != 1 {
		t.Fatalf("kept records: %v %v", kept, err)
	}
	b, err := os.ReadFile(kept[0])
	if err != nil {
		t.Fatal(err)
	}
	edited := bytes.ReplaceAll(b, []byte("blobs/aa"), []byte("blobs/bb"))
	if bytes.Equal(edited, b) {
		t.Fatal("the kept records do not name blobs/aa")
	}
	if err := os.WriteFile(kept[0], edited, 0o600); err != nil {
		t.Fatal(err)
	}
	locked, err = Open(t.Context(), opts)
	if err != nil {
		t.Fatal(err)
	}
	defer locked.release()
	for _, err := range locked.Entries(t.Context()) {
		if !errors.Is(err, ErrLocked) || errors.As(err, &te) {
			t.Fatalf("edited kept records: %v, want ErrLocked (the copy not used) and no tampering", err)
		}
		break
	}
}
