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

func TestCopyKeysAndDrop(t *testing.T) {
	ctx := t.Context()
	db, err := Open(filepath.Join(t.TempDir(), "cache.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	a, b := db.Vault("a"), db.Vault("b")
	for _, k := range []string{"snapshots/01", "snapshots/02", "trees/ab/ab12", "snapshots0"} {
		if err := a.PutCopy(ctx, k, []byte(k)); err != nil {
			t.Fatal(err)
		}
	}
	b.PutCopy(ctx, "snapshots/03", []byte("b"))
	keys, err := a.CopyKeys(ctx, "snapshots/")
	if err != nil || len(keys) != 2 || keys[0] != "snapshots/01" || keys[1] != "snapshots/02" {
		t.Fatalf("CopyKeys: %q %v", keys, err)
	}
	if err := a.DropCopies(ctx, []string{"snapshots/01", "snapshots/03"}); err != nil {
		t.Fatal(err)
	}
	if keys, _ := a.CopyKeys(ctx, "snapshots/"); len(keys) != 1 || keys[0] != "snapshots/02" {
		t.Fatalf("after DropCopies: %q", keys)
	}
	if _, ok, _ := b.Copy(ctx, "snapshots/03"); !ok {
		t.Fatal("DropCopies dropped another vault's copy")
	}
}
