// Package storetest is the conformance suite for store.Store: one set of
// tests that the memory, folder and S3 stores, and any store added later,
// must all pass, so that the engines above can rely on the contract written
// in package store rather than on one backend's habits.
//
// A store's test calls Run with a constructor that returns a new, empty
// store for each subtest:
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) store.Store {
//			s, err := folder.New(t.TempDir())
//			if err != nil {
//				t.Fatal(err)
//			}
//			return s
//		})
//	}
//
// The suite checks behaviour only through the store.Store interface: whole
// and ranged reads, overwrites, sizes and provider checksums, listing order
// and prefixes (with keys whose order differs from a directory walk's),
// deletes, not-found errors, empty and 5 MiB objects, many goroutines at
// once, invalid keys and cancelled contexts.
//
// One thing the suite cannot demand: a key below another key ("a/b" and
// "a/b/c"). S3 allows it, but file-backed stores cannot hold both, and
// servers differ (see testParentKey), so vault keys must never nest; the
// suite only checks that trying does no damage.
package storetest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"testing"

	"github.com/tunesafe/tunesafe/internal/store"
)

// Run runs the conformance suite. newStore must return a new store with no
// objects each time it is called; it may register cleanups on t.
func Run(t *testing.T, newStore func(t *testing.T) store.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s store.Store)
	}{
		{"PutGet", testPutGet},
		{"PutDoesNotRetain", testPutDoesNotRetain},
		{"RangedGet", testRangedGet},
		{"Overwrite", testOverwrite},
		{"Stat", testStat},
		{"EmptyObject", testEmptyObject},
		{"LargeObject", testLargeObject},
		{"Missing", testMissing},
		{"Delete", testDelete},
		{"ListEmpty", testListEmpty},
		{"ListOrder", testListOrder},
		{"ListPrefix", testListPrefix},
		{"ListStop", testListStop},
		{"ListMany", testListMany},
		{"ParentKey", testParentKey},
		{"InvalidKeys", testInvalidKeys},
		{"Concurrent", testConcurrent},
		{"AtomicOverwrite", testAtomicOverwrite},
		{"Cancelled", testCancelled},
		{"String", testString},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.fn(t, newStore(t))
		})
	}
}

func testPutGet(t *testing.T, s store.Store) {
	ctx := t.Context()
	data := []byte("the quick brown fox jumps over the lazy dog")
	mustPut(t, s, "obj/one", data)
	if got := mustGet(t, s, "obj/one"); !bytes.Equal(got, data) {
		t.Fatalf("Get = %q, want %q", got, data)
	}
	// Put is idempotent: the same object twice is the same object.
	mustPut(t, s, "obj/one", data)
	got, err := store.ReadAll(ctx, s, "obj/one")
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("after second Put: ReadAll = %q, %v; want %q", got, err, data)
	}
}

func testPutDoesNotRetain(t *testing.T, s store.Store) {
	data := []byte("original")
	mustPut(t, s, "k", data)
	copy(data, "XXXXXXXX")
	if got := mustGet(t, s, "k"); string(got) != "original" {
		t.Fatalf("store kept the caller's slice: Get = %q", got)
	}
	got := mustGet(t, s, "k")
	copy(got, "YYYYYYYY")
	if again := mustGet(t, s, "k"); string(again) != "original" {
		t.Fatalf("store handed out its own bytes: Get = %q", again)
	}
}

func testRangedGet(t *testing.T, s store.Store) {
	data := pattern(100, 1)
	mustPut(t, s, "ranged", data)
	for _, c := range []struct{ offset, length int64 }{
		{0, -1}, {0, 100}, {0, 1}, {10, 20}, {99, 1}, {90, -1},
		{90, 50},   // runs past the end: what there is
		{100, -1},  // starts at the end: nothing
		{100, 10},  // likewise
		{150, -1},  // starts past the end
		{150, 10},  // likewise
		{0, 0},     // zero length
		{50, 0},    // zero length inside
		{0, 1000},  // longer than the object
		{1, 99},    // exactly to the end
		{98, 1000}, // tail
	} {
		start := min(c.offset, int64(len(data)))
		end := int64(len(data))
		if c.length >= 0 {
			end = min(start+c.length, end)
		}
		want := data[start:end]
		got, err := readRange(t.Context(), s, "ranged", c.offset, c.length)
		if err != nil {
			t.Errorf("Get(offset %d, length %d): %v", c.offset, c.length, err)
			continue
		}
		if !bytes.Equal(got, want) {
			t.Errorf("Get(offset %d, length %d) = %d bytes %x, want %d bytes %x",
				c.offset, c.length, len(got), got, len(want), want)
		}
	}
}

func testOverwrite(t *testing.T, s store.Store) {
	long := pattern(1000, 2)
	short := []byte("short")
	mustPut(t, s, "over/write", long)
	mustPut(t, s, "over/write", short)
	if got := mustGet(t, s, "over/write"); !bytes.Equal(got, short) {
		t.Fatalf("after overwrite Get = %q, want %q", got, short)
	}
	info := mustStat(t, s, "over/write")
	checkInfo(t, info, "over/write", short)
	if keys := listKeys(t, s, ""); len(keys) != 1 || keys[0] != "over/write" {
		t.Fatalf("after overwrite List = %q, want one key", keys)
	}
}

func testStat(t *testing.T, s store.Store) {
	data := pattern(12345, 3)
	mustPut(t, s, "stat/me", data)
	checkInfo(t, mustStat(t, s, "stat/me"), "stat/me", data)
}

func testEmptyObject(t *testing.T, s store.Store) {
	mustPut(t, s, "empty/slice", []byte{})
	mustPut(t, s, "empty/nil", nil)
	for _, key := range []string{"empty/nil", "empty/slice"} {
		if got := mustGet(t, s, key); len(got) != 0 {
			t.Errorf("Get %s = %q, want empty", key, got)
		}
		checkInfo(t, mustStat(t, s, key), key, nil)
		got, err := readRange(t.Context(), s, key, 0, 10)
		if err != nil || len(got) != 0 {
			t.Errorf("Get %s (0, 10) = %q, %v; want empty", key, got, err)
		}
		got, err = readRange(t.Context(), s, key, 5, -1)
		if err != nil || len(got) != 0 {
			t.Errorf("Get %s (5, -1) = %q, %v; want empty", key, got, err)
		}
	}
	infos := listInfos(t, s, "empty/")
	if len(infos) != 2 || infos[0].Key != "empty/nil" || infos[1].Key != "empty/slice" {
		t.Fatalf("List empty/ = %v, want the two empty objects", infos)
	}
	for _, info := range infos {
		if info.Size != 0 {
			t.Errorf("List: %s has size %d, want 0", info.Key, info.Size)
		}
	}
}

func testLargeObject(t *testing.T, s store.Store) {
	data := pattern(5<<20+3, 4)
	mustPut(t, s, "large/5MiB", data)
	if got := mustGet(t, s, "large/5MiB"); !bytes.Equal(got, data) {
		t.Fatalf("Get of 5 MiB object: %d bytes, differs from what was put", len(got))
	}
	checkInfo(t, mustStat(t, s, "large/5MiB"), "large/5MiB", data)
	off := int64(5<<20 - 7)
	got, err := readRange(t.Context(), s, "large/5MiB", off, 100)
	if err != nil || !bytes.Equal(got, data[off:]) {
		t.Fatalf("ranged Get of the tail = %d bytes, %v; want the last %d bytes", len(got), err, len(data)-int(off))
	}
}

func testMissing(t *testing.T, s store.Store) {
	ctx := t.Context()
	mustPut(t, s, "present/key", []byte("x"))
	for _, key := range []string{"missing", "present/key/below", "present/k", "present"} {
		rc, err := s.Get(ctx, key, 0, -1)
		if err == nil {
			rc.Close()
		}
		checkNotFound(t, "Get "+key, err)
		_, err = s.Get(ctx, key, 5, 10)
		checkNotFound(t, "ranged Get "+key, err)
		_, err = s.Stat(ctx, key)
		checkNotFound(t, "Stat "+key, err)
	}
}

func testDelete(t *testing.T, s store.Store) {
	ctx := t.Context()
	mustPut(t, s, "del/a", []byte("a"))
	mustPut(t, s, "del/b", []byte("b"))
	if err := s.Delete(ctx, "del/a"); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	_, err := s.Stat(ctx, "del/a")
	checkNotFound(t, "Stat after Delete", err)
	_, err = s.Get(ctx, "del/a", 0, -1)
	checkNotFound(t, "Get after Delete", err)
	if err := s.Delete(ctx, "del/a"); err != nil {
		t.Fatalf("second Delete: %v, want nil", err)
	}
	if err := s.Delete(ctx, "never/was/there"); err != nil {
		t.Fatalf("Delete of a missing key: %v, want nil", err)
	}
	if keys := listKeys(t, s, ""); len(keys) != 1 || keys[0] != "del/b" {
		t.Fatalf("List after Delete = %q, want [del/b]", keys)
	}
	if got := mustGet(t, s, "del/b"); string(got) != "b" {
		t.Fatalf("Delete touched a neighbour: Get del/b = %q", got)
	}
	// A deleted key can be stored again.
	mustPut(t, s, "del/a", []byte("again"))
	if got := mustGet(t, s, "del/a"); string(got) != "again" {
		t.Fatalf("Put after Delete: Get = %q", got)
	}
}

func testString(t *testing.T, s store.Store) {
	if s.String() == "" {
		t.Fatal("String() is empty")
	}
}

// checkInfo checks what Stat or List reported for an object holding data.
func checkInfo(t *testing.T, info store.Info, key string, data []byte) {
	t.Helper()
	if info.Key != key {
		t.Errorf("Info.Key = %q, want %q", info.Key, key)
	}
	if info.Size != int64(len(data)) {
		t.Errorf("%s: Info.Size = %d, want %d", key, info.Size, len(data))
	}
	if info.ModTime.IsZero() {
		t.Errorf("%s: Info.ModTime is zero", key)
	}
	if info.SHA256 != nil {
		if sum := sha256.Sum256(data); !bytes.Equal(info.SHA256, sum[:]) {
			t.Errorf("%s: Info.SHA256 = %x, want %x", key, info.SHA256, sum)
		}
	}
}

func checkNotFound(t *testing.T, what string, err error) {
	t.Helper()
	switch {
	case err == nil:
		t.Errorf("%s: no error, want not-found", what)
	case !errors.Is(err, fs.ErrNotExist):
		t.Errorf("%s: %v, want an error satisfying errors.Is(err, fs.ErrNotExist)", what, err)
	case store.IsTransient(err):
		t.Errorf("%s: not-found error %v is classified transient", what, err)
	}
}

func mustPut(t *testing.T, s store.Store, key string, data []byte) {
	t.Helper()
	if err := s.Put(t.Context(), key, data); err != nil {
		t.Fatalf("Put %s: %v", key, err)
	}
}

func mustGet(t *testing.T, s store.Store, key string) []byte {
	t.Helper()
	data, err := store.ReadAll(t.Context(), s, key)
	if err != nil {
		t.Fatalf("Get %s: %v", key, err)
	}
	return data
}

func mustStat(t *testing.T, s store.Store, key string) store.Info {
	t.Helper()
	info, err := s.Stat(t.Context(), key)
	if err != nil {
		t.Fatalf("Stat %s: %v", key, err)
	}
	return info
}

func readRange(ctx context.Context, s store.Store, key string, offset, length int64) ([]byte, error) {
	rc, err := s.Get(ctx, key, offset, length)
	if err != nil {
		return nil, err
	}
	data, err := io.ReadAll(rc)
	if cerr := rc.Close(); err == nil {
		err = cerr
	}
	return data, err
}

// pattern returns n deterministic pseudo-random bytes; seed tells objects
// apart.
func pattern(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, uint64(n)))
	b := make([]byte, n)
	for i := 0; i < n; i += 8 {
		v := r.Uint64()
		for j := 0; j < 8 && i+j < n; j++ {
			b[i+j] = byte(v >> (8 * j))
		}
	}
	return b
}

func keyf(format string, args ...any) string { return fmt.Sprintf(format, args...) }
