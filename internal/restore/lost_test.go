package restore

import (
	"context"
	"errors"
	"io"
	"path/filepath"
	"testing"

	"github.com/tunesafe/tunesafe/internal/store"
	"github.com/tunesafe/tunesafe/internal/store/memstore"
	"github.com/tunesafe/tunesafe/internal/vault"
)

// A blob the provider lost fails its file with a *DamagedError (Lost),
// so that the command says restoring again will not help; the other
// files are restored.
func TestLostBlobIsDamage(t *testing.T) {
	ms := &memstore.Store{}
	f := newFixtureOn(t, ms)
	gone := f.file("gone.mp3", 0o644, "audio the provider lost")
	snap := f.snapshot(f.dir("Music", 0o755, gone, f.file("kept.mp3", 0o644, "kept")))
	if err := ms.Delete(f.ctx, vault.BlobKey(gone.Blobs[0])); err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	res, err := f.restore(snap, Options{To: out})
	var fe *FailedError
	var de *DamagedError
	if !errors.As(err, &fe) || !errors.As(err, &de) || !de.Lost {
		t.Fatalf("restore with a lost blob: %v, want a FailedError holding a lost DamagedError", err)
	}
	if res.Restored != 1 || readFile(t, filepath.Join(out, "Music", "kept.mp3")) != "kept" {
		t.Errorf("kept.mp3 not restored: %+v", res)
	}
}

// A lost tree is damage too.
func TestLostTreeIsDamage(t *testing.T) {
	ms := &memstore.Store{}
	f := newFixtureOn(t, ms)
	sub := f.dir("Music", 0o755, f.file("a.mp3", 0o644, "a"))
	snap := f.snapshot(sub)
	if err := ms.Delete(f.ctx, vault.TreeKey(*sub.Subtree)); err != nil {
		t.Fatal(err)
	}
	_, err := f.restore(snap, Options{To: t.TempDir()})
	var de *DamagedError
	if !errors.As(err, &de) || !de.Lost {
		t.Fatalf("restore with a lost tree: %v, want a lost DamagedError", err)
	}
}

// flaky fails every read of one key with err (by default as an
// unreachable provider would).
type flaky struct {
	*memstore.Store
	key string
	err error
}

func (s flaky) Get(ctx context.Context, key string, off, n int64) (io.ReadCloser, error) {
	if key == s.key {
		if s.err != nil {
			return nil, s.err
		}
		return nil, store.Transient(store.KindUnreachable, errors.New("connection reset"))
	}
	return s.Store.Get(ctx, key, off, n)
}

// A blob the storage keeps but cannot serve (retry gave it up as
// unreadable) is damage, not lost: repair --deep stores it again.
func TestUnreadableBlobIsDamage(t *testing.T) {
	ms := &memstore.Store{}
	f := newFixtureOn(t, ms)
	n := f.file("a.mp3", 0o644, "a")
	snap := f.snapshot(n)
	unreadable := store.Permanent(store.KindUnreadable, errors.New("the storage cannot serve it"))
	v, err := vault.Open(f.ctx, flaky{ms, vault.BlobKey(n.Blobs[0]), unreadable}, nil)
	if err != nil {
		t.Fatal(err)
	}
	f.v = v
	_, err = f.restore(snap, Options{To: t.TempDir()})
	var de *DamagedError
	if !errors.As(err, &de) || de.Lost {
		t.Fatalf("restore of an unreadable blob: %v, want a DamagedError that is not Lost", err)
	}
}

// A network failure is not damage: running the restore again may help.
func TestNetworkFailureIsNotDamage(t *testing.T) {
	ms := &memstore.Store{}
	f := newFixtureOn(t, ms)
	n := f.file("a.mp3", 0o644, "a")
	snap := f.snapshot(n)
	v, err := vault.Open(f.ctx, flaky{ms, vault.BlobKey(n.Blobs[0]), nil}, nil)
	if err != nil {
		t.Fatal(err)
	}
	f.v = v
	_, err = f.restore(snap, Options{To: t.TempDir()})
	var de *DamagedError
	if err == nil || errors.As(err, &de) || store.KindOf(err) != store.KindUnreachable {
		t.Fatalf("restore over a failing network: %v, want an unreachable error that is no DamagedError", err)
	}
}
