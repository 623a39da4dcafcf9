package auditlog

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path"
	"path/filepath"
)

// The local copy of the log's entries objects.
//
// Audits, copies and status read the whole log, and a long-lived vault's log
// is thousands of entries objects: downloading them all for every routine
// verify or copy costs time and the provider's egress. Entries objects are
// immutable, and state.json records the size and SHA-256 of each one this
// computer verified, so the stored bytes are kept in the state directory
// (entriesCacheDir) as they were downloaded or published, and read from
// there when they still hash to what state.json says. A copy that does not
// (damaged, or left by an unfinished flush whose entries object was later
// replaced) is ignored and downloaded again.
//
// The local copy never stands in for the vault when the question is the
// vault's own log: Log.Verify and deep audits (fresh reads) download every
// entries object. Open's listing check still compares every entries object's
// size (and SHA-256, where the provider reports one) with state.json.

// entriesCacheDir is the folder of the local copies, in the state
// directory. Files are named like the entries objects' base names.
const entriesCacheDir = "entries"

// cachedSegment returns the stored bytes of s from the local copy, if it has
// them with the size and SHA-256 that state.json records.
func (l *Log) cachedSegment(s segment) ([]byte, bool) {
	if s.SHA256 == "" {
		return nil, false
	}
	want, err := hex.DecodeString(s.SHA256)
	if err != nil {
		return nil, false
	}
	raw, err := os.ReadFile(l.segmentCachePath(s.First, s.Count))
	if err != nil || int64(len(raw)) != s.Size {
		return nil, false
	}
	if sum := sha256.Sum256(raw); !bytes.Equal(sum[:], want) {
		return nil, false
	}
	return raw, true
}

// keepSegment saves the stored bytes of an entries object. It is a cache:
// a failure to write is not an error, the object is downloaded next time.
func (l *Log) keepSegment(first, count int64, raw []byte) {
	dir := filepath.Join(l.dir, entriesCacheDir)
	if os.MkdirAll(dir, 0o700) != nil {
		return
	}
	_ = writeFileAtomic(l.segmentCachePath(first, count), raw)
}

func (l *Log) segmentCachePath(first, count int64) string {
	return filepath.Join(l.dir, entriesCacheDir, path.Base(segmentKey(first, count)))
}

// loadSegment returns the leaves of entries object s, and its description
// as stored: from the local copy when fresh is not set and the copy matches
// state.json, else downloaded (and then kept).
func (l *Log) loadSegment(ctx context.Context, s segment, fresh bool) ([][]byte, segment, error) {
	if !fresh {
		if raw, ok := l.cachedSegment(s); ok {
			if leaves, seg, err := l.openSegment(raw, s.First, s.Count); err == nil {
				return leaves, seg, nil
			}
		}
	}
	raw, err := l.fetchSegment(ctx, s.First, s.Count)
	if err != nil {
		return nil, segment{}, err
	}
	leaves, seg, err := l.openSegment(raw, s.First, s.Count)
	if err == nil {
		l.keepSegment(s.First, s.Count, raw)
	}
	return leaves, seg, err
}
