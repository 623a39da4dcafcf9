package backup

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tunesafe/tunesafe/internal/vault"
)

// settled waits until no new blob PUT has arrived for a while, and returns
// how many have: the readers then wait for room in the upload window.
func (g *gatedStore) settled() int64 {
	n := g.puts.Load()
	for {
		time.Sleep(100 * time.Millisecond)
		m := g.puts.Load()
		if m == n && m > 0 {
			return m
		}
		n = m
	}
}

// A pass told to stop while its readers wait for room in the upload
// window sends no more blobs: on a slow line each of them would be a
// piece's upload time past the limit (at 36 kB/s, half a minute each).
// The uploads already under way finish and are kept.
func TestStopWhileWaitingForRoom(t *testing.T) {
	f := newFixture(t, false)
	g, v := f.gatedVault(t)
	src := filepath.Join(f.dir, "Music")
	for i := range 8 {
		writeFile(t, filepath.Join(src, fmt.Sprint(i, ".flac")), randomBytes(uint64(700+i), 1<<20))
	}
	var stop atomic.Bool
	var res *Result
	var runErr error
	var wg sync.WaitGroup
	wg.Go(func() {
		res, runErr = Run(context.Background(), v, f.cache, Options{
			Paths: []string{src}, Readers: 2, CheckpointEvery: -1,
			// Enough uploaders that every blob queued reaches the store.
			Uploaders: 256,
			Stop:      func() (string, bool) { return "the window closed", stop.Load() },
		})
	})
	sent := g.settled()
	stop.Store(true)
	close(g.open)
	wg.Wait()
	if runErr != nil {
		t.Fatal(runErr)
	}
	if !res.Partial || res.StopReason != "the window closed" {
		t.Fatalf("want a pass stopped by the window: %+v", res)
	}
	// One PUT may have been on its way to the store when the count
	// settled; the readers waiting for room would add one each.
	if got := g.puts.Load(); got > sent+1 {
		t.Fatalf("%d blob PUTs after the stop, %d before it: the readers waiting for room sent theirs", got-sent, sent)
	}
	if res.BlobsUploaded != g.puts.Load() {
		t.Fatalf("the pass counts %d blobs uploaded, the store got %d", res.BlobsUploaded, g.puts.Load())
	}
}

// --max-upload is named as the user wrote it.
func TestMaxUploadReasonAsWritten(t *testing.T) {
	f := newFixture(t, false)
	src := filepath.Join(f.dir, "Music")
	for i := range 4 {
		writeFile(t, filepath.Join(src, fmt.Sprint(i, ".flac")), randomBytes(uint64(720+i), 200<<10))
	}
	res := f.backup(Options{Paths: []string{src}, MaxUpload: 200_000, MaxUploadText: "200KB"})
	if !res.Partial || res.StopReason != "--max-upload 200KB reached" {
		t.Fatalf("stopped pass: %+v", res)
	}
	res = f.backup(Options{Paths: []string{src}, MaxUpload: 200_000})
	if !res.Partial || res.StopReason != "--max-upload 200000 bytes reached" {
		t.Fatalf("stopped pass: %+v", res)
	}
}

// A file whose blob was being queued by another file's upload when a limit
// stopped that upload is not stored: the blob never went.
func TestBlobStoppedByLimitIsLostToItsSharers(t *testing.T) {
	f := newFixture(t, false)
	g, v := f.gatedVault(t)
	var stop atomic.Bool
	r := &run{v: v, c: f.cache, p: &Progress{}, res: &Result{}, known: map[vault.ID]struct{}{},
		o: Options{Uploaders: 4, Stop: func() (string, bool) { return "stopped", stop.Load() }}}
	u := newUploader(context.Background(), r)
	r.up = u
	defer func() {
		close(g.open)
		u.close()
	}()
	h := v.Hasher()
	first := randomBytes(730, 1<<20)
	if err := u.put(h.Sum(first), first, false, &group{}); err != nil {
		t.Fatal(err)
	}
	shared := randomBytes(731, 1000)
	id := h.Sum(shared)
	owner, sharer := &group{}, &group{}
	got := make(chan error, 1)
	go func() { got <- u.put(id, shared, false, owner) }()
	for {
		u.mu.Lock()
		_, queued := u.inflight[id]
		u.mu.Unlock()
		if queued {
			break
		}
		time.Sleep(time.Millisecond)
	}
	if err := u.put(id, shared, false, sharer); err != nil {
		t.Fatal(err)
	}
	stop.Store(true)
	if err := <-got; !errors.Is(err, errLimit) {
		t.Fatalf("the blob waiting for room: %v, want errLimit", err)
	}
	sharer.wg.Wait()
	if !sharer.lost.Load() {
		t.Fatal("the file sharing a blob that never went counts it stored")
	}
}

// A library database outside the music folder, stored whole by the
// metadata phase, is in the first checkpoint: the data phase finishes it
// before the audio, which a limit may stop.
func TestLibraryDatabaseInFirstCheckpoint(t *testing.T) {
	f := newFixture(t, false)
	src := filepath.Join(f.dir, "Music")
	for i := range 6 {
		writeFile(t, filepath.Join(src, fmt.Sprint(i, ".flac")), randomBytes(uint64(740+i), 200<<10))
	}
	lib := filepath.Join(f.dir, "Library", "Library.xml")
	writeFile(t, lib, randomBytes(750, 100<<10))
	o := musicOptions(src)
	o.Files = []string{lib}
	o.MaxUpload = 150 << 10
	o.Readers, o.Uploaders = 1, 1
	res := f.backup(o)
	if !res.Partial {
		t.Fatalf("want a checkpoint: %+v", res)
	}
	out := filepath.Join(f.dir, "out")
	f.restore(res.SnapshotID, out)
	found := fileNames(out)
	if !slices.Contains(found, "Library.xml") {
		t.Fatalf("the checkpoint holds %v, not the library database", found)
	}
}

// A file whose last blob was queued when the limit was reached is stored:
// the checkpoint holds it, as the vault holds its blob.
func TestFileCompletedAtTheLimitIsInTheCheckpoint(t *testing.T) {
	f := newFixture(t, false)
	src := filepath.Join(f.dir, "Music")
	for i := range 3 {
		// Under the chunker's minimum: one blob each.
		writeFile(t, filepath.Join(src, fmt.Sprint(i, ".flac")), randomBytes(uint64(770+i), 3<<10))
	}
	res := f.backup(Options{Paths: []string{src}, MaxUpload: 1, Readers: 1, Uploaders: 1})
	if !res.Partial || res.BlobsUploaded != 1 {
		t.Fatalf("want a checkpoint after one blob: %+v", res)
	}
	out := filepath.Join(f.dir, "out")
	f.restore(res.SnapshotID, out)
	found := fileNames(out)
	if len(found) != 1 {
		t.Fatalf("the checkpoint holds %v; want the one file whose blob was uploaded", found)
	}
}

// fileNames returns the base names of the files below dir.
func fileNames(dir string) []string {
	var found []string
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			found = append(found, filepath.Base(p))
		}
		return nil
	})
	return found
}
