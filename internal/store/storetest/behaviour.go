package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tunesafe/tunesafe/internal/store"
)

// invalidKeys are rejected by store.ValidKey; every store must refuse them
// before touching its backend, so that no key can escape a folder or a
// bucket prefix.
var invalidKeys = []string{
	"", "/a", "a/", "a//b", ".", "..", "./a", "a/./b", "../a", "a/../b", "a/..",
	"a b", "a\\b", "a\tb", "a\nb", "\x00", "caf\u00e9", "a\x7f", strings.Repeat("k", 1025),
}

func testInvalidKeys(t *testing.T, s store.Store) {
	ctx := t.Context()
	check := func(op, key string, err error) {
		t.Helper()
		switch {
		case err == nil:
			t.Errorf("%s %q: no error, want an invalid-key error", op, key)
		case store.KindOf(err) != store.KindInvalid || !store.IsPermanent(err):
			t.Errorf("%s %q: %v (kind %q), want a permanent %q error", op, key, err, store.KindOf(err), store.KindInvalid)
		}
	}
	for _, key := range invalidKeys {
		check("Put", key, s.Put(ctx, key, []byte("x")))
		rc, err := s.Get(ctx, key, 0, -1)
		if err == nil {
			rc.Close()
		}
		check("Get", key, err)
		_, err = s.Stat(ctx, key)
		check("Stat", key, err)
		check("Delete", key, s.Delete(ctx, key))
	}
	if keys := listKeys(t, s, ""); len(keys) != 0 {
		t.Fatalf("invalid Puts left objects behind: %q", keys)
	}
	// The longest valid key works.
	long := strings.Repeat("k", 200) + "/" + strings.Repeat("l", 200)
	mustPut(t, s, long, []byte("long"))
	if got := mustGet(t, s, long); string(got) != "long" {
		t.Fatalf("Get of a %d-byte key = %q", len(long), got)
	}
}

// testConcurrent has many goroutines store, read, stat and list distinct
// objects at once.
func testConcurrent(t *testing.T, s store.Store) {
	const workers, perWorker = 16, 6
	ctx := t.Context()
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
	)
	fail := func(err error) {
		mu.Lock()
		errs = append(errs, err)
		mu.Unlock()
	}
	for w := range workers {
		wg.Go(func() {
			for i := range perWorker {
				key := keyf("conc/%02d/%02d", w, i)
				data := pattern(1+(w*perWorker+i)*997, uint64(w*100+i))
				if err := s.Put(ctx, key, data); err != nil {
					fail(fmt.Errorf("Put %s: %w", key, err))
					return
				}
				got, err := store.ReadAll(ctx, s, key)
				if err != nil || !bytes.Equal(got, data) {
					fail(fmt.Errorf("Get %s: %d bytes, %v; want %d bytes", key, len(got), err, len(data)))
					return
				}
				info, err := s.Stat(ctx, key)
				if err != nil || info.Size != int64(len(data)) {
					fail(fmt.Errorf("Stat %s: %+v, %v", key, info, err))
					return
				}
				n := 0
				for _, err := range s.List(ctx, keyf("conc/%02d/", w)) {
					if err != nil {
						fail(fmt.Errorf("List: %w", err))
						return
					}
					n++
				}
				if n != i+1 {
					fail(fmt.Errorf("List conc/%02d/ = %d objects, want %d", w, n, i+1))
					return
				}
			}
		})
	}
	wg.Wait()
	if len(errs) > 0 {
		t.Fatal(errors.Join(errs...))
	}
	if n := len(listKeys(t, s, "conc/")); n != workers*perWorker {
		t.Fatalf("List conc/ = %d objects, want %d", n, workers*perWorker)
	}
}

// testAtomicOverwrite overwrites one key from several goroutines while
// others read it: every read must return one whole version, never a prefix
// or a mixture.
func testAtomicOverwrite(t *testing.T, s store.Store) {
	const key = "atomic/key"
	version := func(v byte) []byte { return bytes.Repeat([]byte{v}, 1000+int(v)*4099) }
	mustPut(t, s, key, version(0))

	ctx := t.Context()
	var (
		writers, readers sync.WaitGroup
		done             atomic.Bool
		mu               sync.Mutex
		errs             []error
		reads            atomic.Int64
	)
	fail := func(err error) {
		mu.Lock()
		errs = append(errs, err)
		mu.Unlock()
	}
	for w := range 4 {
		writers.Go(func() {
			for i := range 6 {
				if err := s.Put(ctx, key, version(byte(1+w*6+i))); err != nil {
					fail(fmt.Errorf("Put: %w", err))
					return
				}
			}
		})
	}
	deadline := time.Now().Add(time.Minute)
	for range 4 {
		readers.Go(func() {
			for !done.Load() && time.Now().Before(deadline) {
				got, err := store.ReadAll(ctx, s, key)
				if err != nil {
					fail(fmt.Errorf("Get during overwrites: %w", err))
					return
				}
				reads.Add(1)
				if len(got) == 0 || !bytes.Equal(got, version(got[0])) {
					fail(fmt.Errorf("Get during overwrites returned %d bytes that are not one whole version", len(got)))
					return
				}
			}
		})
	}
	writers.Wait()
	done.Store(true)
	readers.Wait()
	if len(errs) > 0 {
		t.Fatal(errors.Join(errs...))
	}
	got := mustGet(t, s, key)
	if len(got) == 0 || !bytes.Equal(got, version(got[0])) {
		t.Fatalf("final object is not one whole version (%d bytes)", len(got))
	}
	t.Logf("%d reads during overwrites", reads.Load())
}

func testCancelled(t *testing.T, s store.Store) {
	keep := pattern(1<<20, 5)
	mustPut(t, s, "c/keep", keep)

	cancelled, cancel := context.WithCancel(t.Context())
	cancel()
	expired, cancel2 := context.WithDeadline(t.Context(), time.Now().Add(-time.Second))
	defer cancel2()

	for _, c := range []struct {
		name string
		ctx  context.Context
		want error
	}{{"cancelled", cancelled, context.Canceled}, {"expired", expired, context.DeadlineExceeded}} {
		check := func(op string, err error) {
			t.Helper()
			if !errors.Is(err, c.want) {
				t.Errorf("%s with a %s context: %v, want %v", op, c.name, err, c.want)
			}
		}
		check("Put", s.Put(c.ctx, "c/new", []byte("new")))
		check("Put over", s.Put(c.ctx, "c/keep", []byte("replaced")))
		rc, err := s.Get(c.ctx, "c/keep", 0, -1)
		if err == nil {
			rc.Close()
		}
		check("Get", err)
		_, err = s.Stat(c.ctx, "c/keep")
		check("Stat", err)
		check("Delete", s.Delete(c.ctx, "c/keep"))
		var listErr error
		for _, err := range s.List(c.ctx, "") {
			if err != nil {
				listErr = err
			}
		}
		check("List", listErr)
	}
	ctx := t.Context()
	_, err := s.Stat(ctx, "c/new")
	checkNotFound(t, "Stat of a key whose Put was cancelled", err)
	if got := mustGet(t, s, "c/keep"); !bytes.Equal(got, keep) {
		t.Fatalf("cancelled calls changed c/keep")
	}

	// Cancelling while a body is being read ends the read with the
	// context's error rather than a truncated success.
	rctx, rcancel := context.WithCancel(ctx)
	defer rcancel()
	rc, err := s.Get(rctx, "c/keep", 0, -1)
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	defer rc.Close()
	if _, err := io.ReadFull(rc, make([]byte, 10)); err != nil {
		t.Fatalf("reading the first bytes: %v", err)
	}
	rcancel()
	rest, err := io.ReadAll(rc)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("reading after cancel: %d bytes, %v; want a context.Canceled error", len(rest), err)
	}
}
