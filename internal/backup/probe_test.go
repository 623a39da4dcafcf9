package backup

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/tunesafe/tunesafe/internal/store"
	"github.com/tunesafe/tunesafe/internal/vault"
)

// noWrites is a store that fails the test on any write.
type noWrites struct {
	store.Store
	t *testing.T
}

func (s noWrites) Put(_ context.Context, key string, _ []byte) error {
	s.t.Errorf("probe wrote %s", key)
	return store.Permanent(store.KindInvalid, os.ErrPermission)
}

func (s noWrites) Delete(_ context.Context, key string) error {
	s.t.Errorf("probe deleted %s", key)
	return store.Permanent(store.KindInvalid, os.ErrPermission)
}

// probe runs Probe on a vault that refuses writes.
func (f *fixture) probe(o Options) (*Result, bool) {
	f.t.Helper()
	res, unchanged, err := Probe(context.Background(), f.vault.WithStore(noWrites{f.store, f.t}), f.cache, o)
	if err != nil {
		f.t.Fatalf("probe: %v", err)
	}
	if unchanged != (res != nil) {
		f.t.Fatalf("probe: unchanged %v with result %+v", unchanged, res)
	}
	return res, unchanged
}

// Probe tells, without writing to the vault, whether a pass would store
// anything; when it would not, its result is the unchanged pass's.
func TestProbe(t *testing.T) {
	f := newFixture(t, true)
	src := filepath.Join(f.dir, "Music")
	a := filepath.Join(src, "Album", "a.flac")
	writeFile(t, a, randomBytes(1, 50<<10))
	writeFile(t, filepath.Join(src, "b.mp3"), randomBytes(2, 20<<10))
	o := Options{Paths: []string{src}, Host: "h"}

	if _, unchanged := f.probe(o); unchanged {
		t.Fatal("a vault without snapshots is unchanged")
	}
	first := f.backupClean(o)
	res, unchanged := f.probe(o)
	if !unchanged || !res.Unchanged || res.SnapshotID != first.SnapshotID || res.FilesUnchanged != 2 {
		t.Fatalf("probe after the backup: %v, %+v", unchanged, res)
	}
	// Another host, other tags or another library view: a new snapshot.
	for name, o := range map[string]Options{
		"host": {Paths: []string{src}, Host: "other"},
		"tags": {Paths: []string{src}, Host: "h", Tags: []string{"t"}},
		"library": {Paths: []string{src}, Host: "h", Extra: func(_ context.Context, s *vault.Snapshot) error {
			s.Library = []vault.ID{{1}}
			return nil
		}},
	} {
		if _, unchanged := f.probe(o); unchanged {
			t.Errorf("%s: unchanged", name)
		}
	}
	// A touched file, a new one, a removed one: something to store.
	later := time.Now().Add(time.Hour)
	if err := os.Chtimes(a, later, later); err != nil {
		t.Fatal(err)
	}
	if _, unchanged := f.probe(o); unchanged {
		t.Fatal("touched file: unchanged")
	}
	f.backupClean(o)
	if _, unchanged := f.probe(o); !unchanged {
		t.Fatal("after the second backup: changed")
	}
	writeFile(t, filepath.Join(src, "c.ogg"), randomBytes(3, 10<<10))
	if _, unchanged := f.probe(o); unchanged {
		t.Fatal("new file: unchanged")
	}
	f.backupClean(o)
	if err := os.Remove(filepath.Join(src, "c.ogg")); err != nil {
		t.Fatal(err)
	}
	if _, unchanged := f.probe(o); unchanged {
		t.Fatal("removed file: unchanged")
	}
	// The newest snapshot is a checkpoint of an interrupted pass: the
	// pass must run to complete it.
	f.backupClean(o)
	writeFile(t, filepath.Join(src, "d.wav"), randomBytes(4, 200<<10))
	stop := func() (string, bool) { return "test", true }
	if res := f.backup(Options{Paths: []string{src}, Host: "h", Stop: stop}); !res.Partial {
		t.Fatalf("not stopped: %+v", res)
	}
	if err := os.Remove(filepath.Join(src, "d.wav")); err != nil {
		t.Fatal(err)
	}
	if _, unchanged := f.probe(o); unchanged {
		t.Fatal("after a checkpoint: unchanged")
	}
}
