package prune

import (
	"context"
	"errors"
	"io/fs"
	"testing"
	"time"

	"github.com/tunesafe/tunesafe/internal/chunker"
	"github.com/tunesafe/tunesafe/internal/store"
	"github.com/tunesafe/tunesafe/internal/store/memstore"
	"github.com/tunesafe/tunesafe/internal/vault"
)

// Unreferenced objects stay while their retention runs and go once it has
// ended; an object whose retention cannot be checked stays.
func TestLockKeeper(t *testing.T) {
	ctx := context.Background()
	s := &memstore.Store{}
	v, err := vault.Init(ctx, s, vault.InitOptions{Chunker: chunker.Params{Min: 1 << 10, Avg: 4 << 10, Max: 16 << 10}})
	if err != nil {
		t.Fatal(err)
	}
	var ids []vault.ID
	for i := range 3 {
		id := vault.ID{byte(i + 1)}
		if _, err := v.PutBlob(ctx, id, []byte{byte(i)}); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	written := time.Now()
	period := 30 * 24 * time.Hour

	k := &LockKeeper{Store: s, Period: period}
	res, err := Run(ctx, v, Options{Keep: k.Keep(ctx)})
	if err != nil || res.Deleted != 0 || res.Unreferenced != 0 || k.Err() != nil {
		t.Fatalf("prune under retention: %+v, %v, %v", res, err, k.Err())
	}
	kept := k.Kept()
	if len(kept) != 3 {
		t.Fatalf("kept %+v, want the 3 blobs", kept)
	}
	for _, r := range kept {
		if d := r.Until.Sub(written.Add(period)); d > time.Second || d < -time.Minute || r.Until.Location() != time.UTC {
			t.Errorf("%s kept until %v, want about %v", r.Key, r.Until, written.Add(period))
		}
	}

	// A Stat that fails keeps the object and reports why.
	broken := &LockKeeper{Store: failingStat{s}, Period: period}
	res, err = Run(ctx, v, Options{Keep: broken.Keep(ctx)})
	if err != nil || res.Deleted != 0 || broken.Err() == nil {
		t.Fatalf("prune with failing stats: %+v, %v, %v", res, err, broken.Err())
	}

	later := &LockKeeper{Store: s, Period: period, Now: func() time.Time { return written.Add(period + time.Minute) }}
	res, err = Run(ctx, v, Options{Keep: later.Keep(ctx)})
	if err != nil || res.Deleted != 3 || len(later.Kept()) != 0 {
		t.Fatalf("prune after retention: %+v, %v, %+v", res, err, later.Kept())
	}
	for _, id := range ids {
		if _, err := s.Stat(ctx, vault.BlobKey(id)); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("%s survived its retention: %v", id, err)
		}
	}
}

type failingStat struct{ store.Store }

func (failingStat) Stat(context.Context, string) (store.Info, error) {
	return store.Info{}, store.Transient(store.KindUnreachable, errors.New("unreachable"))
}

// A retain-until date known to be later than the estimate (an extension
// by the retention pass) keeps the object until then.
func TestLockKeeperKnown(t *testing.T) {
	ctx := context.Background()
	s := &memstore.Store{}
	v, err := vault.Init(ctx, s, vault.InitOptions{Chunker: chunker.Params{Min: 1 << 10, Avg: 4 << 10, Max: 16 << 10}})
	if err != nil {
		t.Fatal(err)
	}
	extended, plain := vault.ID{1}, vault.ID{2}
	for _, id := range []vault.ID{extended, plain} {
		if _, err := v.PutBlob(ctx, id, id[:1]); err != nil {
			t.Fatal(err)
		}
	}
	period := 24 * time.Hour
	afterEstimate := time.Now().Add(period + time.Hour)
	k := &LockKeeper{
		Store: s, Period: period,
		Known: map[string]time.Time{vault.BlobKey(extended): afterEstimate.Add(time.Hour), vault.BlobKey(plain): afterEstimate.Add(-2 * period)},
		Now:   func() time.Time { return afterEstimate },
	}
	res, err := Run(ctx, v, Options{Keep: k.Keep(ctx)})
	if err != nil || res.Deleted != 1 {
		t.Fatalf("prune: %+v, %v", res, err)
	}
	kept := k.Kept()
	if len(kept) != 1 || kept[0].Key != vault.BlobKey(extended) || !kept[0].Until.Equal(afterEstimate.Add(time.Hour).UTC()) {
		t.Fatalf("kept %+v, want the extended blob until its known date", kept)
	}
}
