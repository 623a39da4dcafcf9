package auditlog

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path"
	"path/filepath"

	"golang.org/x/mod/sumdb/tlog"
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

// In an encrypted vault the stored bytes open only with the vault's keys,
// which a scheduled run may not have (a remembered id-key opens nothing).
// So the records themselves are kept too, beside the stored bytes (same
// name plus plainSuffix), and used when the codec is locked, once every
// record in it matches its hash in the signed tree (plainSegment), so a
// plaintext copy cannot pass off anything the log does not hold. The
// records are the vault's object names, sizes and checksums, and the
// state directory already holds the plaintext of trees and snapshots.

// plainSuffix names the records' copy of an entries object.
const plainSuffix = ".records"

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

// keepSegment saves the stored bytes of an entries object, and in an
// encrypted vault its records (plain, the opened bytes). It is a cache: a
// failure to write is not an error, the object is downloaded next time.
func (l *Log) keepSegment(first, count int64, raw, plain []byte) {
	dir := filepath.Join(l.dir, entriesCacheDir)
	if os.MkdirAll(dir, 0o700) != nil {
		return
	}
	_ = writeFileAtomic(l.segmentCachePath(first, count), raw)
	if l.codec != nil {
		_ = writeFileAtomic(l.segmentCachePath(first, count)+plainSuffix, plain)
	}
}

// plainSegment returns the leaves of s from its records' copy, for a
// locked codec, if every leaf matches its hash in the verified tree: a
// damaged copy is this computer's problem, not the vault's, and is not
// used.
func (l *Log) plainSegment(s segment) ([][]byte, bool) {
	plain, err := os.ReadFile(l.segmentCachePath(s.First, s.Count) + plainSuffix)
	if err != nil {
		return nil, false
	}
	leaves, err := decodeSegment(plain, s.Count)
	if err != nil {
		return nil, false
	}
	indexes := make([]int64, len(leaves))
	for i := range leaves {
		indexes[i] = tlog.StoredHashIndex(0, s.First+int64(i))
	}
	want, err := l.tree.ReadHashes(indexes)
	if err != nil {
		return nil, false
	}
	for i, leaf := range leaves {
		if tlog.RecordHash(leaf) != want[i] {
			return nil, false
		}
	}
	return leaves, true
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
			leaves, seg, _, err := l.openSegment(raw, s.First, s.Count)
			if err == nil {
				return leaves, seg, nil
			}
			if errors.Is(err, ErrLocked) {
				if leaves, ok := l.plainSegment(s); ok {
					return leaves, seg, nil
				}
			}
		}
	}
	raw, err := l.fetchSegment(ctx, s.First, s.Count)
	if err != nil {
		return nil, segment{}, err
	}
	leaves, seg, plain, err := l.openSegment(raw, s.First, s.Count)
	if err == nil {
		l.keepSegment(s.First, s.Count, raw, plain)
	}
	return leaves, seg, err
}
