package prune

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/tunesafe/tunesafe/internal/backup"
	"github.com/tunesafe/tunesafe/internal/chunker"
	"github.com/tunesafe/tunesafe/internal/restore"
	"github.com/tunesafe/tunesafe/internal/state"
	"github.com/tunesafe/tunesafe/internal/store/memstore"
	"github.com/tunesafe/tunesafe/internal/vault"
)

func TestPruneKeepsWhatSnapshotsNeed(t *testing.T) {
	ctx := context.Background()
	s := &memstore.Store{}
	v, err := vault.Init(ctx, s, vault.InitOptions{Chunker: chunker.Params{Min: 1 << 10, Avg: 4 << 10, Max: 16 << 10}})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	db, _ := state.Open(filepath.Join(dir, "c.db"))
	defer db.Close()
	c := db.Vault(v.Config().ID)
	src := filepath.Join(dir, "Music")
	os.MkdirAll(src, 0o755)
	os.WriteFile(filepath.Join(src, "keep.mp3"), []byte(stringOf(40<<10, 'k')), 0o644)
	os.WriteFile(filepath.Join(src, "gone.mp3"), []byte(stringOf(40<<10, 'g')+"unique"), 0o644)
	first, err := backup.Run(ctx, v, c, backup.Options{Paths: []string{src}, CheckpointEvery: -1})
	if err != nil {
		t.Fatal(err)
	}
	os.Remove(filepath.Join(src, "gone.mp3"))
	second, err := backup.Run(ctx, v, c, backup.Options{Paths: []string{src}, CheckpointEvery: -1})
	if err != nil {
		t.Fatal(err)
	}
	// Nothing is unreferenced while both snapshots exist.
	res, err := Run(ctx, v, Options{})
	if err != nil || res.Deleted != 0 {
		t.Fatalf("prune with all snapshots: %+v %v", res, err)
	}
	id, _ := vault.ParseID(first.SnapshotID)
	v.DeleteSnapshot(ctx, id)
	res, err = Run(ctx, v, Options{})
	if err != nil || res.Deleted == 0 {
		t.Fatalf("prune after forget: %+v %v", res, err)
	}
	if last, _ := v.LastPrune(ctx); last == "" {
		t.Fatal("no prune marker")
	}
	// The remaining snapshot restores exactly.
	sid, _ := vault.ParseID(second.SnapshotID)
	snap, _ := v.GetSnapshot(ctx, sid)
	out := filepath.Join(dir, "out")
	if _, err := restore.Run(ctx, v, snap, restore.Options{To: out}); err != nil {
		t.Fatal(err)
	}
	// The next backup learns of the prune and re-uploads what it needs.
	os.WriteFile(filepath.Join(src, "gone.mp3"), []byte(stringOf(40<<10, 'g')+"unique"), 0o644)
	third, err := backup.Run(ctx, v, c, backup.Options{Paths: []string{src}, CheckpointEvery: -1})
	if err != nil {
		t.Fatal(err)
	}
	if third.BlobsUploaded == 0 {
		t.Fatal("blobs deleted by prune were trusted from the cache")
	}
	tid, _ := vault.ParseID(third.SnapshotID)
	snap, _ = v.GetSnapshot(ctx, tid)
	if _, err := restore.Run(ctx, v, snap, restore.Options{To: filepath.Join(dir, "out3")}); err != nil {
		t.Fatal(err)
	}
}

func stringOf(n int, c byte) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = c + byte(i%7)
	}
	return string(b)
}

// After every snapshot is forgotten and pruned, cached file nodes must not
// be trusted: the next backup stores the files again.
func TestPruneEverythingThenBackup(t *testing.T) {
	ctx := context.Background()
	s := &memstore.Store{}
	v, _ := vault.Init(ctx, s, vault.InitOptions{})
	dir := t.TempDir()
	db, _ := state.Open(filepath.Join(dir, "c.db"))
	defer db.Close()
	c := db.Vault(v.Config().ID)
	src := filepath.Join(dir, "Music")
	os.MkdirAll(src, 0o755)
	os.WriteFile(filepath.Join(src, "a.mp3"), []byte(stringOf(10<<10, 'a')), 0o644)
	first, _ := backup.Run(ctx, v, c, backup.Options{Paths: []string{src}, CheckpointEvery: -1})
	id, _ := vault.ParseID(first.SnapshotID)
	v.DeleteSnapshot(ctx, id)
	if _, err := Run(ctx, v, Options{}); err != nil {
		t.Fatal(err)
	}
	again, err := backup.Run(ctx, v, c, backup.Options{Paths: []string{src}, CheckpointEvery: -1})
	if err != nil {
		t.Fatal(err)
	}
	sid, _ := vault.ParseID(again.SnapshotID)
	snap, _ := v.GetSnapshot(ctx, sid)
	if _, err := restore.Run(ctx, v, snap, restore.Options{To: filepath.Join(dir, "out")}); err != nil {
		t.Fatalf("restore after prune-all and backup: %v", err)
	}
}
