package vault

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"strings"
)

// ID names a blob or tree: SHA-256 of the plaintext in a plain vault,
// HMAC-SHA256 of the plaintext under the vault's ID key in an encrypted one
// (so the provider cannot tell which public music files a user owns). IDs
// are values and work as map keys.
type ID [32]byte

// String is the lowercase hex form used in object keys and trees.
func (id ID) String() string { return hex.EncodeToString(id[:]) }

// IsZero reports whether id is the zero ID.
func (id ID) IsZero() bool { return id == ID{} }

// ParseID parses the canonical form written by String: 64 lowercase hex
// digits. Uppercase digits are refused although they decode: an ID names an
// object by its key, and "snapshots/ABC…" is not the key of the snapshot
// whose ID prints as "abc…". Whatever ParseID accepts, String gives back.
func ParseID(s string) (ID, error) {
	var id ID
	if len(s) != 64 {
		return id, fmt.Errorf("invalid id %q: want 64 lowercase hex digits", s)
	}
	if _, err := hex.Decode(id[:], []byte(s)); err != nil {
		return id, fmt.Errorf("invalid id %q: %w", s, err)
	}
	if id.String() != s {
		return ID{}, fmt.Errorf("invalid id %q: want lowercase hex digits", s)
	}
	return id, nil
}

// MarshalText encodes the id as hex.
func (id ID) MarshalText() ([]byte, error) { return []byte(id.String()), nil }

// UnmarshalText decodes a hex id.
func (id *ID) UnmarshalText(b []byte) error {
	v, err := ParseID(string(b))
	if err != nil {
		return err
	}
	*id = v
	return nil
}

// Hasher computes content IDs for one vault.
type Hasher struct{ key []byte }

// NewHasher returns a hasher; a nil key means plain SHA-256.
func NewHasher(key []byte) Hasher { return Hasher{key: key} }

// New returns a running hash that yields an ID with Sum.
func (h Hasher) New() hash.Hash {
	if h.key == nil {
		return sha256.New()
	}
	return hmac.New(sha256.New, h.key)
}

// Sum returns the ID of data.
func (h Hasher) Sum(data []byte) ID {
	if h.key == nil {
		return sha256.Sum256(data)
	}
	m := hmac.New(sha256.New, h.key)
	m.Write(data)
	var id ID
	m.Sum(id[:0])
	return id
}

// BlobKey is the object key of a blob: blobs/<first two hex>/<id>.
func BlobKey(id ID) string {
	s := id.String()
	return "blobs/" + s[:2] + "/" + s
}

// TreeKey is the object key of a tree: trees/<first two hex>/<id>.
func TreeKey(id ID) string {
	s := id.String()
	return "trees/" + s[:2] + "/" + s
}

// ParseObjectKey returns the ID named by a blob or tree key, and whether
// the key is a tree's. Only the canonical key of an ID (BlobKey or
// TreeKey) is accepted: a stray copy under another name, such as
// "blobs/00/<id>" or an uppercase ID, names nothing the vault reads.
func ParseObjectKey(key string) (id ID, tree bool, ok bool) {
	tree = strings.HasPrefix(key, "trees/")
	if !tree && !strings.HasPrefix(key, "blobs/") {
		return ID{}, false, false
	}
	id, err := ParseID(key[strings.LastIndexByte(key, '/')+1:])
	if err != nil {
		return ID{}, false, false
	}
	if tree && TreeKey(id) != key || !tree && BlobKey(id) != key {
		return ID{}, false, false
	}
	return id, tree, true
}

// SnapshotKey is the object key of a snapshot.
func SnapshotKey(id ID) string { return SnapshotsPrefix + id.String() }

// SnapshotsPrefix is where snapshots live.
const SnapshotsPrefix = "snapshots/"
