package repair_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/tunesafe/tunesafe/internal/repair"
	"github.com/tunesafe/tunesafe/internal/vault"
)

// Forget records as gone what nothing needs, and only that: a lost lock,
// a blob and a tree no snapshot names; never a tree or blob a snapshot
// needs, a lost snapshot, or a key file.
func TestRepairForgetsOnlyUnneeded(t *testing.T) {
	f := newFixture(t, false)
	f.write("Album/a.bin", noise(1, 1000))
	f.write("b.bin", noise(2, 1000))
	nodes := f.backup()
	ctx := t.Context()
	album := f.subtree("Album")
	f.vault.PutBlob(ctx, vault.ID{1}, []byte("stray"))
	strayTree, err := f.vault.EncodeTree(&vault.Tree{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.vault.PutTree(ctx, strayTree); err != nil {
		t.Fatal(err)
	}
	f.store.Put(ctx, "locks/copy-20261124T100000Z-ab", []byte("{}"))
	f.store.Put(ctx, "keys/k1", []byte("key"))
	snaps, err := f.vault.Snapshots(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// The file behind a blob a snapshot needs is gone.
	if err := os.Remove(filepath.Join(f.music, "b.bin")); err != nil {
		t.Fatal(err)
	}
	damage := []repair.Damage{
		f.lose(vault.BlobKey(vault.ID{1})),
		f.lose(vault.TreeKey(strayTree.ID)),
		f.lose("locks/copy-20261124T100000Z-ab"),
		f.lose(vault.BlobKey(nodes["b.bin"].Blobs[0])),
		f.lose("keys/k1"),
	}
	var forgotten []string
	opts := f.opts
	opts.Forget = func(_ context.Context, key string) error {
		forgotten = append(forgotten, key)
		return nil
	}
	res, err := repair.Run(ctx, f.vault, damage, opts)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{vault.BlobKey(vault.ID{1}), "locks/copy-20261124T100000Z-ab", vault.TreeKey(strayTree.ID)}
	slices.Sort(want)
	slices.Sort(forgotten)
	if got := keys(res.Forgotten, func(r repair.Forgotten) string { return r.Key }); !slices.Equal(got, want) || !slices.Equal(forgotten, want) {
		t.Errorf("forgotten %v (called for %v), want %v", got, forgotten, want)
	}
	unrepaired := keys(res.Unrepaired, func(u repair.Unrepaired) string { return u.Key })
	if wantU := []string{vault.BlobKey(nodes["b.bin"].Blobs[0]), "keys/k1"}; !slices.Equal(unrepaired, wantU) {
		t.Errorf("unrepaired %v, want %v", unrepaired, wantU)
	}

	// A tree a snapshot needs is kept; so is every blob while a tree
	// cannot be read; and a lost snapshot.
	for _, lose := range []func() []repair.Damage{
		func() []repair.Damage {
			return []repair.Damage{f.lose(vault.TreeKey(album)), f.lose(vault.BlobKey(vault.ID{1}))}
		},
		func() []repair.Damage { return []repair.Damage{f.lose(vault.SnapshotKey(snaps[0].ID))} },
	} {
		damage := lose()
		forgotten = nil
		res, err = repair.Run(ctx, f.vault, damage, opts)
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Forgotten) != 0 || len(forgotten) != 0 || len(res.Unrepaired) != len(damage) {
			t.Errorf("forgotten %v, unrepaired %+v", forgotten, res.Unrepaired)
		}
	}
}

// A dry run says what it would forget and forgets nothing.
func TestRepairForgetDryRun(t *testing.T) {
	f := newFixture(t, false)
	f.write("a.bin", noise(1, 1000))
	f.backup()
	opts := withDryRun(f.opts)
	called := false
	opts.Forget = func(context.Context, string) error { called = true; return nil }
	res, err := repair.Run(t.Context(), f.vault, []repair.Damage{{Key: "locks/backup-20261124T100000Z-ab", Class: "note"}}, opts)
	if err != nil {
		t.Fatal(err)
	}
	if called || len(res.Forgotten) != 1 || res.Forgotten[0].Reason != repair.ForgetCoordination {
		t.Errorf("called %v, forgotten %+v", called, res.Forgotten)
	}
}
