package backup

import (
	"context"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tunesafe/tunesafe/internal/state"
	"github.com/tunesafe/tunesafe/internal/store"
	"github.com/tunesafe/tunesafe/internal/store/memstore"
	"github.com/tunesafe/tunesafe/internal/vault"
)

// gatedStore holds every upload of a blob until open is closed, as a slow
// line does: the files are read long before their pieces are sent. puts
// counts the blob uploads that reached it.
// gatedVault opens f's vault through a gatedStore, whose PUTs wait
// until open is closed.
func (f *fixture) gatedVault(t *testing.T) (*gatedStore, *vault.Vault) {
	t.Helper()
	g := &gatedStore{Store: f.store, open: make(chan struct{})}
	v, err := vault.Open(context.Background(), g, nil)
	if err != nil {
		t.Fatal(err)
	}
	return g, v
}

type gatedStore struct {
	store.Store
	open chan struct{}
	puts atomic.Int64
}

func (g *gatedStore) Put(ctx context.Context, key string, data []byte) error {
	if strings.HasPrefix(key, "blobs/") {
		g.puts.Add(1)
		select {
		case <-g.open:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return g.Store.Put(ctx, key, data)
}

// What remains is what is not yet stored, not what is not yet read.
func TestRemainingCountsBytesNotStored(t *testing.T) {
	g := &gatedStore{Store: &memstore.Store{}, open: make(chan struct{})}
	v, err := vault.Init(context.Background(), g, vault.InitOptions{ScryptLogN: 10, Chunker: smallChunks})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	db, err := state.Open(filepath.Join(dir, "cache.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	src := filepath.Join(dir, "Music")
	writeFile(t, filepath.Join(src, "a.flac"), randomBytes(1, 100<<10))
	writeFile(t, filepath.Join(src, "b.flac"), randomBytes(2, 60<<10))
	const total = 160 << 10

	p := &Progress{}
	if _, _, known := p.Remaining(); known {
		t.Fatal("remaining known before the scan")
	}
	done := make(chan error, 1)
	var res *Result
	go func() {
		var err error
		res, err = Run(context.Background(), v, db.Vault(v.Config().ID), Options{Paths: []string{src}, Progress: p, CheckpointEvery: -1})
		done <- err
	}()
	// Wait (in real time, without a bound on it) until both files are read.
	for p.BytesToRead.Load() != total || p.BytesRead.Load() < total {
		time.Sleep(5 * time.Millisecond)
	}
	files, bytes, known := p.Remaining()
	if !known || files != 2 || bytes != total {
		t.Fatalf("all read, nothing stored: remaining %d files, %d bytes (known %v); want 2 files, %d bytes", files, bytes, known, total)
	}
	close(g.open)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if files, bytes, _ := p.Remaining(); files != 0 || bytes != 0 || res.FilesRemaining != 0 || res.BytesRemaining != 0 {
		t.Fatalf("after the pass: remaining %d files, %d bytes; result %d, %d", files, bytes, res.FilesRemaining, res.BytesRemaining)
	}
}

// A pass that finds nothing changed writes no snapshot when asked not to,
// and names the snapshot that is still current.
func TestSkipIfUnchanged(t *testing.T) {
	f := newFixture(t, false)
	src := filepath.Join(f.dir, "Music")
	writeFile(t, filepath.Join(src, "a.flac"), randomBytes(1, 50<<10))
	first := f.backupClean(Options{Paths: []string{src}, Host: "h", SkipIfUnchanged: true})
	if first.Unchanged {
		t.Fatal("the first backup is unchanged")
	}
	again := f.backupClean(Options{Paths: []string{src}, Host: "h", SkipIfUnchanged: true})
	if !again.Unchanged || again.SnapshotID != first.SnapshotID || f.countObjects("snapshots/") != 1 {
		t.Fatalf("unchanged pass: %+v; %d snapshots", again, f.countObjects("snapshots/"))
	}
	// Without the option, or with other tags, or from another host, a
	// snapshot is written.
	for i, o := range []Options{
		{Paths: []string{src}, Host: "h"},
		{Paths: []string{src}, Host: "h", Tags: []string{"x"}, SkipIfUnchanged: true},
		{Paths: []string{src}, Host: "other", SkipIfUnchanged: true},
	} {
		if res := f.backupClean(o); res.Unchanged || res.SnapshotID == first.SnapshotID || f.countObjects("snapshots/") != 2+i {
			t.Fatalf("case %d: %+v; %d snapshots", i, res, f.countObjects("snapshots/"))
		}
	}
	// A change is a new snapshot.
	writeFile(t, filepath.Join(src, "b.flac"), randomBytes(2, 10<<10))
	if res := f.backupClean(Options{Paths: []string{src}, Host: "h", SkipIfUnchanged: true}); res.Unchanged {
		t.Fatalf("changed pass: %+v", res)
	}
}
