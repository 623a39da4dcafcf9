package backup

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tunesafe/tunesafe/internal/store"
	"github.com/tunesafe/tunesafe/internal/vault"
)

// putCounter counts the PUTs of each key.
type putCounter struct {
	store.Store
	mu   sync.Mutex
	puts map[string]int
}

func (p *putCounter) Put(ctx context.Context, key string, data []byte) error {
	p.mu.Lock()
	if p.puts == nil {
		p.puts = map[string]int{}
	}
	p.puts[key]++
	p.mu.Unlock()
	return p.Store.Put(ctx, key, data)
}

// A stopped pass counts the files its checkpoint holds, by how they stand
// against the last complete backup, and its folders; the files it did not
// get to are its remaining, not new or changed files of the checkpoint.
func TestStoppedPassCountsWhatItsCheckpointHolds(t *testing.T) {
	f := newFixture(t, false)
	src := filepath.Join(f.dir, "Music")
	for i := range 4 {
		writeFile(t, filepath.Join(src, "Old", fmt.Sprint(i, ".flac")), randomBytes(uint64(800+i), 50<<10))
	}
	f.backupClean(Options{Paths: []string{src}})
	writeFile(t, filepath.Join(src, "Old", "0.flac"), randomBytes(810, 60<<10)) // changed
	for i := range 6 {
		writeFile(t, filepath.Join(src, "New", fmt.Sprint("Disc", i%2), fmt.Sprint(i, ".flac")), randomBytes(uint64(820+i), 100<<10))
	}
	res := f.backup(Options{Paths: []string{src}, MaxUpload: 300 << 10, Readers: 1, Uploaders: 1})
	if !res.Partial || res.SnapshotID == "" || res.FilesRemaining == 0 {
		t.Fatalf("want a pass stopped with a checkpoint and files left: %+v", res)
	}
	id, err := vault.ParseID(res.SnapshotID)
	if err != nil {
		t.Fatal(err)
	}
	snap, err := f.vault.GetSnapshot(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	held := res.FilesNew + res.FilesChanged + res.FilesUnchanged
	if held != snap.Stats.Files || res.Dirs != snap.Stats.Dirs {
		t.Fatalf("summary: %d files (%d new, %d changed, %d unchanged), %d folders; the checkpoint holds %d files, %d folders",
			held, res.FilesNew, res.FilesChanged, res.FilesUnchanged, res.Dirs, snap.Stats.Files, snap.Stats.Dirs)
	}
	if held+res.FilesRemaining != 10 || res.FilesUnchanged < 3 || res.FilesNew >= 6 {
		t.Fatalf("%d files held and %d remaining of 10 (%d new, %d changed, %d unchanged)", held, res.FilesRemaining, res.FilesNew, res.FilesChanged, res.FilesUnchanged)
	}
}

// A first backup stopped before it stored any file saves no checkpoint: it
// would hold nothing to restore. What it uploaded is not sent again by the
// next pass, which finds it in the cache.
func TestStoppedBeforeAnyFileSavesNoCheckpoint(t *testing.T) {
	f := newFixture(t, false)
	counted := &putCounter{Store: f.store}
	f.vault = f.vault.WithStore(counted)
	src := filepath.Join(f.dir, "Music")
	for i := range 4 {
		writeFile(t, filepath.Join(src, "Album", fmt.Sprint(i, ".flac")), randomBytes(uint64(840+i), 200<<10))
	}
	if err := os.MkdirAll(filepath.Join(src, "Empty"), 0o755); err != nil {
		t.Fatal(err)
	}
	res := f.backup(Options{Paths: []string{src}, MaxUpload: 1, Readers: 1})
	if !res.Partial || res.SnapshotID != "" || res.BlobsUploaded == 0 {
		t.Fatalf("want a pass stopped after a blob, without a checkpoint: %+v", res)
	}
	if n := f.countObjects("snapshots/"); n != 0 || res.TreesUploaded != 0 {
		t.Fatalf("%d snapshots, %d trees stored by a pass that stored no file", n, res.TreesUploaded)
	}
	if res.FilesNew != 0 || res.FilesUnchanged != 0 || res.Dirs != 0 || res.FilesRemaining != 4 {
		t.Fatalf("counts of a pass that saved nothing: %+v", res)
	}
	lp, ok, err := f.cache.LastPass(t.Context())
	if err != nil || !ok || lp.Complete || lp.FilesRemaining != 4 || lp.Snapshot != "" {
		t.Fatalf("record of the stopped pass: %+v (found %v, %v)", lp, ok, err)
	}

	full := f.backupClean(Options{Paths: []string{src}})
	if full.Partial || countsOf(full) != (counts{4, 0, 0}) {
		t.Fatalf("next pass: %+v", full)
	}
	counted.mu.Lock()
	defer counted.mu.Unlock()
	for key, n := range counted.puts {
		if strings.HasPrefix(key, "blobs/") && n > 1 {
			t.Errorf("%s sent %d times", key, n)
		}
	}
	f.restoreSame(full.SnapshotID, src, nil)
}

// A pass stopped in its metadata phase has read no file whole, yet read
// what it sent: the metadata phase's reads are counted apart.
func TestMetadataReadsCounted(t *testing.T) {
	f := newFixture(t, false)
	src := filepath.Join(f.dir, "Music")
	xml := "<?xml version=\"1.0\"?><plist version=\"1.0\"><dict>" + strings.Repeat("<key>Track</key><string>x</string>", 5000) + "</dict></plist>"
	writeFile(t, filepath.Join(src, "iTunes Library.xml"), []byte(xml))
	o := musicOptions(src)
	o.MaxUpload, o.Readers = 1, 1
	res := f.backup(o)
	if !res.Partial || res.BytesRead != 0 || res.BytesReadMetadata == 0 || res.BlobsUploaded == 0 {
		t.Fatalf("want a pass stopped in the metadata phase, its reads counted apart: %+v", res)
	}
}

// Once a limit stops a pass it is stopping, in its finishing phase, from
// that moment on, while the uploads under way end: the progress then
// tells what is left of them (BytesInFlight), not the whole backup.
func TestStoppingWhileUploadsFinish(t *testing.T) {
	f := newFixture(t, false)
	g, v := f.gatedVault(t)
	src := filepath.Join(f.dir, "Music")
	for i := range 4 {
		writeFile(t, filepath.Join(src, fmt.Sprint(i, ".flac")), randomBytes(uint64(860+i), 1<<20))
	}
	var stop atomic.Bool
	p := &Progress{}
	var res *Result
	var runErr error
	var wg sync.WaitGroup
	wg.Go(func() {
		res, runErr = Run(context.Background(), v, f.cache, Options{
			Paths: []string{src}, Readers: 2, Uploaders: 256, CheckpointEvery: -1, Progress: p,
			Stop: func() (string, bool) { return "the window closed", stop.Load() },
		})
	})
	g.settled()
	if p.Stopping() {
		t.Fatal("stopping before the stop")
	}
	stop.Store(true)
	// The readers waiting for room ask within a poll (in real time,
	// without a bound on it).
	for !p.Stopping() {
		time.Sleep(5 * time.Millisecond)
	}
	if phase := p.PhaseName(); phase != "finishing" || p.BytesInFlight.Load() == 0 {
		t.Fatalf("stopped with the uploads held: phase %q, %d bytes in flight", phase, p.BytesInFlight.Load())
	}
	close(g.open)
	wg.Wait()
	if runErr != nil || !res.Partial {
		t.Fatalf("pass: %v, %+v", runErr, res)
	}
	if n := p.BytesInFlight.Load(); n != 0 {
		t.Fatalf("%d bytes in flight after the pass", n)
	}
}

// The bytes left follow the bytes sent as they go, where the uploads that
// have ended move them a piece at a time.
func TestRemainingFollowsBytesSent(t *testing.T) {
	p := &Progress{}
	p.BytesToRead.Store(3 << 20)
	unstored := func() (int64, int64) { return 3, 3 << 20 }
	p.unstored.Store(&unstored)
	if _, bytes, _ := p.RemainingSent(1 << 19); bytes != 3<<20-1<<19 {
		t.Fatalf("half a MiB sent of 3 MiB, none stored: %d bytes left", bytes)
	}
	p.BytesUploaded.Store(1 << 20)
	if _, bytes, _ := p.RemainingSent(1 << 19); bytes != 2<<20 {
		t.Fatalf("1 MiB uploaded, half a MiB counted sent: %d bytes left", bytes)
	}
	if _, bytes, _ := p.Remaining(); bytes != 2<<20 {
		t.Fatalf("1 MiB uploaded: %d bytes left", bytes)
	}
}

// Every pass that scanned its paths leaves a record of how it ended,
// cancelled ones too, with what it counted left.
func TestLastPassRecorded(t *testing.T) {
	f := newFixture(t, false)
	src := filepath.Join(f.dir, "Music")
	for i := range 3 {
		writeFile(t, filepath.Join(src, fmt.Sprint(i, ".flac")), randomBytes(uint64(880+i), 100<<10))
	}
	// Cancelled before its scan ended, a pass stored and counted nothing.
	gone, cancelGone := context.WithCancel(t.Context())
	cancelGone()
	if _, err := Run(gone, f.vault, f.cache, Options{Paths: []string{src}}); !errors.Is(err, context.Canceled) {
		t.Fatalf("pass cancelled before it began: %v", err)
	}
	if lp, ok, err := f.cache.LastPass(t.Context()); ok || err != nil {
		t.Fatalf("record of a pass that ended before its scan did: %+v (%v)", lp, err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	p := &Progress{}
	_, err := Run(ctx, f.vault, f.cache, Options{Paths: []string{src}, Readers: 1, CheckpointEvery: -1, Progress: p,
		Stop: func() (string, bool) {
			cancel() // once the data phase asks: the scan has ended
			return "", false
		}})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled pass: %v", err)
	}
	lp, ok, err := f.cache.LastPass(t.Context())
	if err != nil || !ok || lp.Complete || lp.FilesRemaining == 0 || len(lp.Paths) != 1 || lp.Paths[0] != src {
		t.Fatalf("record of the cancelled pass: %+v (found %v, %v)", lp, ok, err)
	}
	f.backupClean(Options{Paths: []string{src}})
	if lp, _, _ := f.cache.LastPass(t.Context()); !lp.Complete || lp.FilesRemaining != 0 || lp.Snapshot == "" {
		t.Fatalf("record of the complete pass: %+v", lp)
	}
}
