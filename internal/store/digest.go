package store

import (
	"context"
	"crypto/sha256"
)

// A decorator that hashes what it stores (the tamper-evident log does)
// hands the digest down the chain in the context, so that a store below
// (S3, which sends it as x-amz-checksum-sha256) does not hash the same
// bytes again. The digest is tied to the very slice it was computed over.

type digestKey struct{}

type digest struct {
	first *byte
	n     int
	sum   [32]byte
}

// WithDigest returns ctx carrying sum, the SHA-256 of data.
func WithDigest(ctx context.Context, data []byte, sum [32]byte) context.Context {
	if len(data) == 0 {
		return ctx
	}
	return context.WithValue(ctx, digestKey{}, digest{first: &data[0], n: len(data), sum: sum})
}

// Digest returns the SHA-256 of data, from ctx when a decorator above
// recorded it for this same slice, else by hashing.
func Digest(ctx context.Context, data []byte) [32]byte {
	if d, ok := ctx.Value(digestKey{}).(digest); ok && len(data) == d.n && len(data) > 0 && &data[0] == d.first {
		return d.sum
	}
	return sha256.Sum256(data)
}
