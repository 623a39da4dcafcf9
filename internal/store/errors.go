package store

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
)

// Class says how a caller should react to an error. Stores classify the
// errors of their own backend once, where they are seen, by wrapping them
// with Transient or Permanent; every decorator and engine above reads the
// class with IsTransient or IsPermanent and never looks at error text.
type Class int

const (
	// Unclassified errors are treated as permanent by retry logic.
	Unclassified Class = iota
	// ClassTransient errors may succeed when retried later: network down,
	// DNS failure, connection reset, timeouts, HTTP 500/503, SlowDown.
	ClassTransient
	// ClassPermanent errors will not go away by retrying: bad credentials,
	// missing bucket, access denied, disk full, invalid request.
	ClassPermanent
)

// Error carries a classified error and what kind of failure it is.
type Error struct {
	Class Class
	// Kind names the failure for users and hints: "credentials",
	// "no-bucket", "unreachable", "disk-full", "access-denied", "" if
	// unknown.
	Kind string
	Err  error
}

func (e *Error) Error() string { return e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

// Transient wraps err as a transient failure of the given kind.
func Transient(kind string, err error) error {
	if err == nil {
		return nil
	}
	return &Error{Class: ClassTransient, Kind: kind, Err: err}
}

// Permanent wraps err as a permanent failure of the given kind.
func Permanent(kind string, err error) error {
	if err == nil {
		return nil
	}
	return &Error{Class: ClassPermanent, Kind: kind, Err: err}
}

// Kinds of failure a store reports; the CLI maps them to hints and exit codes.
const (
	KindCredentials  = "credentials"
	KindNoBucket     = "no-bucket"
	KindUnreachable  = "unreachable"
	KindAccessDenied = "access-denied"
	KindDiskFull     = "disk-full"
	KindServer       = "server"
	KindInvalid      = "invalid"
	// KindThrottled is a transient failure in which the provider asks the
	// client to slow down (S3 SlowDown, HTTP 429): the server works, it
	// is busy.
	KindThrottled = "throttled"
	// KindUnreadable is a permanent failure to read one object that the
	// provider still answers for: a HEAD succeeds, every GET fails with a
	// server error. The object is damaged where the provider keeps it
	// (MinIO answers SlowDownRead once its bitrot check fails); retrying
	// does not help, storing it again does.
	KindUnreadable = "unreadable"
	// KindRegion: the server keeps the bucket in another region than the
	// one the requests were signed for (S3 AuthorizationHeaderMalformed or
	// InvalidRegion naming the right one). The store's error says which
	// when the server does (s3store.RegionError).
	KindRegion = "region"
	// KindClock: the server refused a request for its time, more than a
	// few minutes from the server's (S3 RequestTimeTooSkewed): this
	// computer's clock is wrong.
	KindClock = "clock"
	// KindTLS: the connection's TLS failed: a certificate this computer
	// does not trust, or TLS spoken to a server without it (or the
	// reverse).
	KindTLS = "tls"
)

// IsTransient reports whether err is worth retrying later.
func IsTransient(err error) bool {
	var e *Error
	if errors.As(err, &e) {
		return e.Class == ClassTransient
	}
	return false
}

// IsPermanent reports whether retrying err is pointless. Context
// cancellation and not-found count as permanent.
func IsPermanent(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, fs.ErrNotExist) {
		return true
	}
	return !IsTransient(err)
}

// KindOf returns the kind recorded by Transient or Permanent, or "".
func KindOf(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return ""
}

// NotFound returns an error for a missing key that satisfies
// errors.Is(err, fs.ErrNotExist).
func NotFound(key string) error {
	return fmt.Errorf("%s: %w", key, fs.ErrNotExist)
}
