package auditlog

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"iter"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/tunesafe/tunesafe/internal/store"
	"github.com/tunesafe/tunesafe/internal/store/memstore"
)

// fixture is a vault (a memory store) and one computer's state directory.
type fixture struct {
	t        testing.TB
	store    store.Store
	mem      *memstore.Store
	dir      string
	signer   note.Signer
	verifier note.Verifier
	clock    *clock
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	return newFixtureIn(t, t.TempDir())
}

// newFixtureIn is newFixture with its state in dir, for a process that
// dies without running the test's cleanups.
func newFixtureIn(t testing.TB, dir string) *fixture {
	t.Helper()
	skey, _ := TestKey(t, "")
	s, v, err := NewSigner(skey)
	if err != nil {
		t.Fatal(err)
	}
	mem := new(memstore.Store)
	return &fixture{t: t, store: mem, mem: mem, dir: dir, signer: s, verifier: v,
		clock: &clock{t: time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)}}
}

func (f *fixture) options() Options {
	return Options{Store: f.store, Signer: f.signer, Verifier: f.verifier, StateDir: f.dir, Host: "laptop", Now: f.clock.now}
}

// open opens the log; the test fails on error.
func (f *fixture) open() *Log {
	f.t.Helper()
	l, err := Open(f.t.Context(), f.options())
	if err != nil {
		f.t.Fatal(err)
	}
	f.t.Cleanup(l.release)
	return l
}

// tryOpen opens the log and returns the error.
func (f *fixture) tryOpen() (*Log, error) {
	l, err := Open(f.t.Context(), f.options())
	if err == nil {
		f.t.Cleanup(l.release)
	}
	return l, err
}

// put stores data under key through the audited store.
func put(t *testing.T, s store.Store, key, data string) {
	t.Helper()
	if err := s.Put(t.Context(), key, []byte(data)); err != nil {
		t.Fatal(err)
	}
}

// del deletes key through the audited store with reason "prune".
func del(t *testing.T, s store.Store, key string) {
	t.Helper()
	ctx := WithReason(t.Context(), "prune", "tunesafe prune --keep-last 3")
	if err := s.Delete(ctx, key); err != nil {
		t.Fatal(err)
	}
}

func flush(t *testing.T, l *Log) {
	t.Helper()
	if err := l.Flush(t.Context()); err != nil {
		t.Fatal(err)
	}
}

// entries reads the whole log.
func entries(t *testing.T, l *Log) []Entry {
	t.Helper()
	var out []Entry
	for e, err := range l.Entries(t.Context()) {
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, e)
	}
	return out
}

// keysOf lists "op key outcome" for each Put and Delete entry.
func keysOf(es []Entry) []string {
	var out []string
	for _, e := range es {
		switch r := e.Record.(type) {
		case Put:
			out = append(out, fmt.Sprintf("put %s %s", r.Key, r.Outcome))
		case Delete:
			out = append(out, fmt.Sprintf("delete %s %s", r.Key, r.Outcome))
		case Snapshot:
			out = append(out, "snapshot "+r.ID)
		case Verify:
			out = append(out, "verify "+r.Mode)
		}
	}
	return out
}

// snapshotLog copies the vault's log objects.
func snapshotLog(t *testing.T, s store.Store) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	for info, err := range s.List(t.Context(), Prefix) {
		if err != nil {
			t.Fatal(err)
		}
		b, err := store.ReadAll(t.Context(), s, info.Key)
		if err != nil {
			t.Fatal(err)
		}
		out[info.Key] = b
	}
	return out
}

// restoreLog makes the vault's log objects exactly objs.
func restoreLog(t *testing.T, s store.Store, objs map[string][]byte) {
	t.Helper()
	for info, err := range s.List(t.Context(), Prefix) {
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Delete(t.Context(), info.Key); err != nil {
			t.Fatal(err)
		}
	}
	for k, v := range objs {
		if err := s.Put(t.Context(), k, v); err != nil {
			t.Fatal(err)
		}
	}
}

// copyDir copies a state directory, to simulate a crash that loses what
// was done after the copy.
func copyDir(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o700)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(target, b, 0o600)
	})
	if err != nil {
		t.Fatal(err)
	}
}

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(time.Second)
	return c.t
}

// faultStore fails Puts and Deletes of keys for which fail returns true.
type faultStore struct {
	store.Store
	mu   sync.Mutex
	fail func(op, key string) bool
}

var errInjected = store.Transient(store.KindUnreachable, errors.New("injected failure"))

func (s *faultStore) check(op, key string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail != nil && s.fail(op, key) {
		return errInjected
	}
	return nil
}

func (s *faultStore) setFail(f func(op, key string) bool) {
	s.mu.Lock()
	s.fail = f
	s.mu.Unlock()
}

func (s *faultStore) Put(ctx context.Context, key string, data []byte) error {
	if err := s.check("put", key); err != nil {
		return err
	}
	return s.Store.Put(ctx, key, data)
}

func (s *faultStore) Delete(ctx context.Context, key string) error {
	if err := s.check("delete", key); err != nil {
		return err
	}
	return s.Store.Delete(ctx, key)
}

// noSumStore hides the provider's SHA-256, like an S3 listing.
type noSumStore struct{ store.Store }

func (s noSumStore) Stat(ctx context.Context, key string) (store.Info, error) {
	info, err := s.Store.Stat(ctx, key)
	info.SHA256 = nil
	return info, err
}

func (s noSumStore) List(ctx context.Context, prefix string) iter.Seq2[store.Info, error] {
	return func(yield func(store.Info, error) bool) {
		for info, err := range s.Store.List(ctx, prefix) {
			info.SHA256 = nil
			if !yield(info, err) {
				return
			}
		}
	}
}

// xorCodec is a stand-in for encryption: it must round-trip and refuse
// what it did not seal.
type xorCodec struct{}

func (xorCodec) Seal(b []byte) ([]byte, error) {
	out := []byte("XOR1")
	for _, c := range b {
		out = append(out, c^0x5a)
	}
	return out, nil
}

func (xorCodec) Open(b []byte) ([]byte, error) {
	rest, ok := strings.CutPrefix(string(b), "XOR1")
	if !ok {
		return nil, errors.New("not sealed")
	}
	out := []byte(rest)
	for i := range out {
		out[i] ^= 0x5a
	}
	return out, nil
}

func sum(s string) [32]byte { return sha256.Sum256([]byte(s)) }
