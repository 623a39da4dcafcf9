package vaultcopy_test

import (
	"context"
	"iter"
	"slices"
	"testing"

	"github.com/tunesafe/tunesafe/internal/store"
	"github.com/tunesafe/tunesafe/internal/store/memstore"
	"github.com/tunesafe/tunesafe/internal/vaultcopy"
)

// An object copied earlier is not read from the source again. When the
// source loses it (or it is damaged there) while the replica still holds
// it, the copy says so, every time, in InReplicaOnly: the replica is then
// the one place left that holds it. An object the replica lacks too is a
// Problem, and not copied.
func TestCopyReportsWhatOnlyTheReplicaHolds(t *testing.T) {
	src := newSource(t, "v1")
	src.content("a", 6)
	src.put("locks/backup-1", `{"refreshed":"10:00"}`)
	src.flush()
	dest := new(memstore.Store)
	if res, err := src.copyTo(t, dest); err != nil || !res.Complete || len(res.InReplicaOnly) != 0 {
		t.Fatalf("first copy: %+v %v", res, err)
	}
	ctx := t.Context()
	// Behind the log's back, but for the lock.
	src.raw.Delete(ctx, "blobs/02/a-2")
	src.raw.Delete(ctx, "snapshots/a")
	src.raw.Put(ctx, "blobs/01/a-1", []byte("bit rot"))
	src.del("locks/backup-1") // released since the checkpoint
	want := []vaultcopy.Problem{{Key: "blobs/01/a-1", Kind: "differs"}, {Key: "blobs/02/a-2", Kind: "missing"}, {Key: "snapshots/a", Kind: "missing"}}

	res, ok, err := vaultcopy.Current(ctx, vaultcopy.Options{Source: noWrites{src.raw, t}, SourceName: src.raw.String(), Dest: noWrites{dest, t}, Log: src.log})
	if err != nil || !ok || !slices.Equal(res.InReplicaOnly, want) {
		t.Fatalf("Current: %v %v, InReplicaOnly %+v, want %+v", ok, err, res.InReplicaOnly, want)
	}
	res, err = src.copyTo(t, dest)
	if err != nil || !res.Complete || res.Copied != 0 || len(res.Problems) != 0 || !slices.Equal(res.InReplicaOnly, want) {
		t.Fatalf("copy: %+v %v, want complete with InReplicaOnly %+v", res, err, want)
	}

	// New content is copied, the lost objects are still reported; one
	// that both lost is neither copied nor the replica's to give back.
	src.content("b", 2)
	src.raw.Delete(ctx, "blobs/03/a-3")
	dest.Delete(ctx, "blobs/03/a-3")
	res, err = src.copyTo(t, dest)
	if err != nil {
		t.Fatal(err)
	}
	if res.Copied != 4 || !slices.Equal(res.InReplicaOnly, want) || !slices.Equal(res.Problems, []vaultcopy.Problem{{Key: "blobs/03/a-3", Kind: "missing"}}) || res.Complete {
		t.Fatalf("copy after new content: %+v", res)
	}
	if _, err := dest.Stat(ctx, "blobs/03/a-3"); err == nil {
		t.Fatal("an object both lost is in the replica")
	}

	// Put back from the replica (as a repair does), and the one both lost
	// recorded as gone, nothing is reported.
	for _, p := range want {
		b, err := store.ReadAll(ctx, dest, p.Key)
		if err != nil {
			t.Fatal(err)
		}
		src.raw.Put(ctx, p.Key, b)
	}
	src.del("blobs/03/a-3")
	src.flush()
	res, err = src.copyTo(t, dest)
	if err != nil || !res.Complete || len(res.InReplicaOnly) != 0 || len(res.Problems) != 0 {
		t.Fatalf("copy after repair: %+v %v", res, err)
	}
	sameObjects(t, src.raw, dest)
}

// staleList is a store whose listing misses one object, as a listing
// taken just before that object was written does.
type staleList struct {
	store.Store
	hide string
}

func (s staleList) List(ctx context.Context, prefix string) iter.Seq2[store.Info, error] {
	return func(yield func(store.Info, error) bool) {
		for info, err := range s.Store.List(ctx, prefix) {
			if err == nil && info.Key == s.hide {
				continue
			}
			if !yield(info, err) {
				return
			}
		}
	}
}

// An object the source's listing misses but the source holds is not
// reported lost.
func TestCopyAsksAgainBeforeReportingLost(t *testing.T) {
	src := newSource(t, "v1")
	src.content("a", 3)
	dest := new(memstore.Store)
	if _, err := src.copyTo(t, dest); err != nil {
		t.Fatal(err)
	}
	res, err := vaultcopy.Copy(t.Context(), vaultcopy.Options{Source: staleList{src.raw, "blobs/01/a-1"}, SourceName: src.raw.String(), Dest: dest, Log: src.log})
	if err != nil || !res.Complete || len(res.InReplicaOnly) != 0 {
		t.Fatalf("copy: %+v %v", res, err)
	}
}
