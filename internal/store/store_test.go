package store_test

import (
	"bytes"
	"context"
	"runtime"
	"testing"

	"github.com/tunesafe/tunesafe/internal/store"
	"github.com/tunesafe/tunesafe/internal/store/folder"
)

// ReadAll of an object whose reader knows its size allocates the object's
// size once: no doubling when it meets the end, restoring a library
// reads gigabytes through it.
func TestReadAllAllocatesOnce(t *testing.T) {
	ctx := context.Background()
	s, err := folder.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	data := bytes.Repeat([]byte("tunesafe"), 1<<17) // 1 MiB
	if err := s.Put(ctx, "blobs/aa/a", data); err != nil {
		t.Fatal(err)
	}
	const runs = 20
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for range runs {
		got, err := store.ReadAll(ctx, s, "blobs/aa/a")
		if err != nil || !bytes.Equal(got, data) {
			t.Fatalf("ReadAll: %d bytes, %v", len(got), err)
		}
	}
	runtime.ReadMemStats(&after)
	if per := (after.TotalAlloc - before.TotalAlloc) / runs; per > uint64(len(data))*11/10 {
		t.Fatalf("ReadAll of %d bytes allocates %d bytes", len(data), per)
	}
}
