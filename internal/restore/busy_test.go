//go:build unix

package restore

import (
	"context"
	"errors"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tunesafe/tunesafe/internal/store/memstore"
)

// holdGets blocks every Get of a blob until release is closed, telling
// started at the first one.
type holdGets struct {
	*memstore.Store
	started chan struct{}
	release chan struct{}
	once    sync.Once
}

func (h *holdGets) Get(ctx context.Context, key string, off, n int64) (io.ReadCloser, error) {
	if !strings.HasPrefix(key, "blobs/") {
		return h.Store.Get(ctx, key, off, n)
	}
	h.once.Do(func() { close(h.started) })
	select {
	case <-h.release:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	return h.Store.Get(ctx, key, off, n)
}

// A second restore into a folder another restore is writing into is
// refused before it touches anything (it would delete the first one's
// temporary files as leftovers); once the first has finished it runs.
func TestSecondRestoreIntoTheSameFolderWaitsItsTurn(t *testing.T) {
	hs := &holdGets{Store: &memstore.Store{}, started: make(chan struct{}), release: make(chan struct{})}
	f := newFixtureOn(t, hs)
	snap := f.snapshot(f.dir("Music", 0o755, f.file("a.flac", 0o644, "some audio")))
	out := t.TempDir()
	first := make(chan error, 1)
	go func() {
		_, err := Run(f.ctx, f.v, snap, Options{To: out, Workers: 1})
		first <- err
	}()
	<-hs.started
	// Without the lock the second restore would wait for blobs too.
	ctx, cancel := context.WithTimeout(f.ctx, 10*time.Second)
	defer cancel()
	_, err := Run(ctx, f.v, snap, Options{To: out, Workers: 1})
	var te *TargetError
	if !errors.As(err, &te) || !errors.Is(err, ErrBusy) {
		t.Fatalf("second restore: %v", err)
	}
	close(hs.release)
	if err := <-first; err != nil {
		t.Fatalf("first restore: %v", err)
	}
	if got := readFile(t, out+"/Music/a.flac"); got != "some audio" {
		t.Fatalf("a.flac = %q", got)
	}
	res, err := Run(f.ctx, f.v, snap, Options{To: out, Workers: 1})
	if err != nil || res.Unchanged != 1 {
		t.Fatalf("third restore: %+v %v", res, err)
	}
}
