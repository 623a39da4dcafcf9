package state

import (
	"bytes"
	"path/filepath"
	"testing"
)

func TestCopies(t *testing.T) {
	ctx := t.Context()
	db, err := Open(filepath.Join(t.TempDir(), "cache.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	a, b := db.Vault("a"), db.Vault("b")
	if _, ok, err := a.Copy(ctx, "trees/ab/ab12"); ok || err != nil {
		t.Fatalf("empty cache: %v %v", ok, err)
	}
	if err := a.PutCopy(ctx, "trees/ab/ab12", []byte(`{"nodes":[]}`)); err != nil {
		t.Fatal(err)
	}
	if got, ok, err := a.Copy(ctx, "trees/ab/ab12"); !ok || err != nil || !bytes.Equal(got, []byte(`{"nodes":[]}`)) {
		t.Fatalf("copy: %q %v %v", got, ok, err)
	}
	if _, ok, _ := b.Copy(ctx, "trees/ab/ab12"); ok {
		t.Fatal("another vault sees the copy")
	}
	if err := a.Reset(ctx); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := a.Copy(ctx, "trees/ab/ab12"); ok {
		t.Fatal("Reset kept the copy")
	}
}
