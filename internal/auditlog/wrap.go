package auditlog

import (
	"context"
	"fmt"
	"io"
	"iter"
	"strings"

	"github.com/tunesafe/tunesafe/internal/locks"
	"github.com/tunesafe/tunesafe/internal/store"
)

// Store is a store.Store decorator that journals every Put and Delete in a
// Log before sending it, and its outcome after. Reads pass through. Keys
// under "log/" (the log's own objects) pass through unrecorded.
type Store struct {
	next store.Store
	log  *Log
}

var _ store.Store = (*Store)(nil)

// Wrap returns next with every Put and Delete recorded in l.
//
// Where it goes in the stack matters: below encryption, so that the SHA-256
// recorded is that of the stored bytes (what an audit and the provider's
// checksum see), and above retries, so that one logical operation is one
// record: engine → encryption → auditlog.Wrap → retry → backend.
func Wrap(next store.Store, l *Log) store.Store { return &Store{next: next, log: l} }

type reasonKey struct{}

type reason struct{ reason, command string }

// WithReason returns a context that makes the audited store's Deletes
// record why they happen: reason is a short word ("forget", "prune",
// "repair"), command the command line that asked for it. The audited
// store refuses a Delete whose context has no reason.
func WithReason(ctx context.Context, why, command string) context.Context {
	return context.WithValue(ctx, reasonKey{}, reason{strings.ToValidUTF8(why, "\uFFFD"), strings.ToValidUTF8(command, "\uFFFD")})
}

// ReasonFrom returns the reason and command WithReason put in ctx.
func ReasonFrom(ctx context.Context) (why, command string, ok bool) {
	r, ok := ctx.Value(reasonKey{}).(reason)
	return r.reason, r.command, ok && r.reason != ""
}

// Put journals a Put record with the SHA-256 and size of data, stores
// data, and records the outcome.
func (s *Store) Put(ctx context.Context, key string, data []byte) error {
	if strings.HasPrefix(key, Prefix) {
		return s.next.Put(ctx, key, data)
	}
	if !store.ValidKey(key) {
		return store.Permanent(store.KindInvalid, fmt.Errorf("invalid key %q", key))
	}
	sum := store.Digest(ctx, data)
	in, err := s.log.Begin(Put{Key: key, SHA256: sum, Size: int64(len(data))})
	if err != nil {
		return fmt.Errorf("put %s: %w", key, err)
	}
	err = s.next.Put(store.WithDigest(ctx, data, sum), key, data)
	in.Done(err)
	s.log.flushIfDue(ctx)
	return err
}

// Delete journals a Delete record with the context's reason, deletes, and
// records the outcome.
func (s *Store) Delete(ctx context.Context, key string) error {
	if strings.HasPrefix(key, Prefix) {
		return s.next.Delete(ctx, key)
	}
	if !store.ValidKey(key) {
		return store.Permanent(store.KindInvalid, fmt.Errorf("invalid key %q", key))
	}
	why, command, ok := ReasonFrom(ctx)
	if !ok {
		return store.Permanent(store.KindInvalid, fmt.Errorf("delete %s: %w", key, ErrNoReason))
	}
	if strings.HasPrefix(key, locks.Prefix) && locks.RemovingStale(ctx) {
		// The command took a lock of its own, and removes another's that
		// is left from a command that died: not the command's purpose.
		why = ReasonStaleLock
	}
	in, err := s.log.Begin(Delete{Key: key, Reason: why, Command: command})
	if err != nil {
		return fmt.Errorf("delete %s: %w", key, err)
	}
	err = s.next.Delete(ctx, key)
	in.Done(err)
	s.log.flushIfDue(ctx)
	return err
}

// Get passes through.
func (s *Store) Get(ctx context.Context, key string, offset, length int64) (io.ReadCloser, error) {
	return s.next.Get(ctx, key, offset, length)
}

// Stat passes through.
func (s *Store) Stat(ctx context.Context, key string) (store.Info, error) {
	return s.next.Stat(ctx, key)
}

// List passes through.
func (s *Store) List(ctx context.Context, prefix string) iter.Seq2[store.Info, error] {
	return s.next.List(ctx, prefix)
}

// String names the wrapped store.
func (s *Store) String() string { return s.next.String() }
