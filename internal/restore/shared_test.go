package restore

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tunesafe/tunesafe/internal/store"
	"github.com/tunesafe/tunesafe/internal/store/memstore"
	"github.com/tunesafe/tunesafe/internal/vault"
)

// countingStore counts the downloads of each key.
type countingStore struct {
	store.Store
	mu   sync.Mutex
	gets map[string]int
}

func (c *countingStore) Get(ctx context.Context, key string, off, n int64) (io.ReadCloser, error) {
	c.mu.Lock()
	c.gets[key]++
	c.mu.Unlock()
	return c.Store.Get(ctx, key, off, n)
}

// An album whose tracks share a cover and tag padding: a restore
// downloads each shared blob once, and every track is exact.
func TestSharedBlobsDownloadedOnce(t *testing.T) {
	for _, tc := range []struct {
		name     string
		max      int64
		wantOnce bool
	}{{"kept", maxShared, true}, {"over budget", 0, false}} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			cs := &countingStore{Store: &memstore.Store{}, gets: map[string]int{}}
			v, err := vault.Init(ctx, cs, vault.InitOptions{})
			if err != nil {
				t.Fatal(err)
			}
			put := func(data []byte) vault.ID {
				id := v.Hasher().Sum(data)
				if _, err := v.PutBlob(ctx, id, data); err != nil {
					t.Fatal(err)
				}
				return id
			}
			cover := put(bytes.Repeat([]byte("cover art "), 20_000))
			padding := put(make([]byte, 4096))
			tracks := 12
			var nodes []vault.Node
			want := map[string][]byte{}
			for i := range tracks {
				tag := []byte(fmt.Sprintf("ID3 tag of track %d", i))
				audio := bytes.Repeat([]byte{byte(i)}, 50_000+i)
				content := bytes.Join([][]byte{tag, bytes.Repeat([]byte("cover art "), 20_000), make([]byte, 4096), audio}, nil)
				sum := sha256.Sum256(content)
				name := fmt.Sprintf("%02d.mp3", i)
				want[name] = content
				nodes = append(nodes, vault.Node{
					Name: name, Type: vault.TypeFile, Mode: 0o644, MTime: time.Unix(1_700_000_000, 0),
					Size: int64(len(content)), SHA256: hex.EncodeToString(sum[:]),
					Blobs: []vault.ID{put(tag), cover, padding, put(audio)},
				})
			}
			tree, err := v.EncodeTree(&vault.Tree{Nodes: nodes})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := v.PutTree(ctx, tree); err != nil {
				t.Fatal(err)
			}
			out := t.TempDir()
			res, err := run(ctx, v, &vault.Snapshot{Tree: tree.ID}, Options{To: out, Workers: 4}, tc.max)
			if err != nil {
				t.Fatal(err)
			}
			if res.Restored != int64(tracks) {
				t.Fatalf("restored %d files, want %d", res.Restored, tracks)
			}
			for name, content := range want {
				got, err := os.ReadFile(filepath.Join(out, name))
				if err != nil || !bytes.Equal(got, content) {
					t.Fatalf("%s differs (%v)", name, err)
				}
			}
			for _, id := range []vault.ID{cover, padding} {
				n := cs.gets[vault.BlobKey(id)]
				if tc.wantOnce && n != 1 {
					t.Errorf("shared blob %s downloaded %d times, want once", id, n)
				}
				if !tc.wantOnce && n != tracks {
					t.Errorf("shared blob %s downloaded %d times with no room to keep it, want %d", id, n, tracks)
				}
			}
			for key, n := range cs.gets {
				if strings.HasPrefix(key, "blobs/") && n > 1 && tc.wantOnce {
					t.Errorf("%s downloaded %d times", key, n)
				}
			}
		})
	}
}
