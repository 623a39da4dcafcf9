package folder_test

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/tunesafe/tunesafe/internal/store"
	"github.com/tunesafe/tunesafe/internal/store/folder"
	"github.com/tunesafe/tunesafe/internal/store/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return newStore(t) })
}

func newStore(t *testing.T) *folder.Store {
	t.Helper()
	s, err := folder.New(filepath.Join(t.TempDir(), "vault", "sub"))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestLayout checks that objects are plain files at their key's path, and
// that Put leaves no temporary files behind.
func TestLayout(t *testing.T) {
	s := newStore(t)
	data := []byte("blob bytes")
	if err := s.Put(t.Context(), "blobs/ab/ab12", data); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join(s.Dir(), "blobs", "ab", "ab12"))
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("file at the key's path = %q, %v", got, err)
	}
	var files []string
	err = filepath.WalkDir(s.Dir(), func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(s.Dir(), path)
			files = append(files, filepath.ToSlash(rel))
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(files, []string{"blobs/ab/ab12"}) {
		t.Fatalf("files in the folder = %q, want only the object", files)
	}
}

// TestSkipsForeignFiles checks that List ignores what a crashed Put leaves
// (temporary files), names that are not keys, symbolic links and empty
// directories.
func TestSkipsForeignFiles(t *testing.T) {
	s := newStore(t)
	ctx := t.Context()
	if err := s.Put(ctx, "d/real", []byte("x")); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"d/.put 123456", "d/has space", "caf\u00e9"} {
		if err := os.WriteFile(filepath.Join(s.Dir(), filepath.FromSlash(name)), []byte("junk"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink(filepath.Join(s.Dir(), "d", "real"), filepath.Join(s.Dir(), "d", "link")); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(s.Dir(), "empty", "dir"), 0o700); err != nil {
		t.Fatal(err)
	}
	var keys []string
	for info, err := range s.List(ctx, "") {
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, info.Key)
	}
	if !slices.Equal(keys, []string{"d/real"}) {
		t.Fatalf("List = %q, want [d/real]", keys)
	}
	if _, err := s.Stat(ctx, "d/link"); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Stat of a symbolic link: %v, want not-found", err)
	}
	if _, err := s.Stat(ctx, "empty/dir"); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Stat of a directory: %v, want not-found", err)
	}
	// An empty directory left where a key now goes gives way.
	if err := s.Put(ctx, "empty/dir", []byte("now a file")); err != nil {
		t.Fatalf("Put over an empty directory: %v", err)
	}
}

func TestNewOnFile(t *testing.T) {
	f := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(f, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := folder.New(f)
	if err == nil || !store.IsPermanent(err) {
		t.Fatalf("New on a regular file: %v, want a permanent error", err)
	}
}

func TestInvalidPrefix(t *testing.T) {
	s := newStore(t)
	for _, prefix := range []string{"../", "a/../../", "/etc/", "a//"} {
		var got error
		for _, err := range s.List(t.Context(), prefix) {
			got = err
		}
		if store.KindOf(got) != store.KindInvalid {
			t.Errorf("List %q: %v, want an invalid-prefix error", prefix, got)
		}
	}
}

// TestPermissionDenied provokes a real permission error where the test does
// not run as root.
func TestPermissionDenied(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root ignores file permissions; TestClassify covers the mapping")
	}
	s := newStore(t)
	if err := os.Chmod(s.Dir(), 0o500); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Chmod(s.Dir(), 0o700) })
	err := s.Put(t.Context(), "k", []byte("x"))
	if store.KindOf(err) != store.KindAccessDenied || !store.IsPermanent(err) {
		t.Fatalf("Put into a read-only folder: %v (kind %q), want permanent access-denied", err, store.KindOf(err))
	}
}

// TestUnplugged removes the store's directory under it, as unplugging a
// disk does: no call may report a missing object or recreate the folder.
func TestUnplugged(t *testing.T) {
	s := newStore(t)
	ctx := t.Context()
	if err := s.Put(ctx, "blobs/ab/ab12", []byte("x")); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(s.Dir(), s.Dir()+".away"); err != nil {
		t.Fatal(err)
	}
	check := func(op string, err error) {
		t.Helper()
		if store.KindOf(err) != store.KindUnreachable || errors.Is(err, fs.ErrNotExist) {
			t.Errorf("%s with the folder gone: %v (kind %q), want %q", op, err, store.KindOf(err), store.KindUnreachable)
		}
	}
	_, err := s.Get(ctx, "blobs/ab/ab12", 0, -1)
	check("Get", err)
	_, err = s.Stat(ctx, "blobs/ab/ab12")
	check("Stat", err)
	check("Delete", s.Delete(ctx, "blobs/ab/ab12"))
	check("Put", s.Put(ctx, "blobs/cd/cd34", []byte("y")))
	check("Put at the top", s.Put(ctx, "top", []byte("y")))
	var listErr error
	for _, err := range s.List(ctx, "blobs/") {
		listErr = err
	}
	check("List", listErr)
	if _, err := os.Stat(s.Dir()); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("the folder was recreated: %v", err)
	}
}
