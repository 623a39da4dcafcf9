package retain

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/tunesafe/tunesafe/internal/chunker"
	"github.com/tunesafe/tunesafe/internal/s3test"
	"github.com/tunesafe/tunesafe/internal/state"
	"github.com/tunesafe/tunesafe/internal/store"
	"github.com/tunesafe/tunesafe/internal/store/retry"
	"github.com/tunesafe/tunesafe/internal/store/s3store"
	"github.com/tunesafe/tunesafe/internal/vault"
)

const day = 24 * time.Hour

// fixture is a vault with a one-day GOVERNANCE policy in a locked bucket
// of a real server: one snapshot whose root tree holds a file of two blobs
// and a folder, a log object, and objects no snapshot needs (a blob, a lock
// and a prune marker).
type fixture struct {
	srv     s3test.Target
	cfg     s3store.Config // of the bucket, with the vault under "vault/"
	chain   store.Store    // retry over the locked S3 store, as Tunesafe stacks it
	v       *vault.Vault
	cache   *state.Cache
	needed  []string // keys of what the snapshot needs, with the config and the log
	garbage []string // keys of what it does not need
}

func newFixture(t *testing.T, srv s3test.Target) *fixture {
	t.Helper()
	ctx := t.Context()
	cfg := srv.NewLockedBucket(t)
	cfg.Prefix = "vault"
	s, err := s3store.New(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	locked, err := s.WithObjectLock(s3store.ObjectLock{Mode: s3store.Governance, Period: day})
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{srv: srv, cfg: cfg, chain: retry.Wrap(locked, retry.Policy{})}
	f.v, err = vault.Init(ctx, f.chain, vault.InitOptions{
		Chunker:    chunker.Params{Min: 1 << 10, Avg: 4 << 10, Max: 16 << 10},
		FormatDoc:  []byte("# format\n"),
		ObjectLock: &vault.ObjectLock{Mode: vault.LockGovernance, Days: 1},
	})
	if err != nil {
		t.Fatal(err)
	}
	blob := func(data string) vault.ID {
		id := f.v.Hasher().Sum([]byte(data))
		if _, err := f.v.PutBlob(ctx, id, []byte(data)); err != nil {
			t.Fatal(err)
		}
		return id
	}
	tree := func(tr *vault.Tree) vault.ID {
		enc, err := f.v.EncodeTree(tr)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.v.PutTree(ctx, enc); err != nil {
			t.Fatal(err)
		}
		return enc.ID
	}
	b1, b2, lib := blob("first half of a track"), blob("second half of a track"), blob("library view")
	sub := tree(&vault.Tree{Nodes: []vault.Node{}})
	root := tree(&vault.Tree{Nodes: []vault.Node{
		{Name: "Album", Type: vault.TypeDir, Mode: 0o755, Subtree: &sub},
		{Name: "a.mp3", Type: vault.TypeFile, Mode: 0o644, Size: 44, Blobs: []vault.ID{b1, b2}},
	}})
	snap, err := f.v.PutSnapshot(ctx, &vault.Snapshot{Time: time.Now(), Host: "test", Paths: []string{"/music"}, Tree: root, Library: []vault.ID{lib}})
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"log/checkpoint", "locks/backup-x", "prunes/x"} {
		if err := f.chain.Put(ctx, k, []byte(k)); err != nil {
			t.Fatal(err)
		}
	}
	f.needed = []string{vault.ConfigKey, vault.FormatKey, "log/checkpoint", vault.SnapshotKey(snap),
		vault.TreeKey(root), vault.TreeKey(sub), vault.BlobKey(b1), vault.BlobKey(b2), vault.BlobKey(lib)}
	f.garbage = []string{vault.BlobKey(blob("a blob no snapshot needs")), "locks/backup-x", "prunes/x"}

	db, err := state.Open(filepath.Join(t.TempDir(), "cache.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	f.cache = db.Vault(f.v.Config().ID)
	return f
}

// retainer returns the fixture's Retainer, found under its store chain,
// counting the requests made through it.
func (f *fixture) retainer(t *testing.T) *counting {
	t.Helper()
	r, ok := Find(f.chain)
	if !ok {
		t.Fatal("no Retainer under the S3 store chain")
	}
	return &counting{next: r, gets: map[string]int{}, puts: map[string]int{}}
}

// retention reads key's retention as the server keeps it.
func (f *fixture) retention(t *testing.T, key string) (string, time.Time) {
	t.Helper()
	r, _ := Find(f.chain)
	mode, until, err := r.Retention(t.Context(), key)
	if err != nil {
		t.Fatalf("retention of %s: %v", key, err)
	}
	return mode, until
}

// counting counts the requests a pass makes, per key.
type counting struct {
	next Retainer
	mu   sync.Mutex
	gets map[string]int
	puts map[string]int
}

func (c *counting) Retention(ctx context.Context, key string) (string, time.Time, error) {
	c.mu.Lock()
	c.gets[key]++
	c.mu.Unlock()
	return c.next.Retention(ctx, key)
}

func (c *counting) ExtendRetention(ctx context.Context, key, mode string, until time.Time) error {
	c.mu.Lock()
	c.puts[key]++
	c.mu.Unlock()
	return c.next.ExtendRetention(ctx, key, mode, until)
}

func (c *counting) reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	clear(c.gets)
	clear(c.puts)
}

func (c *counting) total() (gets, puts int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, n := range c.gets {
		gets += n
	}
	for _, n := range c.puts {
		puts += n
	}
	return gets, puts
}

// faulty fails the requests for one key with err.
type faulty struct {
	Retainer
	key string
	err error
}

func (f faulty) Retention(ctx context.Context, key string) (string, time.Time, error) {
	if key == f.key {
		return "", time.Time{}, f.err
	}
	return f.Retainer.Retention(ctx, key)
}

// flakyOnce fails the first read of each key with a transient error.
type flakyOnce struct {
	Retainer
	mu   sync.Mutex
	fail map[string]bool
}

func (f *flakyOnce) Retention(ctx context.Context, key string) (string, time.Time, error) {
	f.mu.Lock()
	first := !f.fail[key]
	f.fail[key] = true
	f.mu.Unlock()
	if first {
		return "", time.Time{}, store.Transient(store.KindServer, errors.New("503 SlowDown"))
	}
	return f.Retainer.Retention(ctx, key)
}

func (f *flakyOnce) failures() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.fail)
}
