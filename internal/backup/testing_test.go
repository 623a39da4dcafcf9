package backup

import (
	"context"
	"crypto/sha256"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/tunesafe/tunesafe/internal/chunker"
	"github.com/tunesafe/tunesafe/internal/restore"
	"github.com/tunesafe/tunesafe/internal/split"
	"github.com/tunesafe/tunesafe/internal/state"
	"github.com/tunesafe/tunesafe/internal/store"
	"github.com/tunesafe/tunesafe/internal/store/memstore"
	"github.com/tunesafe/tunesafe/internal/vault"
)

// smallChunks keep test files multi-blob without megabytes of data.
var smallChunks = chunker.Params{Min: 4 << 10, Avg: 16 << 10, Max: 64 << 10}

// fixture is a vault in memory with a cache on disk.
type fixture struct {
	t     *testing.T
	store store.Store
	vault *vault.Vault
	db    *state.DB
	cache *state.Cache
	dir   string
}

func newFixture(t *testing.T, encrypt bool) *fixture {
	t.Helper()
	return newFixtureWith(t, encrypt, smallChunks)
}

// newFixtureWith makes a fixture whose vault chunks with p.
func newFixtureWith(t *testing.T, encrypt bool, p chunker.Params) *fixture {
	t.Helper()
	s := &memstore.Store{}
	v, err := vault.Init(context.Background(), s, vault.InitOptions{Encrypt: encrypt, Passphrase: "test passphrase", ScryptLogN: 10, Chunker: p})
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{t: t, store: s, vault: v, dir: t.TempDir()}
	f.openCache()
	return f
}

func (f *fixture) openCache() {
	db, err := state.Open(filepath.Join(f.dir, "cache.db"))
	if err != nil {
		f.t.Fatal(err)
	}
	f.t.Cleanup(func() { db.Close() })
	f.db, f.cache = db, db.Vault(f.vault.Config().ID)
}

// dropCache deletes the cache database, as on a new computer.
func (f *fixture) dropCache() {
	f.db.Close()
	for _, suffix := range []string{"", "-wal", "-shm"} {
		os.Remove(filepath.Join(f.dir, "cache.db"+suffix))
	}
	f.openCache()
}

func (f *fixture) backup(o Options) *Result {
	f.t.Helper()
	o.CheckpointEvery = -1
	res, err := Run(context.Background(), f.vault, f.cache, o)
	if err != nil {
		f.t.Fatalf("backup: %v", err)
	}
	return res
}

// backupClean runs a backup that must finish without warnings.
func (f *fixture) backupClean(o Options) *Result {
	f.t.Helper()
	res := f.backup(o)
	if len(res.Warnings) != 0 {
		f.t.Fatalf("warnings: %v", res.Warnings)
	}
	return res
}

// restoreSame restores the snapshot, with the rebuilders rb, into a new
// folder and checks that the folder src came back exact.
func (f *fixture) restoreSame(snapshot, src string, rb map[string]split.Rebuilder) {
	f.t.Helper()
	out, err := os.MkdirTemp(f.dir, "restore-")
	if err != nil {
		f.t.Fatal(err)
	}
	if _, err := restoreLayouts(f, snapshot, out, rb); err != nil {
		f.t.Fatalf("restore: %v", err)
	}
	sameTree(f.t, src, filepath.Join(out, filepath.Base(src)))
}

func (f *fixture) restore(snapshot string, to string) *restore.Result {
	f.t.Helper()
	id, err := vault.ParseID(snapshot)
	if err != nil {
		f.t.Fatal(err)
	}
	s, err := f.vault.GetSnapshot(context.Background(), id)
	if err != nil {
		f.t.Fatal(err)
	}
	res, err := restore.Run(context.Background(), f.vault, s, restore.Options{To: to})
	if err != nil {
		f.t.Fatalf("restore: %v", err)
	}
	return res
}

// countObjects counts stored objects under a prefix.
func (f *fixture) countObjects(prefix string) int {
	n := 0
	for _, err := range f.store.List(context.Background(), prefix) {
		if err != nil {
			f.t.Fatal(err)
		}
		n++
	}
	return n
}

func randomBytes(seed uint64, n int) []byte {
	r := rand.New(rand.NewPCG(seed, 7))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

func writeFile(t *testing.T, p string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// sameTree fails unless b holds exactly a's names, contents, modes, mtimes
// of files, and symlink targets.
func sameTree(t *testing.T, a, b string) {
	t.Helper()
	n := 0
	filepath.WalkDir(a, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			t.Fatal(err)
		}
		rel, _ := filepath.Rel(a, p)
		q := filepath.Join(b, rel)
		fa, _ := os.Lstat(p)
		fb, err := os.Lstat(q)
		if err != nil {
			t.Fatalf("%s missing after restore", rel)
		}
		n++
		if fa.Mode() != fb.Mode() {
			t.Errorf("%s: mode %v, want %v", rel, fb.Mode(), fa.Mode())
		}
		if fa.Mode().IsRegular() {
			if !fa.ModTime().Equal(fb.ModTime()) {
				t.Errorf("%s: mtime %v, want %v", rel, fb.ModTime(), fa.ModTime())
			}
			if hashOf(t, p) != hashOf(t, q) {
				t.Errorf("%s: content differs", rel)
			}
		}
		if fa.Mode()&fs.ModeSymlink != 0 {
			x, _ := os.Readlink(p)
			y, _ := os.Readlink(q)
			if x != y {
				t.Errorf("%s: target %q, want %q", rel, y, x)
			}
		}
		return nil
	})
	m := 0
	filepath.WalkDir(b, func(string, fs.DirEntry, error) error { m++; return nil })
	if m != n {
		t.Errorf("restore has %d entries, source %d", m, n)
	}
}

func hashOf(t *testing.T, p string) [32]byte {
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h := sha256.New()
	io.Copy(h, f)
	var s [32]byte
	h.Sum(s[:0])
	return s
}

func restoreLayouts(f *fixture, snapshot, to string, rb map[string]split.Rebuilder) (int64, error) {
	id, err := vault.ParseID(snapshot)
	if err != nil {
		return 0, err
	}
	s, err := f.vault.GetSnapshot(context.Background(), id)
	if err != nil {
		return 0, err
	}
	res, err := restore.Run(context.Background(), f.vault, s, restore.Options{To: to, Rebuilders: rb})
	if err != nil {
		return 0, err
	}
	return res.Restored, nil
}
