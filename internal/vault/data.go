package vault

import (
	"bytes"
	"context"
	"errors"
	"io"

	"github.com/tunesafe/tunesafe/internal/chunker"
)

// PutData stores data as content-defined chunks and returns their IDs; the
// concatenation of the blobs is the data. Blobs the vault already holds are
// not stored again (checked with a Stat).
func (v *Vault) PutData(ctx context.Context, data []byte) ([]ID, error) {
	return v.eachChunk(data, func(id ID, c []byte) error {
		if _, err := v.store.Stat(ctx, BlobKey(id)); err != nil {
			if _, err := v.PutBlob(ctx, id, c); err != nil {
				return err
			}
		}
		return nil
	})
}

// DataIDs returns the IDs PutData would return for data, and stores
// nothing: whether data is already in the vault, as a snapshot names it,
// is then a comparison of IDs.
func (v *Vault) DataIDs(data []byte) ([]ID, error) {
	return v.eachChunk(data, func(ID, []byte) error { return nil })
}

// eachChunk cuts data as PutData does and calls fn with each chunk and its
// ID, in order; it returns the IDs.
func (v *Vault) eachChunk(data []byte, fn func(ID, []byte) error) ([]ID, error) {
	var ids []ID
	ch := chunker.New(bytes.NewReader(data), v.cfg.Chunker)
	for {
		c, err := ch.Next()
		if errors.Is(err, io.EOF) {
			return ids, nil
		}
		if err != nil {
			return nil, err
		}
		id := v.hasher.Sum(c)
		if err := fn(id, c); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
}

// GetData reads back what PutData stored.
func (v *Vault) GetData(ctx context.Context, ids []ID) ([]byte, error) {
	var b bytes.Buffer
	for _, id := range ids {
		c, err := v.GetBlob(ctx, id)
		if err != nil {
			return nil, err
		}
		b.Write(c)
	}
	return b.Bytes(), nil
}
