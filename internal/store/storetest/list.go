package storetest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/tunesafe/tunesafe/internal/store"
)

// orderKeys sort differently by key than a directory walk visits them:
// '-' (0x2d) and '.' (0x2e) sort before '/' (0x2f), '0' (0x30) after it, and
// upper case before lower case. A walk that visits directory "a" before the
// file "a-b" yields "a/…" too early. No key is the parent "directory" of
// another, which file-backed stores cannot hold (see testParentKey).
var orderKeys = []string{
	"A", "Z/z", "a-b", "a.b", "a/b-c", "a/b.c", "a/b/c", "a/b/c-d", "a/b0",
	"a/bc", "a/c", "a0", "ab", "b/a", "b/a-", "b/a0", "b/a~", "z", "~",
}

func testListEmpty(t *testing.T, s store.Store) {
	for _, prefix := range []string{"", "a", "a/", "blobs/"} {
		if infos := listInfos(t, s, prefix); len(infos) != 0 {
			t.Errorf("List %q on an empty store = %v", prefix, infos)
		}
	}
}

func testListOrder(t *testing.T, s store.Store) {
	want := slices.Clone(orderKeys)
	putShuffled(t, s, want)
	slices.Sort(want)
	infos := listInfos(t, s, "")
	got := keysOf(infos)
	if !slices.Equal(got, want) {
		t.Fatalf("List \"\" =\n  %q\nwant lexical order\n  %q", got, want)
	}
	for _, info := range infos {
		checkInfo(t, info, info.Key, []byte(info.Key))
	}
}

func testListPrefix(t *testing.T, s store.Store) {
	putShuffled(t, s, orderKeys)
	for _, prefix := range []string{
		"", "a", "a/", "a/b", "a/b/", "a/b/c", "a/b/c-", "a-", "b", "b/a", "A",
		"z", "~", "zz", "a/b/c-d/", "c", "a/b.", "a/b/c-d",
	} {
		var want []string
		for _, k := range orderKeys {
			if strings.HasPrefix(k, prefix) {
				want = append(want, k)
			}
		}
		slices.Sort(want)
		if got := listKeys(t, s, prefix); !slices.Equal(got, want) {
			t.Errorf("List %q = %q, want %q", prefix, got, want)
		}
	}
}

func testListStop(t *testing.T, s store.Store) {
	putShuffled(t, s, orderKeys)
	n := 0
	for info, err := range s.List(t.Context(), "") {
		if err != nil {
			t.Fatalf("List: %v", err)
		}
		if info.Key != "A" {
			t.Fatalf("first key %q, want A", info.Key)
		}
		n++
		break
	}
	if n != 1 {
		t.Fatalf("List yielded %d objects before break, want 1", n)
	}
	// The store still works after an abandoned listing.
	if got := listKeys(t, s, "b/"); len(got) != 4 {
		t.Fatalf("List b/ after an abandoned listing = %q", got)
	}
}

// testListMany lists more objects than one S3 listing page (1000) holds.
func testListMany(t *testing.T, s store.Store) {
	const n = 1003
	keys := make([]string, n)
	for i := range keys {
		keys[i] = keyf("many/%02x/%04d", i%7, i)
	}
	keys = append(keys, "man", "many-", "manz")
	putParallel(t, s, keys, 8)
	want := keys[:n]
	slices.Sort(want)
	got := listKeys(t, s, "many/")
	if !slices.Equal(got, want) {
		t.Fatalf("List many/ = %d keys, want %d (first difference at %d)", len(got), len(want), firstDiff(got, want))
	}
}

// testParentKey stores a key and another below it ("p/q" and "p/q/r").
// Stores disagree here: AWS S3 keeps and lists both; the folder store and
// versitygw refuse the second (a file cannot be a directory); MinIO stores
// both but then leaves one of them out of listings. So vault keys must never
// nest, and the suite asks only that trying does no damage: the second Put
// either fails permanently and changes nothing, or stores an object that Get
// returns; either way the first object stays whole.
func testParentKey(t *testing.T, s store.Store) {
	ctx := t.Context()
	for _, c := range []struct{ first, second string }{
		{"p/q", "p/q/r"},
		{"x/y/z", "x/y"},
	} {
		mustPut(t, s, c.first, []byte(c.first))
		err := s.Put(ctx, c.second, []byte(c.second))
		if err != nil {
			if !store.IsPermanent(err) {
				t.Errorf("Put %s beside %s: %v, classified transient; want a permanent error", c.second, c.first, err)
			}
		} else if got := mustGet(t, s, c.second); string(got) != c.second {
			t.Errorf("Get %s = %q", c.second, got)
		}
		if got := mustGet(t, s, c.first); string(got) != c.first {
			t.Errorf("Put %s damaged %s: Get = %q", c.second, c.first, got)
		}
		if err != nil {
			prefix := c.first[:1]
			if got := listKeys(t, s, prefix); !slices.Equal(got, []string{c.first}) {
				t.Errorf("List %q = %q after a refused Put, want only %s", prefix, got, c.first)
			}
		}
	}
}

func putShuffled(t *testing.T, s store.Store, keys []string) {
	t.Helper()
	shuffled := slices.Clone(keys)
	r := rand.New(rand.NewPCG(1, 2))
	r.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
	for _, k := range shuffled {
		mustPut(t, s, k, []byte(k))
	}
}

// putParallel stores each key with its name as content, from workers
// goroutines.
func putParallel(t *testing.T, s store.Store, keys []string, workers int) {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	work := make(chan string)
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		first error
	)
	for range workers {
		wg.Go(func() {
			for k := range work {
				if err := s.Put(ctx, k, []byte(k)); err != nil {
					mu.Lock()
					if first == nil {
						first = fmt.Errorf("Put %s: %w", k, err)
					}
					mu.Unlock()
					cancel()
				}
			}
		})
	}
	for _, k := range keys {
		if ctx.Err() != nil {
			break
		}
		work <- k
	}
	close(work)
	wg.Wait()
	if first != nil {
		t.Fatal(first)
	}
}

func listInfos(t *testing.T, s store.Store, prefix string) []store.Info {
	t.Helper()
	var infos []store.Info
	for info, err := range s.List(t.Context(), prefix) {
		if err != nil {
			t.Fatalf("List %q: %v", prefix, err)
		}
		infos = append(infos, info)
	}
	return infos
}

func listKeys(t *testing.T, s store.Store, prefix string) []string {
	t.Helper()
	return keysOf(listInfos(t, s, prefix))
}

func keysOf(infos []store.Info) []string {
	keys := make([]string, 0, len(infos))
	for _, info := range infos {
		keys = append(keys, info.Key)
	}
	return keys
}

func firstDiff(a, b []string) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}
