package store

import (
	"context"
	"crypto/sha256"
	"testing"
)

func TestDigest(t *testing.T) {
	data := []byte("stored bytes")
	want := sha256.Sum256(data)
	ctx := context.Background()
	if Digest(ctx, data) != want {
		t.Fatal("computed digest wrong")
	}
	fake := [32]byte{1}
	ctx = WithDigest(ctx, data, fake)
	if Digest(ctx, data) != fake {
		t.Fatal("recorded digest not used for the same slice")
	}
	other := append([]byte(nil), data...)
	if Digest(ctx, other) != want {
		t.Fatal("a digest recorded for one slice was used for another")
	}
	if Digest(ctx, data[:4]) != sha256.Sum256(data[:4]) {
		t.Fatal("a digest recorded for a slice was used for a shorter one")
	}
}
