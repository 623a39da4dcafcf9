package restore

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tunesafe/tunesafe/internal/store"
	"github.com/tunesafe/tunesafe/internal/store/memstore"
	"github.com/tunesafe/tunesafe/internal/vault"
)

// fixture is a vault in memory in which tests build snapshots node by node.
type fixture struct {
	t   *testing.T
	ctx context.Context
	v   *vault.Vault
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	return newFixtureOn(t, &memstore.Store{})
}

// newFixtureOn makes the vault in s.
func newFixtureOn(t *testing.T, s store.Store) *fixture {
	t.Helper()
	ctx := context.Background()
	v, err := vault.Init(ctx, s, vault.InitOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{t: t, ctx: ctx, v: v}
}

var testTime = time.Date(2001, 2, 3, 4, 5, 6, 0, time.UTC)

// file stores content as one blob per piece and returns its node.
func (f *fixture) file(name string, mode uint32, pieces ...string) vault.Node {
	f.t.Helper()
	n := vault.Node{Type: vault.TypeFile, Mode: mode, MTime: testTime}
	n.SetName(name)
	h := sha256.New()
	for _, p := range pieces {
		id := f.v.Hasher().Sum([]byte(p))
		if _, err := f.v.PutBlob(f.ctx, id, []byte(p)); err != nil {
			f.t.Fatal(err)
		}
		n.Blobs = append(n.Blobs, id)
		n.Size += int64(len(p))
		h.Write([]byte(p))
	}
	n.SHA256 = hex.EncodeToString(h.Sum(nil))
	return n
}

// dir stores a tree of nodes and returns the folder node naming it.
func (f *fixture) dir(name string, mode uint32, nodes ...vault.Node) vault.Node {
	f.t.Helper()
	id := f.tree(nodes...)
	n := vault.Node{Type: vault.TypeDir, Mode: mode, MTime: testTime, Subtree: &id}
	n.SetName(name)
	return n
}

func (f *fixture) link(name, target string) vault.Node {
	n := vault.Node{Type: vault.TypeSymlink, Mode: 0o777, MTime: testTime}
	n.SetName(name)
	n.SetTarget(target)
	return n
}

func (f *fixture) tree(nodes ...vault.Node) vault.ID {
	f.t.Helper()
	et, err := f.v.EncodeTree(&vault.Tree{Nodes: nodes})
	if err != nil {
		f.t.Fatal(err)
	}
	if _, err := f.v.PutTree(f.ctx, et); err != nil {
		f.t.Fatal(err)
	}
	return et.ID
}

// snapshot returns a snapshot whose root tree holds nodes, each a
// backed-up path (/src/NAME), as a backup of those paths records them.
func (f *fixture) snapshot(nodes ...vault.Node) *vault.Snapshot {
	f.t.Helper()
	s := &vault.Snapshot{Tree: f.tree(nodes...)}
	for _, n := range nodes {
		s.Paths = append(s.Paths, "/src/"+n.FileName())
	}
	return s
}

func (f *fixture) restore(s *vault.Snapshot, o Options) (*Result, error) {
	f.t.Helper()
	return Run(f.ctx, f.v, s, o)
}

// readFile returns a file's content, or "<missing>".
func readFile(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		return "<missing>"
	}
	return string(b)
}

// entries lists the names under dir, recursively, as slash paths.
func entries(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	filepath.Walk(dir, func(p string, _ os.FileInfo, err error) error {
		if err == nil && p != dir {
			rel, _ := filepath.Rel(dir, p)
			out = append(out, filepath.ToSlash(rel))
		}
		return nil
	})
	return out
}

// newFixtureIn makes the vault in s, encrypted or not (with a cheap KDF).
func newFixtureIn(t *testing.T, s store.Store, encrypt bool) *fixture {
	t.Helper()
	ctx := context.Background()
	v, err := vault.Init(ctx, s, vault.InitOptions{Encrypt: encrypt, Passphrase: "test", ScryptLogN: 10})
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{t: t, ctx: ctx, v: v}
}

// blobGets counts the downloads of blobs, by key.
type blobGets struct {
	store.Store
	mu   sync.Mutex
	gets map[string]int
}

func (b *blobGets) Get(ctx context.Context, key string, off, n int64) (io.ReadCloser, error) {
	if strings.HasPrefix(key, "blobs/") {
		b.mu.Lock()
		if b.gets == nil {
			b.gets = map[string]int{}
		}
		b.gets[key]++
		b.mu.Unlock()
	}
	return b.Store.Get(ctx, key, off, n)
}

// fetched returns which of ids were downloaded since the last call, and
// forgets the counts.
func (b *blobGets) fetched(ids []vault.ID) []int {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []int
	for i, id := range ids {
		if b.gets[vault.BlobKey(id)] > 0 {
			out = append(out, i)
		}
	}
	b.gets = nil
	return out
}
