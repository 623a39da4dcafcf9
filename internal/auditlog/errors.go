package auditlog

import (
	"errors"
	"fmt"
	"strings"
)

// TamperKind says what was wrong with the log found in the vault.
type TamperKind string

const (
	// TamperBadSignature: the vault's checkpoint is not signed by the
	// vault's log key (replaced, or re-signed by another key), or is not a
	// valid checkpoint for this log.
	TamperBadSignature TamperKind = "bad-signature"
	// TamperRolledBack: the vault's checkpoint is older than one this
	// computer already verified: the log was truncated or restored from an
	// older copy.
	TamperRolledBack TamperKind = "rolled-back"
	// TamperForked: the vault's checkpoint is signed but describes a
	// history that does not extend the one this computer verified.
	TamperForked TamperKind = "forked"
	// TamperMissing: an object the log needs (the checkpoint, an entries
	// segment) is gone.
	TamperMissing TamperKind = "missing"
	// TamperEdited: log entries differ from what the signed tree commits
	// to: their hash, size or content changed.
	TamperEdited TamperKind = "edited"
	// TamperMalformed: a log object cannot be decrypted or parsed.
	TamperMalformed TamperKind = "malformed"
	// TamperUnexpected: an entries segment that is not part of the log
	// sits among those that are.
	TamperUnexpected TamperKind = "unexpected"
)

// TamperError reports a vault log that is inconsistent with itself or with
// what this computer verified before. Tunesafe never repairs such a log
// silently: the evidence is the point.
type TamperError struct {
	Kind TamperKind
	// Object is the vault key of the object concerned, "" if none.
	Object string
	// Index is the index of the record concerned, or -1.
	Index int64
	// Known is the last checkpoint this computer verified (Size 0 when it
	// had none); Found is the one read from the vault, when it could be.
	Known, Found Checkpoint
	Detail       string
	Err          error
}

func (e *TamperError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "vault log tampered with (%s)", e.Kind)
	if e.Object != "" {
		fmt.Fprintf(&b, ": %s", e.Object)
	}
	if e.Index >= 0 {
		fmt.Fprintf(&b, ": record %d", e.Index)
	}
	if e.Detail != "" {
		fmt.Fprintf(&b, ": %s", e.Detail)
	}
	if e.Err != nil {
		fmt.Fprintf(&b, ": %v", e.Err)
	}
	return b.String()
}

func (e *TamperError) Unwrap() error { return e.Err }

func tamper(kind TamperKind, object string, index int64, detail string, err error) *TamperError {
	return &TamperError{Kind: kind, Object: object, Index: index, Detail: detail, Err: err}
}

var (
	// ErrReadOnly is returned when a log opened without a signer is asked
	// to record something.
	ErrReadOnly = errors.New("auditlog: log opened read-only (no signing key)")
	// ErrClosed is returned by a closed Log.
	ErrClosed = errors.New("auditlog: log closed")
	// ErrNoReason is returned by the audited store for a Delete whose
	// context carries no reason (see WithReason).
	ErrNoReason = errors.New("auditlog: delete without a reason; wrap the context with auditlog.WithReason")
)
