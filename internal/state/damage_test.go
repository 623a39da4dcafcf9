package state

import (
	"bytes"
	"path/filepath"
	"slices"
	"testing"
)

// TestForgetDamaged: the damaged objects leave the stored set, the files
// naming them are marked lost, the folders holding them or whose tree is
// damaged are dropped, with every folder above; the rest, and other
// vaults, stay.
func TestForgetDamaged(t *testing.T) {
	ctx := t.Context()
	db := openTest(t)
	c, other := db.Vault("a"), db.Vault("b")
	root := filepath.FromSlash("/home/u/Music")
	dir := func(p string) string { return filepath.Join(root, filepath.FromSlash(p)) }
	for _, v := range []*Cache{c, other} {
		b := v.Batch()
		for _, id := range []string{"lost-blob", "lost-tree", "kept"} {
			b.AddObject([]byte(id))
		}
		b.PutFile(dir("A/Album"), "1.flac", FileEntry{Node: []byte("names lost-blob")})
		b.PutFile(dir("A/Album"), "2.flac", FileEntry{Node: []byte("names kept")})
		b.PutFile(dir("B"), "3.flac", FileEntry{Node: []byte("names kept")})
		for p, tree := range map[string]string{
			"": "t-root", "A": "t-a", "A/Album": "t-album", "B": "t-b", "C": "t-c", "C/D": "lost-tree", "E": "t-e",
		} {
			b.PutDir(dir(p), DirEntry{FP: []byte("fp"), Tree: []byte(tree)})
		}
		if err := b.Commit(ctx); err != nil {
			t.Fatal(err)
		}
	}
	names := func(node []byte) bool { return bytes.Contains(node, []byte("lost-")) }
	if err := c.ForgetDamaged(ctx, [][]byte{[]byte("lost-blob"), []byte("lost-tree")}, names); err != nil {
		t.Fatal(err)
	}

	objects := func(v *Cache) []string {
		var out []string
		if err := v.Objects(ctx, func(id []byte) { out = append(out, string(id)) }); err != nil {
			t.Fatal(err)
		}
		slices.Sort(out)
		return out
	}
	if got := objects(c); !slices.Equal(got, []string{"kept"}) {
		t.Errorf("objects %v, want [kept]", got)
	}
	files, err := c.Dir(ctx, dir("A/Album"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 2 || !files["1.flac"].Lost || files["2.flac"].Lost {
		t.Errorf("files of the album: %+v, want 1.flac marked lost, 2.flac not", files)
	}
	// Stored again, the file's record is no longer lost.
	b := c.Batch()
	b.PutFile(dir("A/Album"), "1.flac", FileEntry{Node: []byte("names new-blob")})
	if err := b.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if files, _ := c.Dir(ctx, dir("A/Album")); files["1.flac"].Lost {
		t.Errorf("1.flac stored again: still lost")
	}
	dirs, err := c.Dirs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var kept []string
	for p := range dirs {
		kept = append(kept, p)
	}
	slices.Sort(kept)
	if want := []string{dir("B"), dir("E")}; !slices.Equal(kept, want) {
		t.Errorf("folders kept %v, want %v", kept, want)
	}

	if got := objects(other); len(got) != 3 {
		t.Errorf("another vault's objects: %v", got)
	}
	if dirs, _ := other.Dirs(ctx); len(dirs) != 7 {
		t.Errorf("another vault's folders: %v", dirs)
	}
	if files, _ := other.Dir(ctx, dir("A/Album")); len(files) != 2 {
		t.Errorf("another vault's files: %v", files)
	}
	if err := c.ForgetDamaged(ctx, nil, names); err != nil {
		t.Fatal(err)
	}
}
