package bwlimit

import (
	"context"
	"io"
	"iter"

	"github.com/tunesafe/tunesafe/internal/store"
)

// Store returns a store that limits the object bytes going to next to up
// and those coming from it to down; either may be nil for no limit. It is
// meant for stores without an HTTP transport to wrap, such as the folder
// store; wrap the S3 store's transport with Transport instead.
//
// Put waits for the tokens of the whole object, a bucket at a time, and
// then hands it to next in one call: the average rate follows the limit,
// but a folder on a network mount receives each object at full speed once
// its tokens are in. Get limits the reader it returns. Stat, List and
// Delete move no object bytes and are not limited.
func Store(next store.Store, up, down *Limiter) store.Store {
	return &limitedStore{next: next, up: up, down: down}
}

type limitedStore struct {
	next     store.Store
	up, down *Limiter
}

// Unwrap returns the wrapped store.
func (s *limitedStore) Unwrap() store.Store { return s.next }

func (s *limitedStore) String() string { return s.next.String() }

func (s *limitedStore) Put(ctx context.Context, key string, data []byte) error {
	if err := s.up.WaitN(ctx, len(data)); err != nil {
		return err
	}
	return s.next.Put(ctx, key, data)
}

func (s *limitedStore) Get(ctx context.Context, key string, offset, length int64) (io.ReadCloser, error) {
	rc, err := s.next.Get(ctx, key, offset, length)
	if err != nil {
		return nil, err
	}
	return s.down.readCloser(ctx, rc), nil
}

func (s *limitedStore) Stat(ctx context.Context, key string) (store.Info, error) {
	return s.next.Stat(ctx, key)
}

func (s *limitedStore) List(ctx context.Context, prefix string) iter.Seq2[store.Info, error] {
	return s.next.List(ctx, prefix)
}

func (s *limitedStore) Delete(ctx context.Context, key string) error {
	return s.next.Delete(ctx, key)
}
