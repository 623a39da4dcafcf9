package restore

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tunesafe/tunesafe/internal/store/memstore"
	"github.com/tunesafe/tunesafe/internal/vault"
)

// A damaged blob fails its file, which is not left under its final name,
// with a vault.CorruptError naming the blob (so that the command exits with
// its integrity code), in unencrypted and encrypted vaults alike; the other
// files are restored.
func TestDamagedBlobIsACorruptError(t *testing.T) {
	for _, encrypt := range []bool{false, true} {
		t.Run(map[bool]string{false: "plain", true: "encrypted"}[encrypt], func(t *testing.T) {
			ms := &memstore.Store{}
			ctx := context.Background()
			v, err := vault.Init(ctx, ms, vault.InitOptions{Encrypt: encrypt, Passphrase: "test", ScryptLogN: 10})
			if err != nil {
				t.Fatal(err)
			}
			f := &fixture{t: t, ctx: ctx, v: v}
			bad := f.file("bad.flac", 0o644, "head ", "audio that the provider damages", " tail")
			snap := f.snapshot(f.dir("Music", 0o755, bad, f.file("good.flac", 0o644, "good")))
			key := vault.BlobKey(bad.Blobs[1])
			stored, err := ms.Get(ctx, key, 0, -1)
			if err != nil {
				t.Fatal(err)
			}
			b := make([]byte, 4096)
			n, _ := stored.Read(b)
			b = b[:n]
			b[n/2] ^= 0x20
			if err := ms.Put(ctx, key, b); err != nil {
				t.Fatal(err)
			}
			out := t.TempDir()
			res, err := f.restore(snap, Options{To: out})
			var fe *FailedError
			var ce *vault.CorruptError
			var de *DamagedError
			if !errors.As(err, &fe) || !errors.As(err, &ce) || ce.Key != key || !strings.Contains(err.Error(), "Music/bad.flac") ||
				!errors.As(err, &de) || de.Lost {
				t.Fatalf("restore with a damaged blob: %v, want a FailedError for Music/bad.flac holding a CorruptError for %s and a DamagedError", err, key)
			}
			if res.Restored != 1 || readFile(t, filepath.Join(out, "Music", "good.flac")) != "good" {
				t.Errorf("good.flac not restored: %+v", res)
			}
			if _, err := os.Lstat(filepath.Join(out, "Music", "bad.flac")); err == nil {
				t.Error("bad.flac is under its final name")
			}
		})
	}
}
