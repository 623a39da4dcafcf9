package vault

import (
	"context"
	"errors"
	"io"
	"iter"
	"testing"

	"github.com/tunesafe/tunesafe/internal/store"
)

// requests counts the requests made through a store.
type requests struct {
	store.Store
	lists, gets int
}

func (r *requests) List(ctx context.Context, prefix string) iter.Seq2[store.Info, error] {
	r.lists++
	return r.Store.List(ctx, prefix)
}

func (r *requests) Get(ctx context.Context, key string, offset, length int64) (io.ReadCloser, error) {
	r.gets++
	return r.Store.Get(ctx, key, offset, length)
}

// deleteKeyFiles deletes every key file, as a provider that lost them.
func deleteKeyFiles(t *testing.T, s store.Store) {
	t.Helper()
	ctx := context.Background()
	var keys []string
	for info, err := range s.List(ctx, KeysPrefix) {
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, info.Key)
	}
	if len(keys) == 0 {
		t.Fatal("no key file to delete")
	}
	for _, k := range keys {
		if err := s.Delete(ctx, k); err != nil {
			t.Fatal(err)
		}
	}
}

// A vault whose key files are gone, opened with a remembered id-key:
// CheckKeyFiles finds it at once for one LIST and no GET; without it the
// vault opens and says so only when something must be decrypted. No
// passphrase is asked for, since none would help.
func TestOpenRememberedKeyFilesLost(t *testing.T) {
	ctx := context.Background()
	s, full := initVault(t, true)
	data := []byte("a track")
	id := full.Hasher().Sum(data)
	if _, err := full.PutBlob(ctx, id, data); err != nil {
		t.Fatal(err)
	}
	idKey := full.Keys().IDKey
	remember := func(string) []byte { return idKey }

	// Key files present: CheckKeyFiles costs one LIST, no GET, and asks
	// for nothing.
	r := &requests{Store: s}
	passphrase, calls := counted("pass phrase")
	if _, err := OpenWith(ctx, r, OpenOptions{Passphrase: passphrase, RememberedIDKey: remember, CheckKeyFiles: true}); err != nil {
		t.Fatal(err)
	}
	if r.lists != 1 || r.gets != 1 || *calls != 0 { // the GET is tunesafe.json
		t.Fatalf("open with the key files there: %d LIST, %d GET, passphrase asked %d times; want 1, 1, 0", r.lists, r.gets, *calls)
	}

	deleteKeyFiles(t, s)
	r = &requests{Store: s}
	if _, err := OpenWith(ctx, r, OpenOptions{Passphrase: passphrase, RememberedIDKey: remember, CheckKeyFiles: true}); !errors.Is(err, ErrNoKeyFile) {
		t.Fatalf("CheckKeyFiles: %v, want ErrNoKeyFile", err)
	}
	if r.lists != 1 || *calls != 0 {
		t.Fatalf("CheckKeyFiles made %d LIST, asked for the passphrase %d times; want 1 and 0", r.lists, *calls)
	}

	// Without CheckKeyFiles (a command that only reads): found on first
	// need, without asking for a passphrase.
	v, err := OpenWith(ctx, s, OpenOptions{Passphrase: passphrase, RememberedIDKey: remember})
	if err != nil {
		t.Fatalf("open without CheckKeyFiles: %v", err)
	}
	if _, err := v.GetBlob(ctx, id); !errors.Is(err, ErrNoKeyFile) {
		t.Fatalf("read: %v, want ErrNoKeyFile", err)
	}
	if err := v.Unlock(); !errors.Is(err, ErrNoKeyFile) {
		t.Fatalf("Unlock: %v, want ErrNoKeyFile", err)
	}
	if *calls != 0 {
		t.Fatalf("passphrase asked %d times for a vault without key files", *calls)
	}
	if err := v.ChangePassphrase(ctx, "a new pass phrase", 10); !errors.Is(err, ErrNoKeyFile) {
		t.Fatalf("ChangePassphrase: %v, want ErrNoKeyFile", err)
	}

	// Nothing remembered: the same, with or without a passphrase.
	for _, p := range []func() (string, error){nil, passphrase} {
		if _, err := OpenWith(ctx, s, OpenOptions{Passphrase: p}); !errors.Is(err, ErrNoKeyFile) {
			t.Fatalf("open with its passphrase: %v, want ErrNoKeyFile", err)
		}
	}
	if *calls != 0 {
		t.Fatalf("passphrase asked %d times for a vault without key files", *calls)
	}
}

// A person who mistypes the passphrase at a prompt tries again without
// the key files being read again.
func TestAskAgainReadsKeyFilesOnce(t *testing.T) {
	ctx := context.Background()
	s, _ := initVault(t, true)
	r := &requests{Store: s}
	p, calls := typed("wrong", "wrong again", "pass phrase")
	if _, err := OpenWith(ctx, r, OpenOptions{Passphrase: p, AskAgain: func(int) bool { return true }}); err != nil {
		t.Fatal(err)
	}
	if *calls != 3 || r.lists != 1 || r.gets != 2 { // tunesafe.json and the key file
		t.Fatalf("three tries: passphrase asked %d times, %d LIST, %d GET; want 3, 1, 2", *calls, r.lists, r.gets)
	}
}
