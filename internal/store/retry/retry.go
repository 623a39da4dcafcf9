// Package retry wraps a store.Store so that transient failures are retried
// with exponential backoff and full jitter, while permanent failures and
// cancellation come back at once.
//
// Which errors are retried is decided by class, never by text: an error is
// retried exactly when store.IsTransient reports true, that is when the
// store that saw it wrapped it with store.Transient (a reset connection, a
// timeout, an HTTP 503, S3 throttling). Everything else, unclassified errors
// included, is returned to the caller unchanged on the first attempt.
//
// What each method retries:
//
//   - Put is retried as a whole: it takes the complete object as a []byte,
//     so every attempt resends the same bytes, and Put is idempotent.
//   - Stat and Delete are retried as a whole; both are idempotent.
//   - Get retries only the call that opens the object. Once a reader has
//     been returned, an error while reading it goes to the caller: the
//     caller checks the content hash over the whole stream, and a restart
//     in the middle would splice bytes from two requests, which may not see
//     the same object if a Put replaced it in between. Callers that want to
//     retry a broken download call Get again.
//   - List retries a listing that fails before it yields anything. When it
//     fails after yielding some objects it lists again and skips every key
//     up to and including the last one yielded, relying on the store
//     contract that List yields keys in lexical order. The caller sees each
//     object once. Each time a restarted listing makes progress, the
//     backoff starts over, so a long listing over a flaky line is not cut
//     short by MaxElapsed.
//
// Backoff. Before retry n (n = 1, 2, …) the store sleeps a random duration
// drawn uniformly from [0, min(Max, Initial·2ⁿ⁻¹)): "full jitter", which
// spreads the retries of many clients that failed together (see "Exponential
// Backoff And Jitter", AWS Architecture Blog, 2015). It gives up once
// MaxElapsed has passed since the first attempt, returning the last error
// with the number of attempts added; that error is still transient, so an
// unattended agent can tell "the line is down, try again in the next
// window" from "the credentials are wrong".
//
// One give-up bounds the rest of the run. Once a call of a Store has given
// up after MaxElapsed, the storage has not answered for that long, and the
// calls that follow (a failing run's cleanup on its way out: its lock, the
// log's last records) would each wait as long again: so until a call
// succeeds, every call of that Store, those already retrying included,
// makes at most DownAttempts attempts. A caller whose call is best effort
// bounds it itself, whatever the policy, with AtMost.
//
// Where it goes in the stack: above the bandwidth limit, so that every
// attempt's bytes are limited too (for S3 the limit sits in the HTTP
// transport, below the store; for the folder store wrap bwlimit.Store with
// retry), and below decorators that should see each operation once, such
// as the log of PUTs and DELETEs:
//
//	s := retry.Wrap(s3, retry.Policy{OnRetry: logRetry})
package retry

import (
	"context"
	"fmt"
	"io"
	"iter"
	"sync/atomic"
	"time"

	"github.com/tunesafe/tunesafe/internal/store"
)

// Store is the store.Store that Wrap returns.
type Store struct {
	next store.Store
	p    Policy
	// down is set when a call gave up after MaxElapsed, and cleared when
	// a call succeeds (see the package comment).
	down atomic.Bool
}

// DownAttempts is how many attempts a call makes while its Store is down:
// after one of its calls gave up, until one succeeds.
const DownAttempts = 2

// begin starts the backoff of one call of s.
func (s *Store) begin() *backoff {
	b := s.p.begin()
	b.down = &s.down
	return b
}

var _ store.Store = (*Store)(nil)

// Wrap returns a store that retries the transient failures of next as p
// says. Zero fields of p take their defaults (see Policy).
func Wrap(next store.Store, p Policy) store.Store {
	return &Store{next: next, p: p.withDefaults()}
}

// Unwrap returns the wrapped store, so that callers can find optional
// capabilities of the store underneath by type assertion.
func (s *Store) Unwrap() store.Store { return s.next }

// String names the wrapped store: retrying does not change where objects live.
func (s *Store) String() string { return s.next.String() }

// Put stores data under key, resending it after transient failures.
func (s *Store) Put(ctx context.Context, key string, data []byte) error {
	return s.do(ctx, "put", key, func() error {
		return s.next.Put(ctx, key, data)
	})
}

// Get opens the object, retrying the opening call only; errors while
// reading the returned reader are the caller's to handle.
//
// An object the provider answers for but cannot serve is not retried for
// the whole MaxElapsed: once its GETs have failed with server errors for
// UnreadableAfter (and at least unreadableAttempts times), a Stat of the
// same key tells a server that is down from one that keeps a damaged
// object. If the Stat succeeds, Get returns a permanent error of kind
// store.KindUnreadable, which integrity checks report as a damaged object
// and repair stores again, instead of a quarter of an hour later calling
// the storage unreachable. Throttling (store.KindThrottled) and network
// failures never count: they are retried as long as the policy says.
func (s *Store) Get(ctx context.Context, key string, offset, length int64) (io.ReadCloser, error) {
	b := s.begin()
	for {
		rc, err := s.next.Get(ctx, key, offset, length)
		if err == nil {
			b.recovered("get", key)
			return rc, nil
		}
		if uerr := s.unreadable(ctx, b, key, err); uerr != nil {
			return nil, uerr
		}
		if err := b.wait(ctx, "get", key, err); err != nil {
			return nil, err
		}
	}
}

// unreadableAttempts is the fewest failed GETs of one object after which
// it may be found unreadable, however short UnreadableAfter is.
const unreadableAttempts = 5

// unreadable returns the error for an object found unreadable after the
// GET failure err, or nil to go on retrying.
func (s *Store) unreadable(ctx context.Context, b *backoff, key string, err error) error {
	if s.p.UnreadableAfter < 0 || store.KindOf(err) != store.KindServer || !store.IsTransient(err) {
		return nil
	}
	elapsed := b.p.Now().Sub(b.start)
	if b.retries+1 < unreadableAttempts || elapsed < s.p.UnreadableAfter {
		return nil
	}
	if _, serr := s.next.Stat(ctx, key); serr != nil {
		return nil // the server is not answering for it either: wait
	}
	return store.Permanent(store.KindUnreadable, fmt.Errorf(
		"get %s: the storage answers for this object but failed to serve its content %d times in %s, so it is damaged where the storage keeps it: %w",
		key, b.retries+1, elapsedString(elapsed), err))
}

// Stat returns the object's metadata, retrying transient failures.
func (s *Store) Stat(ctx context.Context, key string) (store.Info, error) {
	var info store.Info
	err := s.do(ctx, "stat", key, func() error {
		var err error
		info, err = s.next.Stat(ctx, key)
		return err
	})
	return info, err
}

// Delete removes the object, retrying transient failures.
func (s *Store) Delete(ctx context.Context, key string) error {
	return s.do(ctx, "delete", key, func() error {
		return s.next.Delete(ctx, key)
	})
}

// List yields the objects under prefix, resuming after the last key yielded
// when the listing fails with a transient error.
func (s *Store) List(ctx context.Context, prefix string) iter.Seq2[store.Info, error] {
	return func(yield func(store.Info, error) bool) {
		b := s.begin()
		var last string
		yielded := false
		for {
			progressed := false
			var failed error
			for info, err := range s.next.List(ctx, prefix) {
				if err != nil {
					failed = err
					break
				}
				if yielded && info.Key <= last {
					continue // yielded before the listing was restarted
				}
				if b.retries > 0 || !yielded {
					b.recovered("list", prefix)
					b = s.begin()
				}
				if !yield(info, nil) {
					return
				}
				last, yielded, progressed = info.Key, true, true
			}
			if failed == nil {
				b.recovered("list", prefix)
				return
			}
			if progressed {
				b = s.begin()
			}
			if err := b.wait(ctx, "list", prefix, failed); err != nil {
				yield(store.Info{}, err)
				return
			}
		}
	}
}

// do calls fn until it succeeds or the backoff gives up.
func (s *Store) do(ctx context.Context, op, key string, fn func() error) error {
	return s.begin().run(ctx, op, key, fn)
}

// cancelled returns the error for a retry loop ended by its context: the
// context's error (or, failing that, the sleep's), which store.IsPermanent
// recognises, with the last failure as text only, so that store.IsTransient
// does not see it.
func cancelled(ctx context.Context, op, key string, sleepErr, last error) error {
	cause := ctx.Err()
	if cause == nil {
		cause = sleepErr
	}
	return fmt.Errorf("%s %s: %w (last error: %v)", op, key, cause, last)
}

// elapsedString rounds an elapsed time for messages.
func elapsedString(d time.Duration) string {
	if d < time.Second {
		return d.Round(time.Millisecond).String()
	}
	return d.Round(time.Second).String()
}
