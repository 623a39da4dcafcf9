package backup

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/tunesafe/tunesafe/internal/store"
	"github.com/tunesafe/tunesafe/internal/vault"
)

// A new cache reads every damage marker ever written. An object a marker
// names that the storage lists as written after the marker was stored
// again since (a repair): it is trusted, and not uploaded again; one
// written before it (corrupted in place) is forgotten and stored again.
func TestNewCacheTrustsObjectsStoredAgainSinceTheMarker(t *testing.T) {
	f := newFixture(t, false)
	ctx := context.Background()
	src := filepath.Join(f.dir, "Music")
	writeFile(t, filepath.Join(src, "corrupted.flac"), randomBytes(760, 10<<10))
	writeFile(t, filepath.Join(src, "repaired.flac"), randomBytes(761, 10<<10))
	res := f.backupClean(Options{Paths: []string{src}})
	blob := func(name string) vault.ID {
		sid, _ := vault.ParseID(res.SnapshotID)
		snap, err := f.vault.GetSnapshot(ctx, sid)
		if err != nil {
			t.Fatal(err)
		}
		root, _ := f.vault.GetTree(ctx, snap.Tree)
		music, _ := f.vault.GetTree(ctx, *root.Find("Music").Subtree)
		n := music.Find(name)
		if n == nil || len(n.Blobs) != 1 {
			t.Fatalf("%s: want one blob, node %+v", name, n)
		}
		return n.Blobs[0]
	}
	corrupted, repaired := blob("corrupted.flac"), blob("repaired.flac")
	good, err := store.ReadAll(ctx, f.store, vault.BlobKey(repaired))
	if err != nil {
		t.Fatal(err)
	}
	bad, _ := store.ReadAll(ctx, f.store, vault.BlobKey(corrupted))
	bad[len(bad)-1] ^= 1
	f.store.Put(ctx, vault.BlobKey(corrupted), bad)
	f.store.Put(ctx, vault.BlobKey(repaired), append([]byte(nil), good[:len(good)-1]...))
	time.Sleep(10 * time.Millisecond) // the storage's clock moves on
	if _, err := f.vault.MarkDamage(ctx, time.Now(), "checker", []vault.ID{corrupted, repaired}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(10 * time.Millisecond)
	if err := f.store.Put(ctx, vault.BlobKey(repaired), good); err != nil { // the repair
		t.Fatal(err)
	}

	f.dropCache()
	again := f.backupClean(Options{Paths: []string{src}})
	if again.BlobsUploaded != 1 {
		t.Fatalf("a new cache uploaded %d blobs, want 1: the corrupted one, not the one repaired since the marker", again.BlobsUploaded)
	}
	if b, _ := store.ReadAll(ctx, f.store, vault.BlobKey(corrupted)); string(b) == string(bad) {
		t.Fatal("the corrupted blob was not stored again")
	}
}
