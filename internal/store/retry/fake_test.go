package retry

import (
	"bytes"
	"context"
	"errors"
	"io"
	"iter"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/tunesafe/tunesafe/internal/store"
)

// errReset is the transient failure the fake store injects.
var errReset = store.Transient(store.KindUnreachable, errors.New("connection reset by peer"))

// fakeStore is a map-backed store.Store whose calls fail on demand.
type fakeStore struct {
	mu      sync.Mutex
	objects map[string][]byte
	// fail[op] is how many more calls of op fail with failErr.
	fail    map[string]int
	failErr error
	// listFailAt[i] is, for the i-th List call, after how many yielded
	// objects it fails with failErr; missing or negative means it does not.
	listFailAt []int
	// readFailAt, if positive, makes readers fail after that many bytes.
	readFailAt int
	calls      map[string]int
}

func newFake() *fakeStore {
	return &fakeStore{objects: map[string][]byte{}, fail: map[string]int{}, calls: map[string]int{}, failErr: errReset}
}

func (f *fakeStore) String() string { return "fake" }

// call counts a call of op and reports the error it should fail with.
func (f *fakeStore) call(op string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls[op]++
	if f.fail[op] > 0 {
		f.fail[op]--
		return f.failErr
	}
	return nil
}

func (f *fakeStore) count(op string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[op]
}

func (f *fakeStore) Put(ctx context.Context, key string, data []byte) error {
	if err := f.call("put"); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.objects[key] = bytes.Clone(data)
	return nil
}

func (f *fakeStore) Get(ctx context.Context, key string, offset, length int64) (io.ReadCloser, error) {
	if err := f.call("get"); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	data, ok := f.objects[key]
	if !ok {
		return nil, store.NotFound(key)
	}
	data = data[min(offset, int64(len(data))):]
	if length >= 0 && length < int64(len(data)) {
		data = data[:length]
	}
	var r io.Reader = bytes.NewReader(data)
	if f.readFailAt > 0 {
		r = io.MultiReader(io.LimitReader(r, int64(f.readFailAt)), &errReader{f.failErr})
	}
	return io.NopCloser(r), nil
}

type errReader struct{ err error }

func (r *errReader) Read([]byte) (int, error) { return 0, r.err }

func (f *fakeStore) Stat(ctx context.Context, key string) (store.Info, error) {
	if err := f.call("stat"); err != nil {
		return store.Info{}, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	data, ok := f.objects[key]
	if !ok {
		return store.Info{}, store.NotFound(key)
	}
	return store.Info{Key: key, Size: int64(len(data))}, nil
}

func (f *fakeStore) Delete(ctx context.Context, key string) error {
	if err := f.call("delete"); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.objects, key)
	return nil
}

func (f *fakeStore) List(ctx context.Context, prefix string) iter.Seq2[store.Info, error] {
	return func(yield func(store.Info, error) bool) {
		f.mu.Lock()
		n := f.calls["list"]
		f.calls["list"]++
		failAt := -1
		if n < len(f.listFailAt) {
			failAt = f.listFailAt[n]
		}
		var infos []store.Info
		for k, v := range f.objects {
			if strings.HasPrefix(k, prefix) {
				infos = append(infos, store.Info{Key: k, Size: int64(len(v))})
			}
		}
		f.mu.Unlock()
		slices.SortFunc(infos, func(a, b store.Info) int { return strings.Compare(a.Key, b.Key) })
		for i, info := range infos {
			if i == failAt {
				yield(store.Info{}, f.failErr)
				return
			}
			if !yield(info, nil) {
				return
			}
		}
		if failAt >= len(infos) {
			yield(store.Info{}, f.failErr)
		}
	}
}

// fakeClock is a clock whose Sleep advances Now instantly.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	sleeps []time.Duration
}

func newClock() *fakeClock { return &fakeClock{now: time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	c.sleeps = append(c.sleeps, d)
	return nil
}

// retryLog records OnRetry calls.
type retryLog struct {
	mu    sync.Mutex
	calls []string
	nums  []int
}

func (l *retryLog) OnRetry(op, key string, attempt int, err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.calls = append(l.calls, op+" "+key)
	l.nums = append(l.nums, attempt)
}

// testPolicy returns a policy on a fake clock with maximal jitter (each
// delay is its ceiling minus 1ns), so delays are predictable.
func testPolicy(c *fakeClock, l *retryLog) Policy {
	return Policy{
		Sleep:   c.Sleep,
		Now:     c.Now,
		OnRetry: l.OnRetry,
		jitter:  func(d time.Duration) time.Duration { return max(d-1, 0) },
	}
}
