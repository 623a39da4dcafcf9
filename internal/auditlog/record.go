package auditlog

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/tunesafe/tunesafe/internal/store"
)

// Kind names a record type. It is the "op" field, the first field of every
// encoded record.
type Kind string

// The record kinds. A reader rejects any other kind: adding one is a change
// of the log format (docs/FORMAT.md, Appendix: the log).
const (
	KindPut      Kind = "put"
	KindDelete   Kind = "delete"
	KindSnapshot Kind = "snapshot"
	KindVerify   Kind = "verify"
)

// Outcome says whether the store operation a Put or Delete describes took
// place. A record is written to the local journal as an intent before the
// operation starts (OutcomeUnknown) and published with its outcome.
type Outcome string

const (
	// OutcomeOK: the store call returned success, or after a crash the
	// store showed that the operation had taken effect.
	OutcomeOK Outcome = "ok"
	// OutcomeFailed: the store call returned an error, or after a crash
	// the store showed that the operation had not taken effect. A failed
	// call may still have taken effect (a timeout after the server stored
	// the object), so an audit accepts either state.
	OutcomeFailed Outcome = "failed"
	// OutcomeUnknown: the operation has not returned yet. Only journaled
	// intents carry it; a published record normally does not.
	OutcomeUnknown Outcome = "unknown"
)

// Record is one leaf of the log: a Put, Delete, Snapshot or Verify.
type Record interface {
	Kind() Kind
	// When returns the record's time and host.
	When() (time.Time, string)
	isRecord()
}

// Put records the storing of an object: its key and the SHA-256 and size of
// the bytes handed to the store (the stored bytes, ciphertext in an
// encrypted vault, which is also what a provider's checksum covers).
type Put struct {
	Time    time.Time
	Host    string
	Key     string
	SHA256  [32]byte
	Size    int64
	Outcome Outcome
}

// Delete records the removal of an object and why: Reason is a short word
// ("forget", "prune", "repair", ...) and Command the command line that asked
// for it.
type Delete struct {
	Time    time.Time
	Host    string
	Key     string
	Reason  string
	Command string
	Outcome Outcome
}

// Snapshot records that a snapshot was written: its ID and the ID of its
// root tree.
type Snapshot struct {
	Time time.Time
	Host string
	ID   string
	Tree string
}

// Verify records an audit run: its mode ("quick", "deep", "sample"), how
// many objects it compared, how many bytes it read and hashed, and how many
// durability failures (lost, corrupted, tampered) it found.
type Verify struct {
	Time     time.Time
	Host     string
	Mode     string
	Objects  int64
	Bytes    int64
	Failures int64
}

func (Put) Kind() Kind      { return KindPut }
func (Delete) Kind() Kind   { return KindDelete }
func (Snapshot) Kind() Kind { return KindSnapshot }
func (Verify) Kind() Kind   { return KindVerify }

func (r Put) When() (time.Time, string)      { return r.Time, r.Host }
func (r Delete) When() (time.Time, string)   { return r.Time, r.Host }
func (r Snapshot) When() (time.Time, string) { return r.Time, r.Host }
func (r Verify) When() (time.Time, string)   { return r.Time, r.Host }

func (Put) isRecord()      {}
func (Delete) isRecord()   {}
func (Snapshot) isRecord() {}
func (Verify) isRecord()   {}

// The wire forms fix the field order of each kind; encoding/json writes
// struct fields in declaration order.
type (
	putWire struct {
		Op      Kind    `json:"op"`
		Time    string  `json:"time"`
		Host    string  `json:"host"`
		Key     string  `json:"key"`
		SHA256  string  `json:"sha256"`
		Size    int64   `json:"size"`
		Outcome Outcome `json:"outcome"`
	}
	deleteWire struct {
		Op      Kind    `json:"op"`
		Time    string  `json:"time"`
		Host    string  `json:"host"`
		Key     string  `json:"key"`
		Reason  string  `json:"reason"`
		Command string  `json:"command"`
		Outcome Outcome `json:"outcome"`
	}
	snapshotWire struct {
		Op   Kind   `json:"op"`
		Time string `json:"time"`
		Host string `json:"host"`
		ID   string `json:"id"`
		Tree string `json:"tree"`
	}
	verifyWire struct {
		Op       Kind   `json:"op"`
		Time     string `json:"time"`
		Host     string `json:"host"`
		Mode     string `json:"mode"`
		Objects  int64  `json:"objects"`
		Bytes    int64  `json:"bytes"`
		Failures int64  `json:"failures"`
	}
	// anyWire receives every field of every kind when parsing.
	anyWire struct {
		Op       Kind    `json:"op"`
		Time     string  `json:"time"`
		Host     string  `json:"host"`
		Key      string  `json:"key"`
		SHA256   string  `json:"sha256"`
		Size     int64   `json:"size"`
		Reason   string  `json:"reason"`
		Command  string  `json:"command"`
		ID       string  `json:"id"`
		Tree     string  `json:"tree"`
		Mode     string  `json:"mode"`
		Objects  int64   `json:"objects"`
		Bytes    int64   `json:"bytes"`
		Failures int64   `json:"failures"`
		Outcome  Outcome `json:"outcome"`
	}
)

// EncodeRecord returns the canonical encoding of r: one JSON object on one
// line, without the trailing newline, fields in the fixed order of its kind,
// times in UTC as RFC 3339 with nanoseconds and no trailing zeros, the
// SHA-256 in lowercase hex, no HTML escaping. The leaf hash of the record
// is tlog.RecordHash of exactly these bytes.
func EncodeRecord(r Record) ([]byte, error) {
	var w any
	switch r := r.(type) {
	case Put:
		if err := checkKeyed(r.Key, r.Outcome, r.Size); err != nil {
			return nil, err
		}
		w = putWire{KindPut, formatTime(r.Time), r.Host, r.Key, hex.EncodeToString(r.SHA256[:]), r.Size, r.Outcome}
	case Delete:
		if err := checkKeyed(r.Key, r.Outcome, 0); err != nil {
			return nil, err
		}
		if r.Reason == "" {
			return nil, errors.New("delete record without a reason")
		}
		w = deleteWire{KindDelete, formatTime(r.Time), r.Host, r.Key, r.Reason, r.Command, r.Outcome}
	case Snapshot:
		if r.ID == "" {
			return nil, errors.New("snapshot record without an ID")
		}
		w = snapshotWire{KindSnapshot, formatTime(r.Time), r.Host, r.ID, r.Tree}
	case Verify:
		if r.Mode == "" {
			return nil, errors.New("verify record without a mode")
		}
		if r.Objects < 0 || r.Bytes < 0 || r.Failures < 0 {
			return nil, errors.New("verify record with a negative count")
		}
		w = verifyWire{KindVerify, formatTime(r.Time), r.Host, r.Mode, r.Objects, r.Bytes, r.Failures}
	default:
		return nil, fmt.Errorf("unknown record type %T", r)
	}
	t, host := r.When()
	if y := t.UTC().Year(); y < 1 || y > 9999 {
		return nil, fmt.Errorf("record time %v out of range", t)
	}
	if err := checkText(host); err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(w); err != nil {
		return nil, err
	}
	b := bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
	if !utf8.Valid(b) {
		return nil, errors.New("record text is not valid UTF-8")
	}
	return b, nil
}

// ParseRecord parses the canonical encoding of a record. It accepts only
// canonical encodings: for every b it accepts, EncodeRecord of the result
// returns b again, byte for byte.
func ParseRecord(b []byte) (Record, error) {
	if !utf8.Valid(b) {
		return nil, errors.New("parse record: not valid UTF-8")
	}
	var w anyWire
	if err := json.Unmarshal(b, &w); err != nil {
		return nil, fmt.Errorf("parse record: %w", err)
	}
	t, err := time.Parse(time.RFC3339Nano, w.Time)
	if err != nil {
		return nil, fmt.Errorf("parse record: %w", err)
	}
	var r Record
	switch w.Op {
	case KindPut:
		sum, err := hex.DecodeString(w.SHA256)
		if err != nil || len(sum) != 32 {
			return nil, fmt.Errorf("parse record: bad sha256 %q", w.SHA256)
		}
		p := Put{Time: t, Host: w.Host, Key: w.Key, Size: w.Size, Outcome: w.Outcome}
		copy(p.SHA256[:], sum)
		r = p
	case KindDelete:
		r = Delete{Time: t, Host: w.Host, Key: w.Key, Reason: w.Reason, Command: w.Command, Outcome: w.Outcome}
	case KindSnapshot:
		r = Snapshot{Time: t, Host: w.Host, ID: w.ID, Tree: w.Tree}
	case KindVerify:
		r = Verify{Time: t, Host: w.Host, Mode: w.Mode, Objects: w.Objects, Bytes: w.Bytes, Failures: w.Failures}
	default:
		return nil, fmt.Errorf("parse record: unknown op %q", w.Op)
	}
	// Re-encoding catches everything json.Unmarshal tolerates: fields of
	// another kind, unknown or duplicated fields, other spellings of names,
	// whitespace, escapes and numbers, non-UTC times.
	again, err := EncodeRecord(r)
	if err != nil {
		return nil, fmt.Errorf("parse record: %w", err)
	}
	if !bytes.Equal(again, b) {
		return nil, errors.New("parse record: not in canonical form")
	}
	return r, nil
}

func formatTime(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

func checkKeyed(key string, o Outcome, size int64) error {
	if !store.ValidKey(key) {
		return fmt.Errorf("record with invalid key %q", key)
	}
	switch o {
	case OutcomeOK, OutcomeFailed, OutcomeUnknown:
	default:
		return fmt.Errorf("record with invalid outcome %q", o)
	}
	if size < 0 {
		return errors.New("record with a negative size")
	}
	return nil
}

func checkText(s string) error {
	if !utf8.ValidString(s) {
		return fmt.Errorf("record text %q is not valid UTF-8", s)
	}
	return nil
}

// stamp fills in a record's time and host when they are zero and sets the
// outcome of a Put or Delete.
func stamp(r Record, now time.Time, host string, o Outcome) Record {
	switch r := r.(type) {
	case Put:
		r.Time, r.Host = fill(r.Time, r.Host, now, host)
		r.Outcome = o
		return r
	case Delete:
		r.Time, r.Host = fill(r.Time, r.Host, now, host)
		r.Outcome = o
		return r
	case Snapshot:
		r.Time, r.Host = fill(r.Time, r.Host, now, host)
		return r
	case Verify:
		r.Time, r.Host = fill(r.Time, r.Host, now, host)
		return r
	}
	return r
}

func fill(t time.Time, h string, now time.Time, host string) (time.Time, string) {
	if t.IsZero() {
		t = now
	}
	if h == "" {
		h = host
	}
	return t.UTC().Round(0), h
}

// withOutcome returns r with its outcome replaced; records without one are
// returned unchanged.
func withOutcome(r Record, o Outcome) Record {
	switch r := r.(type) {
	case Put:
		r.Outcome = o
		return r
	case Delete:
		r.Outcome = o
		return r
	}
	return r
}
