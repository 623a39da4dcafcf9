package vault

import (
	"context"
	"errors"
	"io/fs"
	"slices"
	"testing"
)

type mapCopies map[string][]byte

func (m mapCopies) Copy(_ context.Context, key string) ([]byte, bool, error) {
	b, ok := m[key]
	return b, ok, nil
}

func (m mapCopies) PutCopy(_ context.Context, key string, plain []byte) error {
	m[key] = plain
	return nil
}

// Trees, lists and snapshots read once through the copies are read again
// from them, even once the vault has lost them; content blobs never are.
func TestCopies(t *testing.T) {
	ctx := context.Background()
	s, v := initVault(t, true)
	put := func(data []byte) ID {
		id := v.Hasher().Sum(data)
		if _, err := v.PutBlob(ctx, id, data); err != nil {
			t.Fatal(err)
		}
		return id
	}
	a, b := put([]byte("audio 1")), put([]byte("audio 2"))
	list := put(EncodeList([]ID{a, b}))
	tree, _ := v.EncodeTree(&Tree{Nodes: []Node{{Name: "t.flac", Type: TypeFile, Blobs: []ID{list}, Lists: []int{0}}}})
	v.PutTree(ctx, tree)
	snap, _ := v.PutSnapshot(ctx, &Snapshot{Tree: tree.ID, Paths: []string{"/m"}})

	copies := mapCopies{}
	c := v.WithCopies(copies)
	if _, err := c.GetSnapshot(ctx, snap); err != nil {
		t.Fatal(err)
	}
	tr, err := c.GetTree(ctx, tree.ID)
	if err != nil {
		t.Fatal(err)
	}
	if ids, err := c.FileBlobs(ctx, &tr.Nodes[0]); err != nil || !slices.Equal(ids, []ID{a, b}) {
		t.Fatalf("FileBlobs = %v, %v", ids, err)
	}
	if _, err := c.GetBlob(ctx, a); err != nil {
		t.Fatal(err)
	}
	want := []string{BlobKey(list), SnapshotKey(snap), TreeKey(tree.ID)}
	var got []string
	for k := range copies {
		got = append(got, k)
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("copies of %v, want %v", got, want)
	}
	for _, k := range want {
		s.Delete(ctx, k)
	}
	if _, err := c.GetSnapshot(ctx, snap); err != nil {
		t.Fatalf("snapshot from its copy: %v", err)
	}
	if _, err := c.GetTree(ctx, tree.ID); err != nil {
		t.Fatalf("tree from its copy: %v", err)
	}
	if _, err := c.ReadList(ctx, list); err != nil {
		t.Fatalf("list from its copy: %v", err)
	}
	// Without copies, the loss shows.
	if _, err := v.GetTree(ctx, tree.ID); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("tree without copies: %v", err)
	}
}
