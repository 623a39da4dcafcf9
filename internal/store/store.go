// Package store defines where a vault's objects live: a small key/value
// interface over immutable objects, implemented by a memory store, a folder
// store and an S3 store, and wrapped by decorators (retry, bandwidth limits,
// logging to the tamper-evident log) that all speak the same interface.
//
// The contract every implementation keeps, and that the conformance suite in
// package storetest checks:
//
//   - Keys are slash-separated, relative, clean paths of printable ASCII
//     ("blobs/ab/ab12…", "snapshots/…"). A store never sees "..", a leading
//     slash or an empty segment; ValidKey reports whether a key is acceptable.
//   - Keys never nest: no key is another key followed by "/". A store may
//     refuse such a Put, permanently (folders and some servers cannot hold
//     both "a/b" and "a/b/c").
//   - Put stores the whole object atomically: a reader sees either the old
//     object, the new one, or none, never a prefix. Put of an existing key
//     replaces it. Put is idempotent.
//   - Get, Stat and Delete of a missing key: Get and Stat return an error for
//     which errors.Is(err, fs.ErrNotExist) holds; Delete returns nil.
//   - List yields every object whose key starts with prefix, in lexical key
//     order, each exactly once. An error ends the sequence.
//   - Errors are classified once, by the implementation that sees them: see
//     IsTransient and IsPermanent in errors.go. Decorators decide on the
//     class, never on the text.
//   - All methods may be called from many goroutines at once.
package store

import (
	"bytes"
	"context"
	"io"
	"iter"
	"time"
)

// Info describes one stored object.
type Info struct {
	Key     string
	Size    int64
	ModTime time.Time
	// SHA256 is the provider's own SHA-256 of the stored bytes when the
	// provider keeps one (S3 with x-amz-checksum-sha256); nil otherwise.
	SHA256 []byte
}

// Store is the interface every backend implements and every decorator wraps.
type Store interface {
	// Put stores data under key. Implementations must not retain data after
	// returning. The data slice is the whole object, so a retry can resend it.
	Put(ctx context.Context, key string, data []byte) error
	// Get returns length bytes of the object starting at offset; length < 0
	// means to the end. Reading past the end returns what there is.
	Get(ctx context.Context, key string, offset, length int64) (io.ReadCloser, error)
	// Stat returns the object's metadata.
	Stat(ctx context.Context, key string) (Info, error)
	// List yields the objects under prefix in lexical order.
	List(ctx context.Context, prefix string) iter.Seq2[Info, error]
	// Delete removes the object; a missing object is not an error.
	Delete(ctx context.Context, key string) error
	// String names the store for messages, e.g. "s3://bucket/prefix".
	String() string
}

// Sizer is implemented by readers that know how many bytes they hold, so
// that ReadAll allocates once.
type Sizer interface{ Size() int64 }

// ReadInto reads the whole object under key into buf, after what buf
// holds: a caller that recycles buffers reads without allocating.
func ReadInto(ctx context.Context, s Store, key string, buf *bytes.Buffer) error {
	rc, err := s.Get(ctx, key, 0, -1)
	if err != nil {
		return err
	}
	defer rc.Close()
	if sz, ok := rc.(Sizer); ok {
		if n := sz.Size(); n >= 0 && n < 1<<30 {
			// Grow, unlike make, does not clear memory about to be
			// overwritten: restoring a library reads gigabytes here.
			// ReadFrom wants MinRead free to see the end.
			buf.Grow(int(n) + bytes.MinRead)
		}
	}
	_, err = buf.ReadFrom(rc)
	return err
}

// ReadAll reads the whole object under key.
func ReadAll(ctx context.Context, s Store, key string) ([]byte, error) {
	var buf bytes.Buffer
	err := ReadInto(ctx, s, key, &buf)
	return buf.Bytes(), err
}
