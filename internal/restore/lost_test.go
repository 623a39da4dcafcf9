package restore

import (
	"context"
	"errors"
	"io"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/tunesafe/tunesafe/internal/store"
	"github.com/tunesafe/tunesafe/internal/store/memstore"
	"github.com/tunesafe/tunesafe/internal/vault"
)

// A blob the provider lost fails its file with a *DamagedError (Lost),
// so that the command says restoring again will not help; the other
// files are restored.
func TestLostBlobIsDamage(t *testing.T) {
	ms := &memstore.Store{}
	f := newFixtureOn(t, ms)
	gone := f.file("gone.mp3", 0o644, "audio the provider lost")
	snap := f.snapshot(f.dir("Music", 0o755, gone, f.file("kept.mp3", 0o644, "kept")))
	if err := ms.Delete(f.ctx, vault.BlobKey(gone.Blobs[0])); err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	res, err := f.restore(snap, Options{To: out})
	var fe *FailedError
	var de *DamagedError
	if !errors.As(err, &fe) || !errors.As(err, &de) || !de.Lost {
		t.Fatalf("restore with a lost blob: %v, want a FailedError holding a lost DamagedError", err)
	}
	if res.Restored != 1 || readFile(t, filepath.Join(out, "Music", "kept.mp3")) != "kept" {
		t.Errorf("kept.mp3 not restored: %+v", res)
	}
}

// A folder whose tree the vault lost, holds changed, or cannot decode
// fails alone, with a *TreeError naming the folder and the tree and
// holding a *DamagedError (Lost when the tree is missing), and is not
// created; every other folder's files are restored. A pattern that may
// match inside the folder is not said to match nothing.
func TestDamagedTreeFailsItsFolderOnly(t *testing.T) {
	for _, damage := range []string{"lost", "corrupted", "undecodable"} {
		t.Run(damage, func(t *testing.T) {
			ms := &memstore.Store{}
			f := newFixtureOn(t, ms)
			albumA := f.dir("AlbumA", 0o755, f.file("a.mp3", 0o644, "a"))
			if damage == "undecodable" {
				albumA.Subtree = ptr(f.rawTree(`{"nodes":[{"name":"y","type":"symlink","mode":511,"mtime":"2001-02-03T04:05:06Z","target":"x"},` +
					`{"name":"x","type":"symlink","mode":511,"mtime":"2001-02-03T04:05:06Z","target":"y"}]}`))
			}
			snap := f.snapshot(f.dir("Music", 0o755,
				f.dir("Artist1", 0o755, albumA, f.dir("AlbumB", 0o755, f.file("b.mp3", 0o644, "b audio"))),
				f.dir("Artist2", 0o755, f.file("c.mp3", 0o644, "c audio"))))
			key := vault.TreeKey(*albumA.Subtree)
			switch damage {
			case "lost":
				ms.Delete(f.ctx, key)
			case "corrupted":
				ms.Put(f.ctx, key, []byte("not what was stored"))
			}
			check := func(t *testing.T, res *Result, err error) {
				t.Helper()
				var fe *FailedError
				var te *TreeError
				var de *DamagedError
				if !errors.As(err, &fe) || !errors.As(err, &te) || !errors.As(err, &de) || de.Lost != (damage == "lost") {
					t.Fatalf("restore: %v, want a FailedError holding a TreeError and a DamagedError (lost: %v)", err, damage == "lost")
				}
				if te.Path != "Music/Artist1/AlbumA" || te.Key != key {
					t.Errorf("TreeError for %q, %s; want Music/Artist1/AlbumA, %s", te.Path, te.Key, key)
				}
				if len(res.Failures) != 1 || res.Failures[0].Path != "Music/Artist1/AlbumA" ||
					!strings.HasPrefix(res.Failures[0].Err, "folder cannot be read (") || !strings.Contains(res.Failures[0].Err, key) {
					t.Errorf("failures %+v, want Music/Artist1/AlbumA naming %s", res.Failures, key)
				}
			}

			out := t.TempDir()
			res, err := f.restore(snap, Options{To: out})
			check(t, res, err)
			want := []string{"Music", "Music/Artist1", "Music/Artist1/AlbumB", "Music/Artist1/AlbumB/b.mp3", "Music/Artist2", "Music/Artist2/c.mp3"}
			if got := entries(t, out); !slices.Equal(got, want) {
				t.Errorf("restored %q, want %q", got, want)
			}
			if readFile(t, filepath.Join(out, "Music/Artist1/AlbumB/b.mp3")) != "b audio" || readFile(t, filepath.Join(out, "Music/Artist2/c.mp3")) != "c audio" {
				t.Error("the other files are not restored as they were")
			}

			out = t.TempDir()
			res, err = f.restore(snap, Options{To: out, Patterns: []string{"Music/Artist1/*"}})
			check(t, res, err)
			if got := entries(t, out); !slices.Equal(got, want[:4]) {
				t.Errorf("restored %q, want %q", got, want[:4])
			}

			// Nothing else selected: nothing is written.
			base := t.TempDir()
			res, err = f.restore(snap, Options{To: filepath.Join(base, "out"), Patterns: []string{"Music/Artist1/AlbumA/*.mp3"}})
			check(t, res, err)
			if got := entries(t, base); len(got) != 0 {
				t.Errorf("wrote %v", got)
			}
		})
	}
}

// A pattern needs only the trees of the folders it may match: damage
// elsewhere does not touch it.
func TestPatternReadsOnlyTheFoldersItMayMatch(t *testing.T) {
	ms := &memstore.Store{}
	f := newFixtureOn(t, ms)
	albumA := f.dir("AlbumA", 0o755, f.file("a.mp3", 0o644, "a"))
	other := f.dir("Other", 0o755, f.file("o.mp3", 0o644, "o"))
	snap := f.snapshot(f.dir("Music", 0o755,
		f.dir("Artist1", 0o755, albumA, f.dir("AlbumB", 0o755, f.file("b.mp3", 0o644, "b audio")))), other)
	ms.Delete(f.ctx, vault.TreeKey(*albumA.Subtree))
	ms.Delete(f.ctx, vault.TreeKey(*other.Subtree))
	for _, patterns := range [][]string{{"Music/Artist1/AlbumB*"}, {"/Music/*/AlbumB/"}, {"M*/Artist1/[A-Z]*B"}, {"Music/[^/]*/Album[B-C]"}, {"M*/*/*B"}, {"Music/*/AlbumB/b.mp3"}} {
		t.Run(strings.Join(patterns, ","), func(t *testing.T) {
			out := t.TempDir()
			res, err := f.restore(snap, Options{To: out, Patterns: patterns})
			if err != nil || res.Restored != 1 {
				t.Fatalf("restore: %+v %v", res, err)
			}
			if got := readFile(t, filepath.Join(out, "Music/Artist1/AlbumB/b.mp3")); got != "b audio" {
				t.Errorf("b.mp3 = %q", got)
			}
		})
	}
}

// The top folder's tree is the whole snapshot: its loss fails the restore,
// which writes nothing.
func TestLostTopTreeWritesNothing(t *testing.T) {
	ms := &memstore.Store{}
	f := newFixtureOn(t, ms)
	snap := f.snapshot(f.dir("Music", 0o755, f.file("a.mp3", 0o644, "a")))
	ms.Delete(f.ctx, vault.TreeKey(snap.Tree))
	base := t.TempDir()
	_, err := f.restore(snap, Options{To: filepath.Join(base, "out")})
	var te *TreeError
	var de *DamagedError
	if !errors.As(err, &te) || te.Path != "" || !errors.As(err, &de) || !de.Lost {
		t.Fatalf("restore with a lost top tree: %v, want a TreeError holding a lost DamagedError", err)
	}
	if got := entries(t, base); len(got) != 0 {
		t.Errorf("wrote %v", got)
	}
}

// A tree that cannot be reached over the network stops the restore: every
// other would fail the same way, and running it again may help.
func TestUnreachableTreeStopsTheRestore(t *testing.T) {
	ms := &memstore.Store{}
	f := newFixtureOn(t, ms)
	sub := f.dir("Artist", 0o755, f.file("a.mp3", 0o644, "a"))
	snap := f.snapshot(f.dir("Music", 0o755, sub, f.file("b.mp3", 0o644, "b")))
	v, err := vault.Open(f.ctx, flaky{ms, vault.TreeKey(*sub.Subtree), nil}, nil)
	if err != nil {
		t.Fatal(err)
	}
	f.v = v
	base := t.TempDir()
	_, err = f.restore(snap, Options{To: filepath.Join(base, "out")})
	var de *DamagedError
	var fe *FailedError
	if err == nil || errors.As(err, &de) || errors.As(err, &fe) || store.KindOf(err) != store.KindUnreachable || !strings.Contains(err.Error(), "Music/Artist") {
		t.Fatalf("restore over a failing network: %v, want an unreachable error naming Music/Artist", err)
	}
	if got := entries(t, base); len(got) != 0 {
		t.Errorf("wrote %v", got)
	}
}

// rawTree stores plain as a tree, under its ID, whatever it holds.
func (f *fixture) rawTree(plain string) vault.ID {
	f.t.Helper()
	et := vault.EncodedTree{ID: f.v.Hasher().Sum([]byte(plain)), Plain: []byte(plain)}
	if _, err := f.v.PutTree(f.ctx, et); err != nil {
		f.t.Fatal(err)
	}
	return et.ID
}

func ptr[T any](v T) *T { return &v }

// flaky fails every read of one key with err (by default as an
// unreachable provider would).
type flaky struct {
	*memstore.Store
	key string
	err error
}

func (s flaky) Get(ctx context.Context, key string, off, n int64) (io.ReadCloser, error) {
	if key == s.key {
		if s.err != nil {
			return nil, s.err
		}
		return nil, store.Transient(store.KindUnreachable, errors.New("connection reset"))
	}
	return s.Store.Get(ctx, key, off, n)
}

// A blob the storage keeps but cannot serve (retry gave it up as
// unreadable) is damage, not lost: repair --deep stores it again.
func TestUnreadableBlobIsDamage(t *testing.T) {
	ms := &memstore.Store{}
	f := newFixtureOn(t, ms)
	n := f.file("a.mp3", 0o644, "a")
	snap := f.snapshot(n)
	unreadable := store.Permanent(store.KindUnreadable, errors.New("the storage cannot serve it"))
	v, err := vault.Open(f.ctx, flaky{ms, vault.BlobKey(n.Blobs[0]), unreadable}, nil)
	if err != nil {
		t.Fatal(err)
	}
	f.v = v
	_, err = f.restore(snap, Options{To: t.TempDir()})
	var de *DamagedError
	if !errors.As(err, &de) || de.Lost {
		t.Fatalf("restore of an unreadable blob: %v, want a DamagedError that is not Lost", err)
	}
}

// A network failure is not damage: running the restore again may help.
func TestNetworkFailureIsNotDamage(t *testing.T) {
	ms := &memstore.Store{}
	f := newFixtureOn(t, ms)
	n := f.file("a.mp3", 0o644, "a")
	snap := f.snapshot(n)
	v, err := vault.Open(f.ctx, flaky{ms, vault.BlobKey(n.Blobs[0]), nil}, nil)
	if err != nil {
		t.Fatal(err)
	}
	f.v = v
	_, err = f.restore(snap, Options{To: t.TempDir()})
	var de *DamagedError
	if err == nil || errors.As(err, &de) || store.KindOf(err) != store.KindUnreachable {
		t.Fatalf("restore over a failing network: %v, want an unreachable error that is no DamagedError", err)
	}
}
