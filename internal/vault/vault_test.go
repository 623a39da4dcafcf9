package vault

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tunesafe/tunesafe/internal/store"
	"github.com/tunesafe/tunesafe/internal/store/memstore"
)

var update = flag.Bool("update", false, "rewrite golden files")

func initVault(t *testing.T, encrypt bool) (*memstore.Store, *Vault) {
	t.Helper()
	s := &memstore.Store{}
	v, err := Init(context.Background(), s, InitOptions{Encrypt: encrypt, Passphrase: "pass phrase", ScryptLogN: 10, FormatDoc: []byte("# doc\n")})
	if err != nil {
		t.Fatal(err)
	}
	return s, v
}

func pass(p string) func() (string, error) { return func() (string, error) { return p, nil } }

func TestInitOpen(t *testing.T) {
	ctx := context.Background()
	for _, enc := range []bool{false, true} {
		s, v := initVault(t, enc)
		if _, err := Init(ctx, s, InitOptions{}); !errors.Is(err, ErrExists) {
			t.Fatalf("second init: %v", err)
		}
		v2, err := Open(ctx, s, pass("pass phrase"))
		if err != nil {
			t.Fatal(err)
		}
		if v2.Config().ID != v.Config().ID || v2.Encrypted() != enc {
			t.Fatal("reopened vault differs")
		}
		data := []byte("some audio bytes")
		id := v.Hasher().Sum(data)
		if _, err := v.PutBlob(ctx, id, data); err != nil {
			t.Fatal(err)
		}
		got, err := v2.GetBlob(ctx, id)
		if err != nil || !bytes.Equal(got, data) {
			t.Fatalf("GetBlob: %q, %v", got, err)
		}
		stored, _ := store.ReadAll(ctx, s, BlobKey(id))
		if enc == bytes.Equal(stored, data) {
			t.Fatalf("encrypted=%v but stored bytes equal plaintext=%v", enc, bytes.Equal(stored, data))
		}
		if enc && !bytes.HasPrefix(stored, []byte("age-encryption.org/v1\n")) {
			t.Fatal("encrypted blob is not an age file")
		}
	}
}

func TestEncryptedIDsHideContent(t *testing.T) {
	_, plain := initVault(t, false)
	_, enc := initVault(t, true)
	data := []byte("a well-known recording")
	if plain.Hasher().Sum(data) == enc.Hasher().Sum(data) {
		t.Fatal("encrypted vault uses the plain SHA-256 as ID")
	}
}

func TestWrongPassphrase(t *testing.T) {
	ctx := context.Background()
	s, _ := initVault(t, true)
	if _, err := Open(ctx, s, pass("nope")); !errors.Is(err, ErrWrongPassphrase) {
		t.Fatalf("wrong passphrase: %v", err)
	}
	if _, err := Open(ctx, s, nil); !errors.Is(err, ErrNeedPassphrase) {
		t.Fatalf("no passphrase: %v", err)
	}
	if _, err := Open(ctx, &memstore.Store{}, nil); !errors.Is(err, ErrNoVault) {
		t.Fatalf("empty store: %v", err)
	}
}

func TestChangePassphraseRewritesOnlyKeys(t *testing.T) {
	ctx := context.Background()
	s, v := initVault(t, true)
	id := v.Hasher().Sum([]byte("x"))
	v.PutBlob(ctx, id, []byte("x"))
	before := snapshotKeys(t, s)
	if err := v.ChangePassphrase(ctx, "new pass phrase", 10); err != nil {
		t.Fatal(err)
	}
	after := snapshotKeys(t, s)
	for k, b := range before {
		if strings.HasPrefix(k, KeysPrefix) {
			if _, ok := after[k]; ok {
				t.Fatalf("old key file %s still there", k)
			}
			continue
		}
		if !bytes.Equal(after[k], b) {
			t.Fatalf("%s changed", k)
		}
	}
	if _, err := Open(ctx, s, pass("pass phrase")); !errors.Is(err, ErrWrongPassphrase) {
		t.Fatalf("old passphrase still works: %v", err)
	}
	v2, err := Open(ctx, s, pass("new pass phrase"))
	if err != nil {
		t.Fatal(err)
	}
	if got, err := v2.GetBlob(ctx, id); err != nil || string(got) != "x" {
		t.Fatal("data unreadable after passphrase change")
	}
}

func snapshotKeys(t *testing.T, s *memstore.Store) map[string][]byte {
	m := map[string][]byte{}
	for info, err := range s.List(context.Background(), "") {
		if err != nil {
			t.Fatal(err)
		}
		m[info.Key], _ = store.ReadAll(context.Background(), s, info.Key)
	}
	return m
}

func TestCorruptBlobDetected(t *testing.T) {
	ctx := context.Background()
	for _, enc := range []bool{false, true} {
		s, v := initVault(t, enc)
		data := bytes.Repeat([]byte("audio"), 1000)
		id := v.Hasher().Sum(data)
		v.PutBlob(ctx, id, data)
		stored, _ := store.ReadAll(ctx, s, BlobKey(id))
		stored[len(stored)-10] ^= 1
		s.Put(ctx, BlobKey(id), stored)
		var ce *CorruptError
		if _, err := v.GetBlob(ctx, id); !errors.As(err, &ce) {
			t.Fatalf("encrypted=%v: flipped bit not detected: %v", enc, err)
		}
	}
}

func TestFutureVersionRefused(t *testing.T) {
	ctx := context.Background()
	s, _ := initVault(t, false)
	b, _ := store.ReadAll(ctx, s, ConfigKey)
	s.Put(ctx, ConfigKey, bytes.Replace(b, []byte(`"version": 1`), []byte(`"version": 2`), 1))
	var fe *FormatError
	if _, err := Open(ctx, s, nil); !errors.As(err, &fe) || !strings.Contains(err.Error(), "not supported") {
		t.Fatalf("version 2: %v", err)
	}
}

func TestSnapshots(t *testing.T) {
	ctx := context.Background()
	_, v := initVault(t, true)
	tree, _ := v.EncodeTree(&Tree{})
	v.PutTree(ctx, tree)
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	a, _ := v.PutSnapshot(ctx, &Snapshot{Time: t0, Tree: tree.ID, Paths: []string{"/m"}})
	b, _ := v.PutSnapshot(ctx, &Snapshot{Time: t0.Add(time.Hour), Tree: tree.ID, Paths: []string{"/m"}})
	c, _ := v.PutSnapshot(ctx, &Snapshot{Time: t0.Add(2 * time.Hour), Tree: tree.ID, Paths: []string{"/m"}, Partial: true})
	latest, err := v.FindSnapshot(ctx, "latest")
	if err != nil || latest.ID != b {
		t.Fatalf("latest = %v, %v; want the newest complete %v", latest.ID, err, b)
	}
	if got, err := v.FindSnapshot(ctx, a.String()[:10]); err != nil || got.ID != a {
		t.Fatalf("prefix: %v %v", got.ID, err)
	}
	if got, _ := v.FindSnapshot(ctx, c.String()); !got.Partial {
		t.Fatal("checkpoint not marked partial")
	}
	if _, err := v.FindSnapshot(ctx, "zz"); err == nil {
		t.Fatal("unknown prefix found")
	}
}

// An ID has one written form: ParseID refuses the uppercase digits that
// hex.Decode would take, so that a parsed ID names the key it came from.
func TestParseIDCanonical(t *testing.T) {
	id := ID{0xab, 0xcd, 0xef, 31: 0xfe}
	if got, err := ParseID(id.String()); err != nil || got != id {
		t.Fatalf("ParseID(%s) = %v, %v", id, got, err)
	}
	for _, s := range []string{strings.ToUpper(id.String()), id.String()[:62] + "Fe"} {
		if got, err := ParseID(s); err == nil {
			t.Errorf("ParseID(%s) = %v, want an error", s, got)
		}
	}
	var u ID
	if err := u.UnmarshalText([]byte(strings.ToUpper(id.String()))); err == nil {
		t.Error("UnmarshalText took uppercase hex")
	}
}

// Objects under snapshots/, trees/ and blobs/ that the format did not name
// (left there by a user or another tool) are skipped by the listings; one
// of them must not make the whole vault unlistable.
func TestListingsSkipStrayObjects(t *testing.T) {
	ctx := context.Background()
	s, v := initVault(t, false)
	tree, _ := v.EncodeTree(&Tree{})
	if _, err := v.PutTree(ctx, tree); err != nil {
		t.Fatal(err)
	}
	data := []byte("a blob")
	blob := v.Hasher().Sum(data)
	if _, err := v.PutBlob(ctx, blob, data); err != nil {
		t.Fatal(err)
	}
	snap, err := v.PutSnapshot(ctx, &Snapshot{Time: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), Tree: tree.ID, Paths: []string{"/m"}})
	if err != nil {
		t.Fatal(err)
	}
	// Copies of real objects under names that differ from their keys, and
	// names that are no IDs at all.
	upper := func(id ID) string { return strings.ToUpper(id.String()) }
	other := ID{0x12, 0x34}
	stray := map[string]string{
		"snapshots/" + upper(snap):                             SnapshotKey(snap),
		"snapshots/notes.txt":                                  SnapshotKey(snap),
		"snapshots/old/" + snap.String():                       SnapshotKey(snap),
		TreeKey(tree.ID)[:len("trees/xx/")] + upper(tree.ID):   TreeKey(tree.ID),
		"trees/" + other.String()[:2] + "/" + tree.ID.String(): TreeKey(tree.ID),
		BlobKey(blob)[:len("blobs/xx/")] + upper(blob):         BlobKey(blob),
		"blobs/" + other.String()[:2] + "/" + blob.String():    BlobKey(blob),
		"blobs/" + blob.String():                               BlobKey(blob),
		"blobs/README":                                         BlobKey(blob),
	}
	for key, from := range stray {
		b, err := store.ReadAll(ctx, s, from)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Put(ctx, key, b); err != nil {
			t.Fatal(err)
		}
	}
	// An uppercase name whose lowercase form names no object: read as a
	// snapshot, it would be missing.
	if err := s.Put(ctx, "snapshots/"+upper(ID{0xfe, 0xed}), []byte("notes")); err != nil {
		t.Fatal(err)
	}

	all, err := v.Snapshots(ctx)
	if err != nil {
		t.Fatalf("Snapshots with stray objects: %v", err)
	}
	if len(all) != 1 || all[0].ID != snap {
		t.Fatalf("Snapshots = %v, want only %v", all, snap)
	}
	if got, err := v.FindSnapshot(ctx, "latest"); err != nil || got.ID != snap {
		t.Fatalf("FindSnapshot(latest) = %v, %v", got.ID, err)
	}
	for prefix, want := range map[string]ID{"trees/": tree.ID, "blobs/": blob} {
		var got []ID
		err := v.ListIDs(ctx, prefix, func(id ID, size int64) error {
			got = append(got, id)
			return nil
		})
		if err != nil || len(got) != 1 || got[0] != want {
			t.Errorf("ListIDs(%s) = %v, %v; want only %v", prefix, got, err, want)
		}
	}

	// A damaged snapshot at a well-formed name is still an error naming it.
	if err := s.Put(ctx, SnapshotKey(other), []byte("not a snapshot")); err != nil {
		t.Fatal(err)
	}
	var ce *CorruptError
	if _, err := v.Snapshots(ctx); !errors.As(err, &ce) || ce.Key != SnapshotKey(other) {
		t.Fatalf("Snapshots with a damaged snapshot: %v, want a CorruptError naming it", err)
	}
}

// The canonical tree encoding is part of the format: a golden file pins it.
func TestTreeGolden(t *testing.T) {
	sub := ID{1, 2, 3}
	mt := time.Date(2026, 1, 2, 10, 0, 0, 123456789, time.FixedZone("", 3600))
	tr := &Tree{Nodes: []Node{
		{Name: "Simon & Garfunkel <live>", Type: TypeDir, Mode: 0o755, MTime: mt, Subtree: &sub},
		{Name: "01 Finlandia.flac", Type: TypeFile, Mode: 0o644, MTime: mt, Size: 5, SHA256: strings.Repeat("ab", 32), Blobs: []ID{{9}, {8}}},
		{NameRaw: []byte("caf\xe9.mp3"), Type: TypeFile, Mode: 0o600, MTime: mt},
		{Name: "link", Type: TypeSymlink, Mode: 0o777, MTime: mt, Target: "01 Finlandia.flac"},
		{Name: "song.ogg", Type: TypeFile, Mode: 0o4755, MTime: mt, Size: 1, SHA256: strings.Repeat("cd", 32), Layout: "ogg1", Blobs: []ID{{7}}},
		{Name: "02 Valse triste.mp3", Type: TypeFile, Mode: 0o644, MTime: mt, Size: 9, SHA256: strings.Repeat("ef", 32), Blobs: []ID{{6}, {5}, {4}}, Lists: []int{1}},
	}}
	got, err := EncodeTree(tr)
	if err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "tree.golden")
	if *update {
		os.WriteFile(golden, got, 0o644)
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("tree encoding changed:\n%s\nwant:\n%s", got, want)
	}
	back, err := DecodeTree(got)
	if err != nil {
		t.Fatal(err)
	}
	again, _ := EncodeTree(back)
	if !bytes.Equal(again, got) {
		t.Fatal("decode/encode round trip differs")
	}
}

func FuzzDecodeTree(f *testing.F) {
	f.Add([]byte(`{"nodes":[{"name":"a","type":"file","mode":420,"mtime":"2026-01-01T00:00:00Z"}]}`))
	f.Add([]byte(`{"nodes":[{"name_raw":"/w==","type":"dir","mode":493,"mtime":"2026-01-01T00:00:00Z","subtree":"0000000000000000000000000000000000000000000000000000000000000000"}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		tr, err := DecodeTree(b)
		if err != nil {
			return
		}
		enc, err := EncodeTree(tr)
		if err != nil {
			t.Fatalf("decoded tree does not encode: %v", err)
		}
		tr2, err := DecodeTree(enc)
		if err != nil {
			t.Fatalf("re-encoded tree does not decode: %v", err)
		}
		enc2, _ := EncodeTree(tr2)
		if !bytes.Equal(enc, enc2) {
			t.Fatal("encoding not stable")
		}
	})
}

func FuzzParseKeys(f *testing.F) {
	k, _ := newKeys("abc")
	f.Add(k.Marshal())
	f.Add([]byte("# id-key: zz\nAGE-SECRET-KEY-1\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		k, err := ParseKeys(b)
		if err != nil {
			return
		}
		k2, err := ParseKeys(k.Marshal())
		if err != nil || !bytes.Equal(k2.IDKey, k.IDKey) || k2.Identity.String() != k.Identity.String() || k2.LogKey != k.LogKey {
			t.Fatalf("key file round trip failed: %v", err)
		}
	})
}

func FuzzParseConfig(f *testing.F) {
	f.Add([]byte(`{"format":"tunesafe-vault","version":1,"encryption":"none","id_hash":"sha256","chunker":{"min":262144,"avg":1048576,"max":4194304}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := ParseConfig(b)
		if err == nil && (c.Version != 1 || c.Chunker.Validate() != nil) {
			t.Fatalf("accepted invalid config %+v", c)
		}
	})
}

// ReadBlob returns the plaintext in a recycled buffer: after release, the
// next read reuses it, and each read holds its own blob's bytes.
func TestReadBlobRecycles(t *testing.T) {
	ctx := context.Background()
	for _, enc := range []bool{false, true} {
		_, v := initVault(t, enc)
		var ids []ID
		for i := range 3 {
			data := bytes.Repeat([]byte{byte('a' + i)}, 1000*(i+1))
			id := v.Hasher().Sum(data)
			if _, err := v.PutBlob(ctx, id, data); err != nil {
				t.Fatal(err)
			}
			ids = append(ids, id)
		}
		for round := range 2 {
			for i, id := range ids {
				got, release, err := v.ReadBlob(ctx, id)
				if err != nil {
					t.Fatal(err)
				}
				if want := bytes.Repeat([]byte{byte('a' + i)}, 1000*(i+1)); !bytes.Equal(got, want) {
					t.Fatalf("encrypt=%v round %d blob %d: wrong bytes", enc, round, i)
				}
				release()
			}
		}
		if _, _, err := v.ReadBlob(ctx, ID{1}); !errors.Is(err, fs.ErrNotExist) {
			t.Fatalf("missing blob: %v", err)
		}
	}
}

// Repair and the cache forget objects by the ID in their key; a stray copy
// under a name the format does not write must not name a stored object.
func TestParseObjectKey(t *testing.T) {
	id := ID{0xab, 0xcd, 31: 0x01}
	for _, c := range []struct {
		key  string
		tree bool
	}{{BlobKey(id), false}, {TreeKey(id), true}} {
		got, tree, ok := ParseObjectKey(c.key)
		if !ok || got != id || tree != c.tree {
			t.Errorf("ParseObjectKey(%s) = %v, %v, %v", c.key, got, tree, ok)
		}
	}
	for _, key := range []string{
		"blobs/00/" + id.String(),
		"trees/" + id.String(),
		"blobs/ab/" + strings.ToUpper(id.String()),
		"snapshots/" + id.String(),
		"blobs/ab/cd/" + id.String(),
	} {
		if got, _, ok := ParseObjectKey(key); ok {
			t.Errorf("ParseObjectKey(%s) = %v, want not ok", key, got)
		}
	}
}
