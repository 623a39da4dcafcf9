package restore

import (
	"bytes"
	"context"
	"sync"

	"github.com/tunesafe/tunesafe/internal/vault"
)

// sharedBlobs downloads once the blobs that several restored files
// contain, and keeps each from its first use to its last. In a music
// library these are album art (one picture for every track of an album),
// the zero blobs of tag padding and identical headers: in a library of
// 103 tracks, a third of all requests a restore made were for blobs it had
// already downloaded. Only a file's direct blobs are counted; the blobs
// behind its lists are its audio, which files rarely share.
type sharedBlobs struct {
	max int64 // most bytes kept at once; past it, blobs are downloaded again

	mu    sync.Mutex
	left  map[vault.ID]int // uses to come, of blobs with more than one
	kept  map[vault.ID]*keptBlob
	bytes int64 // held by kept
}

// keptBlob is a shared blob being downloaded (ready open) or downloaded.
type keptBlob struct {
	ready chan struct{}
	data  []byte // read-only once ready is closed
	err   error
}

// maxShared bounds the bytes of shared blobs kept at once: room for the
// covers of a few albums restored side by side.
const maxShared = 32 << 20

// newSharedBlobs counts the direct blobs of files and keeps those used
// more than once.
func newSharedBlobs(files []entry, max int64) *sharedBlobs {
	uses := map[vault.ID]int{}
	for i := range files {
		n := &files[i].node
		for k, id := range n.Blobs {
			if !n.IsList(k) {
				uses[id]++
			}
		}
	}
	left := map[vault.ID]int{}
	for id, n := range uses {
		if n > 1 {
			left[id] = n
		}
	}
	return &sharedBlobs{max: max, left: left, kept: map[vault.ID]*keptBlob{}}
}

// read returns blob id's plaintext; release must be called when the data
// is no longer used. A nil s reads every blob from v.
func (s *sharedBlobs) read(ctx context.Context, v *vault.Vault, id vault.ID) (data []byte, release func(), err error) {
	if s == nil {
		return v.ReadBlob(ctx, id)
	}
	s.mu.Lock()
	if _, ok := s.left[id]; !ok {
		s.mu.Unlock()
		return v.ReadBlob(ctx, id)
	}
	k := s.kept[id]
	if k == nil && s.bytes >= s.max {
		s.mu.Unlock()
		data, release, err := v.ReadBlob(ctx, id)
		if err == nil {
			s.used(id)
		}
		return data, release, err
	}
	if k == nil {
		k = &keptBlob{ready: make(chan struct{})}
		s.kept[id] = k
		s.mu.Unlock()
		data, release, err := v.ReadBlob(ctx, id)
		if err == nil {
			k.data = bytes.Clone(data)
			release()
		}
		s.mu.Lock()
		k.err = err
		if err == nil {
			s.bytes += int64(len(k.data))
		} else {
			delete(s.kept, id) // the next use tries again
		}
		close(k.ready)
		s.mu.Unlock()
	} else {
		s.mu.Unlock()
	}
	select {
	case <-k.ready:
	case <-ctx.Done():
		return nil, nil, context.Cause(ctx)
	}
	if k.err != nil {
		return nil, nil, k.err
	}
	return k.data, func() { s.used(id) }, nil
}

// used counts one use of id done, and drops the blob after its last.
func (s *sharedBlobs) used(id vault.ID) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n, ok := s.left[id]
	if !ok {
		return
	}
	if n > 1 {
		s.left[id] = n - 1
		return
	}
	delete(s.left, id)
	if k := s.kept[id]; k != nil {
		delete(s.kept, id)
		s.bytes -= int64(len(k.data))
	}
}
