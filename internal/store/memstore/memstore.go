// Package memstore keeps a vault's objects in memory. It is the reference
// implementation of the store contract: every test that needs a store and
// does not care where the bytes live uses it, and the conformance suite in
// package storetest holds the folder and S3 stores to what it does.
//
// The zero value is an empty, ready store:
//
//	var s memstore.Store
//	err := s.Put(ctx, "blobs/ab/ab12", data)
//
// Put copies data and Get hands out a copy, so neither the caller nor the
// store can change the other's bytes afterwards. Stat reports a SHA-256 of
// the stored bytes, like an S3 provider that keeps x-amz-checksum-sha256.
package memstore

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"iter"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/tunesafe/tunesafe/internal/store"
)

// Store is an in-memory store.Store. Its zero value is usable; it must not be
// copied after first use.
type Store struct {
	mu      sync.RWMutex
	objects map[string]object
}

type object struct {
	data    []byte
	modTime time.Time
	sum     [sha256.Size]byte
}

var _ store.Store = (*Store)(nil)

// String names the store for messages.
func (s *Store) String() string { return "memory" }

// Put stores a copy of data under key.
func (s *Store) Put(ctx context.Context, key string, data []byte) error {
	if err := store.CheckKey(ctx, key); err != nil {
		return err
	}
	obj := object{data: bytes.Clone(data), modTime: time.Now(), sum: sha256.Sum256(data)}
	if obj.data == nil {
		obj.data = []byte{}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.objects == nil {
		s.objects = make(map[string]object)
	}
	s.objects[key] = obj
	return nil
}

// Get returns a copy of length bytes of the object starting at offset.
func (s *Store) Get(ctx context.Context, key string, offset, length int64) (io.ReadCloser, error) {
	if err := store.CheckKey(ctx, key); err != nil {
		return nil, err
	}
	if offset < 0 {
		return nil, store.Permanent(store.KindInvalid, fmt.Errorf("get %s: negative offset %d", key, offset))
	}
	s.mu.RLock()
	obj, ok := s.objects[key]
	s.mu.RUnlock()
	if !ok {
		return nil, store.NotFound(key)
	}
	data := obj.data
	data = data[min(offset, int64(len(data))):]
	if length >= 0 {
		data = data[:min(length, int64(len(data)))]
	}
	// The stored slice is never modified in place (Put replaces it), so
	// one copy here is all the isolation a reader needs.
	return &reader{ctx: ctx, r: bytes.NewReader(bytes.Clone(data))}, nil
}

// Stat returns the object's size, time of storing and SHA-256.
func (s *Store) Stat(ctx context.Context, key string) (store.Info, error) {
	if err := store.CheckKey(ctx, key); err != nil {
		return store.Info{}, err
	}
	s.mu.RLock()
	obj, ok := s.objects[key]
	s.mu.RUnlock()
	if !ok {
		return store.Info{}, store.NotFound(key)
	}
	return obj.info(key), nil
}

// List yields the objects under prefix in lexical key order, as they were
// when List started.
func (s *Store) List(ctx context.Context, prefix string) iter.Seq2[store.Info, error] {
	return func(yield func(store.Info, error) bool) {
		if err := ctx.Err(); err != nil {
			yield(store.Info{}, fmt.Errorf("list %q: %w", prefix, err))
			return
		}
		s.mu.RLock()
		infos := make([]store.Info, 0, len(s.objects))
		for key, obj := range s.objects {
			if strings.HasPrefix(key, prefix) {
				infos = append(infos, obj.info(key))
			}
		}
		s.mu.RUnlock()
		slices.SortFunc(infos, func(a, b store.Info) int { return strings.Compare(a.Key, b.Key) })
		for _, info := range infos {
			if err := ctx.Err(); err != nil {
				yield(store.Info{}, fmt.Errorf("list %q: %w", prefix, err))
				return
			}
			if !yield(info, nil) {
				return
			}
		}
	}
}

// Delete removes the object under key; a missing key is not an error.
func (s *Store) Delete(ctx context.Context, key string) error {
	if err := store.CheckKey(ctx, key); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.objects, key)
	return nil
}

func (o object) info(key string) store.Info {
	return store.Info{Key: key, Size: int64(len(o.data)), ModTime: o.modTime, SHA256: bytes.Clone(o.sum[:])}
}

// reader stops handing out bytes once its context is done, as a network
// stream would.
type reader struct {
	ctx context.Context
	r   *bytes.Reader
}

// Size is the number of bytes the object holds (store.Sizer).
func (r *reader) Size() int64 { return r.r.Size() }

func (r *reader) Read(p []byte) (int, error) {
	if err := r.ctx.Err(); err != nil {
		return 0, err
	}
	return r.r.Read(p)
}

func (r *reader) Close() error { return nil }
