package repair_test

import (
	"context"
	"sync/atomic"
	"testing"

	"github.com/tunesafe/tunesafe/internal/backup"
	"github.com/tunesafe/tunesafe/internal/vault"
)

// countingLists counts the lists ForgetDamaged reads.
type countingLists struct {
	v *vault.Vault
	n atomic.Int64
}

func (c *countingLists) ReadList(ctx context.Context, id vault.ID) ([]vault.ID, error) {
	c.n.Add(1)
	return c.v.ReadList(ctx, id)
}

// A piece of a track's audio that only a list names, lost, is stored again
// by the next backup once the cache forgets it: the track is read again,
// though its entry names only the list. The lists are read to find it,
// and not at all when every damaged ID is named by an entry or a folder.
func TestBackupStoresLostPieceOfList(t *testing.T) {
	f := newFixture(t, true)
	ctx := t.Context()
	f.write("Album/track.mp3", mp3("Finlandia", noise(6, 300<<10)))
	f.write("Album/other.mp3", mp3("Valse triste", noise(7, 300<<10)))
	n := f.backupNodes()["Album/track.mp3"]
	lists := n.ListIDs()
	if len(lists) != 1 {
		t.Fatalf("track stored with lists %v, want one for its audio", lists)
	}
	pieces, err := f.vault.ReadList(ctx, lists[0])
	if err != nil || len(pieces) < 2 {
		t.Fatalf("the list names %v (%v), want several pieces", pieces, err)
	}
	lost := pieces[1]
	f.lose(vault.BlobKey(lost))

	// A damaged tree alone: no list is read.
	reader := &countingLists{v: f.vault}
	if err := backup.ForgetDamaged(ctx, f.cache, reader, []vault.ID{f.subtree("Album")}); err != nil {
		t.Fatal(err)
	}
	if reader.n.Load() != 0 {
		t.Errorf("%d lists read for a damaged tree", reader.n.Load())
	}

	if err := backup.ForgetDamaged(ctx, f.cache, reader, []vault.ID{lost}); err != nil {
		t.Fatal(err)
	}
	if got := reader.n.Load(); got != 2 {
		t.Errorf("%d lists read, want the two tracks' lists once each", got)
	}
	f.backupNodes()
	if !f.intact(lost) {
		t.Fatal("the lost piece of the track's audio is not stored again")
	}
}
