package vault

import (
	"bytes"
	"context"
	"fmt"
)

// A list is a blob whose plaintext names other blobs: their IDs in lowercase
// hex, one per line, each line ending in "\n". A file entry marks the
// positions of its blobs that are lists (Node.Lists); the file is then the
// concatenation of its blobs with each list replaced by the blobs it names.
//
// Lists keep a tag edit cheap. A track's audio is cut into a few dozen
// blobs whose IDs, in the directory's tree, would be sent again whenever
// any file of the album changes, and IDs do not compress: 32 bytes each,
// about 1 KiB per track, 12 KiB for an album. With the audio behind one
// list, the tree names one ID per region, and the list, unchanged by the
// edit, is not sent again.
//
// A list is stored, encrypted and named exactly like any other blob, so
// everything that handles blobs (verify, audit, prune's deletion, repair)
// handles lists. Only the readers of file entries expand them.

// EncodeList returns the plaintext of a list naming ids.
func EncodeList(ids []ID) []byte {
	b := make([]byte, 0, len(ids)*65)
	for _, id := range ids {
		b = append(b, id.String()...)
		b = append(b, '\n')
	}
	return b
}

// DecodeList parses the plaintext of a list.
func DecodeList(b []byte) ([]ID, error) {
	if len(b)%65 != 0 {
		return nil, fmt.Errorf("list of %d bytes: want lines of 64 hex digits", len(b))
	}
	ids := make([]ID, 0, len(b)/65)
	for len(b) > 0 {
		line := b[:65]
		b = b[65:]
		if line[64] != '\n' || bytes.ContainsAny(line[:64], "ABCDEF") {
			return nil, fmt.Errorf("list line %d: want 64 lowercase hex digits", len(ids)+1)
		}
		id, err := ParseID(string(line[:64]))
		if err != nil {
			return nil, fmt.Errorf("list line %d: %w", len(ids)+1, err)
		}
		ids = append(ids, id)
	}
	if len(ids) == 0 {
		return nil, fmt.Errorf("empty list")
	}
	return ids, nil
}

// IsList reports whether n.Blobs[i] is a list.
func (n *Node) IsList(i int) bool {
	for _, l := range n.Lists {
		if l == i {
			return true
		}
	}
	return false
}

// ListIDs returns the blobs of n that are lists.
func (n *Node) ListIDs() []ID {
	out := make([]ID, 0, len(n.Lists))
	for _, l := range n.Lists {
		out = append(out, n.Blobs[l])
	}
	return out
}

// ReadList reads a list and checks it against its ID.
func (v *Vault) ReadList(ctx context.Context, id ID) ([]ID, error) {
	b, err := v.getCopied(ctx, BlobKey(id), id, false)
	if err != nil {
		return nil, err
	}
	ids, err := DecodeList(b)
	if err != nil {
		return nil, &CorruptError{Key: BlobKey(id), Err: err}
	}
	return ids, nil
}

// FileBlobs returns the blobs whose concatenation is the file (or its
// stored stream) of n, with its lists read and expanded.
func (v *Vault) FileBlobs(ctx context.Context, n *Node) ([]ID, error) {
	if len(n.Lists) == 0 {
		return n.Blobs, nil
	}
	out := make([]ID, 0, len(n.Blobs)+32)
	for i, id := range n.Blobs {
		if !n.IsList(i) {
			out = append(out, id)
			continue
		}
		ids, err := v.ReadList(ctx, id)
		if err != nil {
			return nil, fmt.Errorf("list of %q: %w", n.FileName(), err)
		}
		out = append(out, ids...)
	}
	return out, nil
}
