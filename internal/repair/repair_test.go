package repair_test

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/tunesafe/tunesafe/internal/backup"
	"github.com/tunesafe/tunesafe/internal/chunker"
	"github.com/tunesafe/tunesafe/internal/repair"
	"github.com/tunesafe/tunesafe/internal/split"
	"github.com/tunesafe/tunesafe/internal/split/music"
	"github.com/tunesafe/tunesafe/internal/split/oggsplit"
	"github.com/tunesafe/tunesafe/internal/state"
	"github.com/tunesafe/tunesafe/internal/store"
	"github.com/tunesafe/tunesafe/internal/store/memstore"
	"github.com/tunesafe/tunesafe/internal/vault"
)

// smallChunks keep test files multi-blob without megabytes of data.
var smallChunks = chunker.Params{Min: 4 << 10, Avg: 16 << 10, Max: 64 << 10}

// fixture is a vault in memory, a cache and a music folder on disk, backed
// up with the music-aware splitter as the CLI does.
type fixture struct {
	t     *testing.T
	store *memstore.Store
	vault *vault.Vault
	cache *state.Cache
	music string
	opts  repair.Options
}

func newFixture(t *testing.T, encrypt bool) *fixture {
	t.Helper()
	s := &memstore.Store{}
	v, err := vault.Init(t.Context(), s, vault.InitOptions{Encrypt: encrypt, Passphrase: "test passphrase", ScryptLogN: 10, Chunker: smallChunks})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	db, err := state.Open(filepath.Join(dir, "cache.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return &fixture{
		t: t, store: s, vault: v, cache: db.Vault(v.Config().ID), music: filepath.Join(dir, "Music"),
		opts: repair.Options{
			Splitter:   music.Splitter{},
			Rebuilders: map[string]split.Rebuilder{oggsplit.Layout: oggsplit.Rebuilder{}},
		},
	}
}

func (f *fixture) write(name string, data []byte) {
	f.t.Helper()
	p := filepath.Join(f.music, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		f.t.Fatal(err)
	}
	if err := os.WriteFile(p, data, 0o644); err != nil {
		f.t.Fatal(err)
	}
}

// backup backs up the music folder and returns the snapshot's file nodes
// by slash-separated path inside the folder.
// backup backs the music folder up and returns its file entries, each
// with its lists expanded: Blobs are the blobs of the file's bytes.
func (f *fixture) backup() map[string]vault.Node {
	f.t.Helper()
	nodes := f.backupNodes()
	for p, n := range nodes {
		ids, err := f.vault.FileBlobs(context.Background(), &n)
		if err != nil {
			f.t.Fatal(err)
		}
		n.Blobs, n.Lists = ids, nil
		nodes[p] = n
	}
	return nodes
}

// backupNodes backs the music folder up and returns its entries as stored.
func (f *fixture) backupNodes() map[string]vault.Node {
	f.t.Helper()
	ctx := context.Background()
	res, err := backup.Run(ctx, f.vault, f.cache, backup.Options{
		Paths: []string{f.music}, Splitter: f.opts.Splitter, Rebuilders: f.opts.Rebuilders, CheckpointEvery: -1,
	})
	if err != nil {
		f.t.Fatal(err)
	}
	if len(res.Warnings) > 0 {
		f.t.Fatalf("backup warnings: %v", res.Warnings)
	}
	id, _ := vault.ParseID(res.SnapshotID)
	snap, err := f.vault.GetSnapshot(ctx, id)
	if err != nil {
		f.t.Fatal(err)
	}
	nodes := map[string]vault.Node{}
	var walk func(tree vault.ID, dir string)
	walk = func(tree vault.ID, dir string) {
		t, err := f.vault.GetTree(ctx, tree)
		if err != nil {
			f.t.Fatal(err)
		}
		for _, n := range t.Nodes {
			p := dir + n.FileName()
			if n.Type == vault.TypeDir {
				walk(*n.Subtree, p+"/")
			} else {
				nodes[p] = n
			}
		}
	}
	root, err := f.vault.GetTree(ctx, snap.Tree)
	if err != nil {
		f.t.Fatal(err)
	}
	walk(*root.Nodes[0].Subtree, "")
	return nodes
}

// subtree returns the tree ID of a folder below the music folder.
func (f *fixture) subtree(name string) vault.ID {
	f.t.Helper()
	ctx := context.Background()
	snaps, err := f.vault.Snapshots(ctx)
	if err != nil {
		f.t.Fatal(err)
	}
	t, err := f.vault.GetTree(ctx, snaps[len(snaps)-1].Tree)
	if err != nil {
		f.t.Fatal(err)
	}
	t, err = f.vault.GetTree(ctx, *t.Nodes[0].Subtree)
	if err != nil {
		f.t.Fatal(err)
	}
	return *t.Find(name).Subtree
}

func (f *fixture) lose(key string) repair.Damage {
	f.t.Helper()
	if err := f.store.Delete(context.Background(), key); err != nil {
		f.t.Fatal(err)
	}
	return repair.Damage{Key: key, Class: "lost"}
}

func (f *fixture) corrupt(key string) repair.Damage {
	f.t.Helper()
	b, err := store.ReadAll(context.Background(), f.store, key)
	if err != nil {
		f.t.Fatal(err)
	}
	b[len(b)/2] ^= 0x40
	if err := f.store.Put(context.Background(), key, b); err != nil {
		f.t.Fatal(err)
	}
	return repair.Damage{Key: key, Class: "corrupted"}
}

// intact reports whether a blob reads back and matches its ID.
func (f *fixture) intact(id vault.ID) bool {
	_, err := f.vault.GetBlob(context.Background(), id)
	return err == nil
}

func noise(seed uint64, n int) []byte {
	r := rand.New(rand.NewPCG(seed, 7))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// mp3 is an ID3v2.3-tagged file with a title; after a leading tag the
// music splitter takes anything as audio, which it chunks on its own.
func mp3(title string, audio []byte) []byte {
	frame := append([]byte("TIT2"), binary.BigEndian.AppendUint32(nil, uint32(len(title)+1))...)
	frame = append(frame, 0, 0, 0)
	frame = append(frame, title...)
	n := len(frame)
	hdr := []byte{'I', 'D', '3', 3, 0, 0, byte(n >> 21 & 0x7f), byte(n >> 14 & 0x7f), byte(n >> 7 & 0x7f), byte(n & 0x7f)}
	return slices.Concat(hdr, frame, audio)
}

func keys[T any](xs []T, key func(T) string) []string {
	var out []string
	for _, x := range xs {
		out = append(out, key(x))
	}
	return out
}

func TestRepair(t *testing.T) {
	for _, encrypt := range []bool{false, true} {
		name := "plain"
		if encrypt {
			name = "encrypted"
		}
		t.Run(name, func(t *testing.T) {
			f := newFixture(t, encrypt)
			f.write("a.bin", noise(1, 200<<10))
			f.write("Album/b.bin", noise(2, 1000))
			f.write("c.bin", noise(3, 2000))
			f.write("d.bin", noise(4, 200<<10))
			nodes := f.backup()
			a, b, c, d := nodes["a.bin"], nodes["Album/b.bin"], nodes["c.bin"], nodes["d.bin"]
			if len(a.Blobs) < 3 || len(d.Blobs) < 3 {
				t.Fatalf("want several blobs per big file: %d, %d", len(a.Blobs), len(d.Blobs))
			}
			damage := []repair.Damage{
				f.lose(vault.BlobKey(a.Blobs[1])),
				f.corrupt(vault.BlobKey(b.Blobs[0])),
				f.lose(vault.BlobKey(c.Blobs[0])),
				f.lose(vault.BlobKey(d.Blobs[0])),
				f.lose(vault.BlobKey(d.Blobs[len(d.Blobs)-1])),
			}
			// c is gone; d was edited at its start, which changes its
			// first blob only.
			os.Remove(filepath.Join(f.music, "c.bin"))
			d2 := noise(4, 200<<10)
			copy(d2, "edited")
			f.write("d.bin", d2)

			// A dry run reads everything and stores nothing.
			res, err := repair.Run(t.Context(), f.vault, damage, withDryRun(f.opts))
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Repaired) != 3 || len(res.Unrepaired) != 2 || !res.DryRun {
				t.Fatalf("dry run: %+v", res)
			}
			if f.intact(a.Blobs[1]) || f.intact(b.Blobs[0]) {
				t.Fatal("a dry run stored blobs")
			}

			res, err = repair.Run(t.Context(), f.vault, damage, f.opts)
			if err != nil {
				t.Fatal(err)
			}
			if res.Damaged != 5 {
				t.Errorf("damaged %d, want 5", res.Damaged)
			}
			want := []string{vault.BlobKey(a.Blobs[1]), vault.BlobKey(b.Blobs[0]), vault.BlobKey(d.Blobs[len(d.Blobs)-1])}
			slices.Sort(want)
			if got := keys(res.Repaired, func(r repair.Repaired) string { return r.Key }); !slices.Equal(got, want) {
				t.Errorf("repaired %v, want %v", got, want)
			}
			for _, r := range res.Repaired {
				if r.Key == vault.BlobKey(b.Blobs[0]) && (r.From != filepath.Join(f.music, "Album", "b.bin") || r.Class != "corrupted" || r.Size != 1000) {
					t.Errorf("repaired b: %+v", r)
				}
			}
			for _, id := range []vault.ID{a.Blobs[1], b.Blobs[0], d.Blobs[len(d.Blobs)-1]} {
				if !f.intact(id) {
					t.Errorf("blob %s still damaged", id)
				}
			}
			problems := map[string]repair.Unrepaired{}
			for _, u := range res.Unrepaired {
				problems[u.Key] = u
			}
			if u := problems[vault.BlobKey(c.Blobs[0])]; u.Reason != repair.ReasonNoFile || len(u.Files) != 1 || u.Files[0].Problem != repair.ProblemMissing {
				t.Errorf("deleted file: %+v", u)
			}
			if u := problems[vault.BlobKey(d.Blobs[0])]; u.Reason != repair.ReasonNoFile || len(u.Files) != 1 || u.Files[0].Problem != repair.ProblemChanged || u.Files[0].Path != filepath.Join(f.music, "d.bin") {
				t.Errorf("edited file: %+v", u)
			}
		})
	}
}

func withDryRun(o repair.Options) repair.Options {
	o.DryRun = true
	return o
}

// A retagged track gives back its audio: the music-aware cut keeps the
// audio region's blobs whatever happens to the tag.
func TestRepairFromRetaggedTrack(t *testing.T) {
	f := newFixture(t, true)
	f.write("track.mp3", mp3("Finlandia", noise(5, 150<<10)))
	n := f.backup()["track.mp3"]
	if len(n.Blobs) < 3 {
		t.Fatalf("track has %d blobs", len(n.Blobs))
	}
	tag, audio := n.Blobs[0], n.Blobs[len(n.Blobs)-1]
	damage := []repair.Damage{f.lose(vault.BlobKey(tag)), f.corrupt(vault.BlobKey(audio))}
	f.write("track.mp3", mp3("Finlandia, Op. 26 (live)", noise(5, 150<<10)))
	res, err := repair.Run(t.Context(), f.vault, damage, f.opts)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Repaired) != 1 || res.Repaired[0].Key != vault.BlobKey(audio) || !f.intact(audio) {
		t.Errorf("repaired %+v, want the audio blob", res.Repaired)
	}
	if len(res.Unrepaired) != 1 || res.Unrepaired[0].Key != vault.BlobKey(tag) || res.Unrepaired[0].Files[0].Problem != repair.ProblemChanged {
		t.Errorf("unrepaired %+v, want the old tag", res.Unrepaired)
	}
}

// A lost list, and a blob it names, come back from the file: the list is
// cut again exactly as the backup cut it.
func TestRepairList(t *testing.T) {
	f := newFixture(t, true)
	f.write("Album/track.mp3", mp3("Finlandia", noise(6, 300<<10)))
	n := f.backupNodes()["Album/track.mp3"]
	lists := n.ListIDs()
	if len(lists) != 1 {
		t.Fatalf("track stored with lists %v, want one for its audio", n.Lists)
	}
	named, err := f.vault.ReadList(t.Context(), lists[0])
	if err != nil {
		t.Fatal(err)
	}
	damage := []repair.Damage{f.lose(vault.BlobKey(lists[0])), f.corrupt(vault.BlobKey(named[1]))}
	res, err := repair.Run(t.Context(), f.vault, damage, f.opts)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Repaired) != 2 || len(res.Unrepaired) != 0 {
		t.Fatalf("repaired %+v, unrepaired %+v: want both", res.Repaired, res.Unrepaired)
	}
	for _, id := range []vault.ID{lists[0], named[1]} {
		if !f.intact(id) {
			t.Errorf("blob %s still damaged", id)
		}
	}
}

// Objects that are not cut from files are reported with what to do, and
// FORMAT.md is written again.
func TestRepairOtherObjects(t *testing.T) {
	f := newFixture(t, false)
	f.write("Album/a.bin", noise(1, 1000))
	f.write("b.bin", noise(2, 1000))
	nodes := f.backup()
	ctx := t.Context()
	album := f.subtree("Album")
	// An unreferenced blob, a snapshot's library blob, a key file and
	// a log object.
	stray, err := f.vault.PutBlob(ctx, vault.ID{1}, []byte("stray"))
	if err != nil || stray == 0 {
		t.Fatal(err)
	}
	f.store.Put(ctx, "keys/k1", []byte("key"))
	f.store.Put(ctx, "log/entries/000", []byte("log"))
	damage := []repair.Damage{
		f.lose(vault.TreeKey(album)),
		f.lose(vault.BlobKey(nodes["Album/a.bin"].Blobs[0])),
		f.corrupt(vault.BlobKey(nodes["b.bin"].Blobs[0])),
		f.lose(vault.BlobKey(vault.ID{1})),
		f.lose("keys/k1"),
		f.lose("log/entries/000"),
		f.lose(vault.FormatKey),
		{Key: "blobs/zz/not-an-id", Class: "corrupted"},
	}
	opts := f.opts
	opts.Rewrite = map[string]repair.Rewrite{vault.FormatKey: {Data: []byte("# format\n")}}
	res, err := repair.Run(ctx, f.vault, damage, opts)
	if err != nil {
		t.Fatal(err)
	}
	got := keys(res.Repaired, func(r repair.Repaired) string { return r.Key })
	if want := []string{vault.FormatKey, vault.BlobKey(nodes["b.bin"].Blobs[0])}; !slices.Equal(got, want) {
		t.Errorf("repaired %v, want %v", got, want)
	}
	if b, err := store.ReadAll(ctx, f.store, vault.FormatKey); err != nil || string(b) != "# format\n" {
		t.Errorf("FORMAT.md: %q, %v", b, err)
	}
	reasons := map[string]string{}
	for _, u := range res.Unrepaired {
		reasons[u.Key] = u.Reason
	}
	want := map[string]string{
		vault.TreeKey(album):                         repair.ReasonTree,
		vault.BlobKey(nodes["Album/a.bin"].Blobs[0]): repair.ReasonHidden,
		vault.BlobKey(vault.ID{1}):                   repair.ReasonHidden,
		"keys/k1":                                    repair.ReasonKeys,
		"log/entries/000":                            repair.ReasonLog,
		"blobs/zz/not-an-id":                         repair.ReasonOther,
	}
	for k, r := range want {
		if reasons[k] != r {
			t.Errorf("%s: reason %q, want %q", k, reasons[k], r)
		}
	}
	if len(res.Unrepaired) != len(want) {
		t.Errorf("unrepaired %v", reasons)
	}
	if !slices.Equal(res.Unreadable, []string{vault.TreeKey(album)}) {
		t.Errorf("unreadable %v", res.Unreadable)
	}

	// With every tree readable, an unreferenced blob is one nothing
	// needs; a lost snapshot is reported as such.
	f2 := newFixture(t, false)
	f2.write("a.bin", noise(1, 1000))
	f2.backup()
	f2.vault.PutBlob(ctx, vault.ID{2}, []byte("stray"))
	snaps, err := f2.vault.Snapshots(ctx)
	if err != nil {
		t.Fatal(err)
	}
	res, err = repair.Run(ctx, f2.vault, []repair.Damage{f2.lose(vault.BlobKey(vault.ID{2})), f2.lose(vault.SnapshotKey(snaps[0].ID))}, f2.opts)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Unrepaired) != 2 || res.Unrepaired[0].Reason != repair.ReasonNoRef || res.Unrepaired[1].Reason != repair.ReasonSnapshot {
		t.Errorf("unrepaired %+v", res.Unrepaired)
	}
}

// A store that fails stops the repair with its error.
func TestRepairStoreFailure(t *testing.T) {
	f := newFixture(t, false)
	f.write("a.bin", noise(1, 1000))
	n := f.backup()["a.bin"]
	d := f.lose(vault.BlobKey(n.Blobs[0]))
	boom := errors.New("boom")
	v := f.vault.WithStore(failingPuts{f.store, boom})
	res, err := repair.Run(t.Context(), v, []repair.Damage{d}, f.opts)
	if !errors.Is(err, boom) || res == nil || len(res.Repaired) != 0 {
		t.Fatalf("repair through a failing store: %v, %+v", err, res)
	}
	if _, err := f.store.Stat(t.Context(), d.Key); !errors.Is(err, fs.ErrNotExist) {
		t.Fatal("the blob appeared")
	}
}

type failingPuts struct {
	store.Store
	err error
}

func (s failingPuts) Put(context.Context, string, []byte) error { return s.err }

// Nothing to repair is empty lists in JSON, not nulls.
func TestRepairNothingJSON(t *testing.T) {
	f := newFixture(t, true)
	res, err := repair.Run(t.Context(), f.vault, nil, f.opts)
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(res)
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"damaged":0,"repaired":[],"unrepaired":[],"dry_run":false}`; string(b) != want {
		t.Errorf("JSON %s, want %s", b, want)
	}
}

// Once the cache forgets the damaged objects, as verify, audit and repair
// make it, the next backup of the unchanged folder stores them again: a
// track's lost list, and its album's corrupted tree.
func TestBackupStoresForgottenDamage(t *testing.T) {
	f := newFixture(t, true)
	ctx := t.Context()
	f.write("Album/track.mp3", mp3("Finlandia", noise(6, 300<<10)))
	f.write("b.bin", noise(2, 1000))
	n := f.backupNodes()["Album/track.mp3"]
	lists := n.ListIDs()
	if len(lists) != 1 {
		t.Fatalf("track stored with lists %v, want one for its audio", lists)
	}
	album := f.subtree("Album")
	f.lose(vault.BlobKey(lists[0]))
	f.corrupt(vault.TreeKey(album))
	if err := backup.ForgetDamaged(ctx, f.cache, f.vault, []vault.ID{lists[0], album}); err != nil {
		t.Fatal(err)
	}
	f.backupNodes()
	if !f.intact(lists[0]) {
		t.Error("the lost list is not stored again")
	}
	if _, err := f.vault.GetTree(ctx, album); err != nil {
		t.Errorf("the corrupted tree is not stored again: %v", err)
	}
}
