package auditlog

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/tunesafe/tunesafe/internal/store"
)

// Names of the log's objects in the vault (docs/FORMAT.md, Appendix: the log).
const (
	// Prefix is the part of the vault's key space that belongs to the log.
	Prefix            = "log/"
	entriesPrefix     = "log/entries/"
	checkpointKey     = "log/checkpoint"
	checkpointsPrefix = "log/checkpoints/"
	indexDigits       = 12
)

// Codec seals log objects before they are stored and opens them after they
// are read, so that an encrypted vault's log is encrypted too. Open must
// fail on anything Seal did not produce. An error of Open is taken as
// damage to the object, unless it wraps ErrLocked: the codec could not
// try, which says nothing about the object and is returned as is.
type Codec interface {
	Seal(plain []byte) ([]byte, error)
	Open(sealed []byte) ([]byte, error)
}

// ErrLocked is wrapped by a Codec's Open that has no key to open with (an
// encrypted vault opened without its passphrase).
var ErrLocked = errors.New("the log's objects cannot be opened without the vault's keys")

// Locked returns err, why a Codec cannot open anything, marked as
// ErrLocked, with err's message.
func Locked(err error) error { return lockedError{err} }

type lockedError struct{ err error }

func (e lockedError) Error() string   { return e.err.Error() }
func (e lockedError) Unwrap() []error { return []error{ErrLocked, e.err} }

// segmentKey names the entries object holding count records from first.
func segmentKey(first, count int64) string {
	return fmt.Sprintf("%s%0*d-%d", entriesPrefix, indexDigits, first, count)
}

// parseSegmentKey is the inverse of segmentKey; it accepts only the exact
// spelling segmentKey produces, for records [first, first+count) that an
// int64 can index.
func parseSegmentKey(key string) (first, count int64, ok bool) {
	name, found := strings.CutPrefix(key, entriesPrefix)
	if !found {
		return 0, 0, false
	}
	a, b, found := strings.Cut(name, "-")
	if !found {
		return 0, 0, false
	}
	first, err1 := strconv.ParseInt(a, 10, 64)
	count, err2 := strconv.ParseInt(b, 10, 64)
	if err1 != nil || err2 != nil || first < 0 || count <= 0 || first > math.MaxInt64-count || segmentKey(first, count) != key {
		return 0, 0, false
	}
	return first, count, true
}

// checkpointArchiveKey names the immutable copy of the checkpoint of size n.
func checkpointArchiveKey(n int64) string {
	return fmt.Sprintf("%s%0*d", checkpointsPrefix, indexDigits, n)
}

// parseArchiveKey is the inverse of checkpointArchiveKey, for the exact
// spelling it produces.
func parseArchiveKey(key string) (int64, bool) {
	digits, ok := strings.CutPrefix(key, checkpointsPrefix)
	if !ok || len(digits) != indexDigits {
		return 0, false
	}
	n, err := strconv.ParseInt(digits, 10, 64)
	if err != nil || n < 0 || checkpointArchiveKey(n) != key {
		return 0, false
	}
	return n, true
}

// encodeSegment joins leaves, one per line.
func encodeSegment(leaves [][]byte) []byte {
	var b bytes.Buffer
	for _, l := range leaves {
		b.Write(l)
		b.WriteByte('\n')
	}
	return b.Bytes()
}

// decodeSegment splits a segment into exactly count leaves.
func decodeSegment(data []byte, count int64) ([][]byte, error) {
	if len(data) == 0 || data[len(data)-1] != '\n' {
		return nil, fmt.Errorf("segment does not end with a newline")
	}
	leaves := bytes.Split(data[:len(data)-1], []byte("\n"))
	if int64(len(leaves)) != count {
		return nil, fmt.Errorf("segment holds %d records, its name says %d", len(leaves), count)
	}
	return leaves, nil
}

// seal and open apply the Codec, if any.
func (l *Log) seal(b []byte) ([]byte, error) {
	if l.codec == nil {
		return b, nil
	}
	return l.codec.Seal(b)
}

func (l *Log) open(b []byte) ([]byte, error) {
	if l.codec == nil {
		return b, nil
	}
	return l.codec.Open(b)
}

// fetchSegment downloads one entries object.
func (l *Log) fetchSegment(ctx context.Context, first, count int64) ([]byte, error) {
	key := segmentKey(first, count)
	raw, err := store.ReadAll(ctx, l.store, key)
	if err != nil {
		if store.IsPermanent(err) && isNotExist(err) {
			return nil, tamper(TamperMissing, key, -1, "entries object is gone", nil)
		}
		return nil, fmt.Errorf("read %s: %w", key, err)
	}
	return raw, nil
}

// openSegment opens and splits the stored bytes of one entries object,
// returning its leaves, the description of the stored object and the
// opened bytes.
func (l *Log) openSegment(raw []byte, first, count int64) ([][]byte, segment, []byte, error) {
	key := segmentKey(first, count)
	sum := sha256.Sum256(raw)
	seg := segment{First: first, Count: count, Size: int64(len(raw)), SHA256: hex.EncodeToString(sum[:])}
	plain, err := l.open(raw)
	if errors.Is(err, ErrLocked) {
		return nil, seg, nil, fmt.Errorf("open %s: %w", key, err)
	}
	if err != nil {
		return nil, seg, nil, tamper(TamperMalformed, key, -1, "cannot open entries object", err)
	}
	leaves, err := decodeSegment(plain, count)
	if err != nil {
		return nil, seg, nil, tamper(TamperMalformed, key, -1, "", err)
	}
	return leaves, seg, plain, nil
}
