package retain

import (
	"context"
	"time"

	"github.com/tunesafe/tunesafe/internal/store"
)

// Retainer reads and extends the S3 Object Lock retention of a vault's
// objects. It is an optional capability of a store (s3store.Store has it),
// found under the store's decorators with Find. Keys are store keys.
type Retainer interface {
	// Retention returns the mode ("GOVERNANCE" or "COMPLIANCE") and the
	// retain-until date of the object's current version, or "" and the
	// zero time when it has no retention. A missing object, or one hidden
	// behind a delete marker, is an error for which errors.Is(err,
	// fs.ErrNotExist) holds.
	Retention(ctx context.Context, key string) (mode string, until time.Time, err error)
	// ExtendRetention sets the object's retention to mode until the date.
	// It must never shorten a retention: S3 refuses that without the
	// governance bypass, which an implementation must not send.
	ExtendRetention(ctx context.Context, key, mode string, until time.Time) error
}

// Find returns the Retainer among s and the stores it wraps, following
// Unwrap() store.Store through decorators such as retries and bandwidth
// limits, or false when there is none (a folder store, a memory store).
//
// What is done through the Retainer bypasses the decorators above it, the
// tamper-evident log among them; wrap it with WithRetries to keep retrying
// transient failures. (Bandwidth limits on S3 sit in the HTTP transport,
// below the store, and apply anyway.)
func Find(s store.Store) (Retainer, bool) { return store.Find[Retainer](s) }

// Do runs one request, retrying it as it sees fit; op names the request
// ("get-retention", "put-retention") and key the object. A retry policy's
// Do (package store/retry) is one.
type Do func(ctx context.Context, op, key string, fn func() error) error

// WithRetries returns r with every request run through do, so that the
// retention requests are retried as the store chain retries its own.
func WithRetries(r Retainer, do Do) Retainer { return retrying{r, do} }

type retrying struct {
	next Retainer
	do   Do
}

func (r retrying) Retention(ctx context.Context, key string) (mode string, until time.Time, err error) {
	err = r.do(ctx, "get-retention", key, func() error {
		var err error
		mode, until, err = r.next.Retention(ctx, key)
		return err
	})
	return mode, until, err
}

func (r retrying) ExtendRetention(ctx context.Context, key, mode string, until time.Time) error {
	return r.do(ctx, "put-retention", key, func() error {
		return r.next.ExtendRetention(ctx, key, mode, until)
	})
}
