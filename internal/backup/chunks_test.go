package backup

import (
	"bytes"
	"context"
	"path/filepath"
	"slices"
	"testing"

	"github.com/tunesafe/tunesafe/internal/testenv"
	"github.com/tunesafe/tunesafe/internal/vault"
)

// checkFileChunks walks a snapshot and checks that FileChunks, run on each
// file's source, cuts it into exactly the blobs the backup stored, with
// exactly their bytes.
func checkFileChunks(t *testing.T, f *fixture, snapshot string, o Options) (files, layouts int) {
	t.Helper()
	ctx := context.Background()
	id, err := vault.ParseID(snapshot)
	if err != nil {
		t.Fatal(err)
	}
	snap, err := f.vault.GetSnapshot(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	var walk func(tree vault.ID, dir string)
	walk = func(tree vault.ID, dir string) {
		tr, err := f.vault.GetTree(ctx, tree)
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range tr.Nodes {
			p := filepath.Join(dir, n.FileName())
			if dir == "" {
				p = SourcePath(snap, n.FileName())
			}
			switch n.Type {
			case vault.TypeDir:
				walk(*n.Subtree, p)
			case vault.TypeFile:
				files++
				var got []vault.ID
				node, err := FileChunks(f.vault, o.Splitter, o.Rebuilders, p, func(id vault.ID, data []byte) error {
					stored, err := f.vault.GetBlob(ctx, id)
					if err != nil {
						t.Errorf("%s: blob %s: %v", p, id, err)
					} else if !bytes.Equal(stored, data) {
						t.Errorf("%s: blob %s holds other bytes", p, id)
					}
					got = append(got, id)
					return nil
				})
				if err != nil {
					t.Fatalf("%s: %v", p, err)
				}
				// Each list comes after the blobs it names.
				var want []vault.ID
				for i, id := range n.Blobs {
					if n.IsList(i) {
						named, err := f.vault.ReadList(ctx, id)
						if err != nil {
							t.Fatalf("%s: %v", p, err)
						}
						want = append(want, named...)
					}
					want = append(want, id)
				}
				if !slices.Equal(node.Blobs, n.Blobs) || !slices.Equal(node.Lists, n.Lists) || !slices.Equal(got, want) {
					t.Errorf("%s: %d blobs (lists %v), the backup stored %d (lists %v), or others", p, len(node.Blobs), node.Lists, len(n.Blobs), n.Lists)
				}
				if n.Layout != "" {
					layouts++
				}
				if node.SHA256 != n.SHA256 || node.Size != n.Size || node.Layout != n.Layout {
					t.Errorf("%s: sha256 %s size %d layout %q; backup: %s %d %q", p, node.SHA256, node.Size, node.Layout, n.SHA256, n.Size, n.Layout)
				}
			}
		}
	}
	walk(snap.Tree, "")
	return files, layouts
}

// FileChunks reproduces the backup's blobs for every real-world file of
// both corpora (stored-stream layouts included) through the music-aware
// splitter.
func TestFileChunksMatchesBackup(t *testing.T) {
	for _, corpus := range []string{"mutagen", "taglib"} {
		t.Run(corpus, func(t *testing.T) {
			f := newFixture(t, true)
			o := musicOptions(testenv.Corpus(t, corpus))
			res := f.backup(o)
			files, layouts := checkFileChunks(t, f, res.SnapshotID, o)
			if files == 0 || layouts == 0 {
				t.Fatalf("checked %d files, %d with a layout: want some of each", files, layouts)
			}
		})
	}
}

// Plain chunking, and files backed up from outside the source paths,
// whose root entry SourcePath maps back to the filesystem root.
func TestFileChunksPlain(t *testing.T) {
	f := newFixture(t, false)
	src := filepath.Join(f.dir, "Music")
	other := filepath.Join(f.dir, "Elsewhere")
	writeFile(t, filepath.Join(src, "big.bin"), randomBytes(1, 300<<10))
	writeFile(t, filepath.Join(src, "sub", "small.bin"), randomBytes(2, 100))
	writeFile(t, filepath.Join(src, "empty.bin"), nil)
	writeFile(t, filepath.Join(other, "out.bin"), randomBytes(3, 90<<10))
	o := Options{Paths: []string{src}, Files: []string{filepath.Join(other, "out.bin")}}
	res := f.backup(o)
	if files, _ := checkFileChunks(t, f, res.SnapshotID, o); files != 4 {
		t.Fatalf("checked %d files, want 4", files)
	}
}
