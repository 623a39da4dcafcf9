package backup

import (
	"context"
	"os"
	"path"
	"path/filepath"
	"slices"
	"testing"

	"github.com/tunesafe/tunesafe/internal/chunker"
	"github.com/tunesafe/tunesafe/internal/snapdiff"
	"github.com/tunesafe/tunesafe/internal/split"
	"github.com/tunesafe/tunesafe/internal/testenv"
	"github.com/tunesafe/tunesafe/internal/vault"
)

// A track whose audio fits in one blob has it behind a list all the same,
// so that a tag edit leaves the file's lists as they were and a diff tells
// it from new audio, as for a long track. Real-world files of the corpus,
// and a short track of each other container, retagged by mutagen.
func TestShortTrackTagEditKeepsLists(t *testing.T) {
	corpus := testenv.Corpus(t, "mutagen")
	for _, name := range []string{"silence-44-s.mp3", "silence-44-s.flac", "example.opus", "short.m4a", "short.ogg"} {
		t.Run(name, func(t *testing.T) {
			f := newFixtureWith(t, true, chunker.DefaultParams)
			src := filepath.Join(f.dir, "Music")
			p := filepath.Join(src, name)
			if b, err := os.ReadFile(filepath.Join(corpus, name)); err == nil {
				writeFile(t, p, b)
			} else {
				makeTrack(t, p, len(name), 2)
			}
			audio := 0
			for _, k := range regionBlobs(t, f, p) {
				if k == split.Audio {
					audio++
				}
			}
			if audio != 1 {
				t.Fatalf("%d audio blobs: the test wants a track whose audio is one blob", audio)
			}

			first := f.backupClean(musicOptions(src))
			before := f.fileNode(first.SnapshotID, "Music", name)
			lists := before.ListIDs()
			if len(lists) != 1 {
				t.Fatalf("audio of one blob stored with lists at %v, want one list", before.Lists)
			}
			ids, err := f.vault.ReadList(context.Background(), lists[0])
			if err != nil {
				t.Fatal(err)
			}
			if len(ids) != 1 || regionBlobs(t, f, p)[ids[0].String()] != split.Audio {
				t.Fatalf("the list names %d blobs, want the one audio blob", len(ids))
			}

			mutagen(t, retag, p, "Retitled")
			stored := f.blobKeys()
			second := f.backupClean(musicOptions(src))
			after := f.fileNode(second.SnapshotID, "Music", name)
			if before.SHA256 == after.SHA256 {
				t.Fatal("the tag edit left the file as it was")
			}
			if !slices.Equal(after.ListIDs(), lists) {
				t.Fatalf("lists after the tag edit %v, before %v", after.ListIDs(), lists)
			}
			kinds := regionBlobs(t, f, p)
			for key := range f.blobKeys() {
				if k, ok := kinds[path.Base(key)]; !stored[key] && (!ok || !k.Metadata()) {
					t.Errorf("the tag edit stored %s, not a blob of tags", key)
				}
			}
			if got := f.diff(first.SnapshotID, second.SnapshotID); !slices.Equal(got, []string{"modified Music/" + name + " tags"}) {
				t.Fatalf("diff: %v", got)
			}
			f.restoreSame(second.SnapshotID, src, musicOptions().Rebuilders)

			// The entry as earlier versions wrote it, the audio blob named
			// directly, against the retagged one: a tag edit too, either way.
			old := *before
			old.Blobs, old.Lists = slices.Clone(old.Blobs), nil
			old.Blobs[before.Lists[0]] = ids[0]
			oldTree, newTree := f.putTree(old), f.putTree(*after)
			for _, c := range [][2]vault.ID{{oldTree, newTree}, {newTree, oldTree}} {
				if got := f.diffTrees(c[0], c[1]); !slices.Equal(got, []string{"modified " + name + " tags"}) {
					t.Fatalf("diff with the entry of an earlier version: %v", got)
				}
			}
		})
	}
}

// putTree stores a tree of the entries nodes and returns its ID.
func (f *fixture) putTree(nodes ...vault.Node) vault.ID {
	f.t.Helper()
	et, err := f.vault.EncodeTree(&vault.Tree{Nodes: nodes})
	if err != nil {
		f.t.Fatal(err)
	}
	if _, err := f.vault.PutTree(context.Background(), et); err != nil {
		f.t.Fatal(err)
	}
	return et.ID
}

// blobKeys returns the keys of the blobs stored.
func (f *fixture) blobKeys() map[string]bool {
	keys := map[string]bool{}
	for info, err := range f.store.List(context.Background(), "blobs/") {
		if err != nil {
			f.t.Fatal(err)
		}
		keys[info.Key] = true
	}
	return keys
}

// fileNode returns the entry at the path elems of a snapshot.
func (f *fixture) fileNode(snapshot string, elems ...string) *vault.Node {
	f.t.Helper()
	ctx := context.Background()
	id, err := vault.ParseID(snapshot)
	if err != nil {
		f.t.Fatal(err)
	}
	s, err := f.vault.GetSnapshot(ctx, id)
	if err != nil {
		f.t.Fatal(err)
	}
	tree := s.Tree
	for i, name := range elems {
		t, err := f.vault.GetTree(ctx, tree)
		if err != nil {
			f.t.Fatal(err)
		}
		k := slices.IndexFunc(t.Nodes, func(n vault.Node) bool { return n.FileName() == name })
		if k < 0 {
			f.t.Fatalf("%s not in the snapshot", filepath.Join(elems[:i+1]...))
		}
		if i == len(elems)-1 {
			return &t.Nodes[k]
		}
		tree = *t.Nodes[k].Subtree
	}
	return nil
}

// diff returns the changes between two snapshots as "kind path what".
func (f *fixture) diff(from, to string) []string {
	f.t.Helper()
	tree := func(s string) vault.ID {
		id, err := vault.ParseID(s)
		if err != nil {
			f.t.Fatal(err)
		}
		snap, err := f.vault.GetSnapshot(context.Background(), id)
		if err != nil {
			f.t.Fatal(err)
		}
		return snap.Tree
	}
	return f.diffTrees(tree(from), tree(to))
}

// diffTrees returns the changes between two trees as "kind path what".
func (f *fixture) diffTrees(from, to vault.ID) []string {
	f.t.Helper()
	var out []string
	err := snapdiff.Diff(context.Background(), f.vault, from, to, func(c snapdiff.Change) error {
		out = append(out, string(c.Kind)+" "+c.Path+" "+string(c.What))
		return nil
	})
	if err != nil {
		f.t.Fatal(err)
	}
	return out
}
