package repair_test

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"testing"

	"github.com/tunesafe/tunesafe/internal/repair"
	"github.com/tunesafe/tunesafe/internal/store"
	"github.com/tunesafe/tunesafe/internal/store/memstore"
	"github.com/tunesafe/tunesafe/internal/vault"
)

// A damaged object is put back from a copy that holds the bytes the log
// records, byte for byte, whatever it is (a blob, a tree, a snapshot); a
// copy holding other bytes is passed over; a blob no copy gives back is
// still cut from its local file; what neither gives back says why.
func TestRepairFromCopies(t *testing.T) {
	ctx := t.Context()
	f := newFixture(t, true)
	f.write("A/1.mp3", mp3("one", noise(1, 200<<10)))
	f.write("A/2.mp3", mp3("two", noise(2, 200<<10)))
	f.write("B/3.mp3", mp3("three", noise(3, 200<<10)))
	nodes := f.backup()
	snaps, err := f.vault.Snapshots(ctx)
	if err != nil {
		t.Fatal(err)
	}

	// The copies: a replica holding everything, and a stale one holding
	// other bytes under one key.
	replica, stale := &memstore.Store{}, &memstore.Store{}
	stored := map[string][]byte{}
	for info, err := range f.store.List(ctx, "") {
		if err != nil {
			t.Fatal(err)
		}
		b, err := store.ReadAll(ctx, f.store, info.Key)
		if err != nil {
			t.Fatal(err)
		}
		stored[info.Key] = b
		if err := replica.Put(ctx, info.Key, b); err != nil {
			t.Fatal(err)
		}
	}
	withSum := func(d repair.Damage) repair.Damage {
		sum := sha256.Sum256(stored[d.Key])
		d.SHA256 = hex.EncodeToString(sum[:])
		return d
	}
	snapKey, treeKey := vault.SnapshotKey(snaps[0].ID), vault.TreeKey(f.subtree("A"))
	blobA, blobB, blob3 := vault.BlobKey(nodes["A/1.mp3"].Blobs[1]), vault.BlobKey(nodes["A/2.mp3"].Blobs[0]), vault.BlobKey(nodes["B/3.mp3"].Blobs[1])
	if err := stale.Put(ctx, blobB, []byte("other bytes")); err != nil {
		t.Fatal(err)
	}
	// The replica lost 3.mp3's blob too: only the local file has it.
	if err := replica.Delete(ctx, blob3); err != nil {
		t.Fatal(err)
	}
	// A lock the copy holds is never put back: it is a command's.
	lock := "locks/backup-20260101T000000Z-0123456789abcdef"
	stored[lock] = []byte(`{"host":"elsewhere"}`)
	if err := replica.Put(ctx, lock, stored[lock]); err != nil {
		t.Fatal(err)
	}
	damage := []repair.Damage{
		withSum(repair.Damage{Key: lock, Class: "note"}),
		withSum(f.lose(snapKey)), withSum(f.lose(treeKey)), withSum(f.lose(blobA)), withSum(f.corrupt(blobB)), withSum(f.lose(blob3)),
		f.lose(vault.FormatKey), // the log records no SHA-256: not taken from a copy
	}
	// 3.mp3 is gone from this computer: its blob stays lost.
	if err := os.Remove(filepath.Join(f.music, "B", "3.mp3")); err != nil {
		t.Fatal(err)
	}
	o := f.opts
	o.Copies = []repair.Copy{{Name: "stale", Store: stale}, {Name: "replica", Store: replica}}
	res, err := repair.Run(ctx, f.vault, damage, o)
	if err != nil {
		t.Fatal(err)
	}
	from := map[string]string{}
	for _, r := range res.Repaired {
		from[r.Key] = r.From
	}
	for _, k := range []string{snapKey, treeKey, blobA, blobB} {
		if from[k] != "replica" {
			t.Errorf("%s repaired from %q, want the replica (repaired: %+v)", k, from[k], res.Repaired)
		}
		got, err := store.ReadAll(ctx, f.store, k)
		if err != nil || string(got) != string(stored[k]) {
			t.Errorf("%s after repair: %v; same bytes as first stored: %v", k, err, string(got) == string(stored[k]))
		}
	}
	unrepaired := map[string]repair.Unrepaired{}
	for _, u := range res.Unrepaired {
		unrepaired[u.Key] = u
	}
	u, ok := unrepaired[blob3]
	if !ok || len(u.Copies) != 2 || u.Copies[0].Problem != repair.ProblemNotInCopy || u.Copies[1].Problem != repair.ProblemNotInCopy || len(u.Files) != 1 {
		t.Errorf("3.mp3's blob: %+v (found %v), want unrepaired, tried in both copies and the file", u, ok)
	}
	if u, ok := unrepaired[vault.FormatKey]; !ok || len(u.Copies) != 2 || u.Copies[0].Problem != repair.ProblemNoRecord {
		t.Errorf("FORMAT.md: %+v (found %v), want unrepaired: no record to check a copy against", u, ok)
	}
	if _, ok := unrepaired[lock]; !ok || from[lock] != "" {
		t.Errorf("a lock was put back from a copy (repaired from %q)", from[lock])
	}
	if _, err := f.store.Stat(ctx, lock); err == nil {
		t.Error("the lock is in the vault")
	}
	// The snapshot reads again, and restores through the tree put back.
	if _, err := f.vault.GetSnapshot(ctx, snaps[0].ID); err != nil {
		t.Errorf("snapshot after repair: %v", err)
	}
	if _, err := f.vault.GetTree(ctx, f.subtree("A")); err != nil {
		t.Errorf("tree after repair: %v", err)
	}
}

// A dry run reads the copies and writes nothing.
func TestRepairFromCopiesDryRun(t *testing.T) {
	ctx := t.Context()
	f := newFixture(t, false)
	f.write("A/1.mp3", mp3("one", noise(1, 100<<10)))
	f.backup()
	snaps, err := f.vault.Snapshots(ctx)
	if err != nil {
		t.Fatal(err)
	}
	key := vault.SnapshotKey(snaps[0].ID)
	data, err := store.ReadAll(ctx, f.store, key)
	if err != nil {
		t.Fatal(err)
	}
	replica := &memstore.Store{}
	if err := replica.Put(ctx, key, data); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	d := f.lose(key)
	d.SHA256 = hex.EncodeToString(sum[:])
	o := f.opts
	o.DryRun = true
	o.Copies = []repair.Copy{{Name: "replica", Store: replica}}
	res, err := repair.Run(ctx, f.vault, []repair.Damage{d}, o)
	if err != nil || len(res.Repaired) != 1 || res.Repaired[0].From != "replica" {
		t.Fatalf("dry run: %v, %+v", err, res)
	}
	if _, err := f.store.Stat(ctx, key); err == nil {
		t.Fatal("a dry run wrote the snapshot back")
	}
}
