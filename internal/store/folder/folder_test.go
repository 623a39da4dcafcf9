package folder_test

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/tunesafe/tunesafe/internal/store"
	"github.com/tunesafe/tunesafe/internal/store/folder"
	"github.com/tunesafe/tunesafe/internal/store/storetest"
	"github.com/tunesafe/tunesafe/internal/testenv"
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
	// What List skips, Strays shows, but for Put's own temporary files.
	var strays []string
	for info, err := range s.Strays(ctx) {
		if err != nil {
			t.Fatal(err)
		}
		strays = append(strays, fmt.Sprintf("%s %d", info.Key, info.Size))
	}
	slices.Sort(strays)
	if want := []string{"caf\u00e9 4", "d/has space 4", "d/link 0"}; !slices.Equal(strays, want) {
		t.Fatalf("Strays = %q, want %q", strays, want)
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

// A vault at the root of a disk: the system's folders there (lost+found,
// readable by root alone on ext4) are neither listed nor strays, at the
// root only. Run as root, the check is repeated as user nobody, to whom
// lost+found is unreadable.
func TestSystemFolders(t *testing.T) {
	var s *folder.Store
	if testenv.Unprivileged() {
		var err error
		if s, err = folder.New(os.Getenv("TUNESAFE_TEST_VAULT")); err != nil {
			t.Fatal(err)
		}
	} else {
		// In a folder open to all, for the rerun as nobody.
		base, err := os.MkdirTemp("", "tunesafe-folder-")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.RemoveAll(base) })
		os.Chmod(base, 0o755)
		if s, err = folder.New(filepath.Join(base, "vault")); err != nil {
			t.Fatal(err)
		}
		os.Chmod(s.Dir(), 0o755)
		for _, key := range []string{"lost+found/x", "$RECYCLE.BIN/y", "blobs/lost+found/z"} {
			p := filepath.Join(s.Dir(), filepath.FromSlash(key))
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, []byte("k"), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		os.WriteFile(filepath.Join(s.Dir(), ".Trashes"), []byte("a file, not the folder"), 0o644)
		os.Chmod(filepath.Join(s.Dir(), "lost+found"), 0o700)
	}
	ctx := t.Context()
	var keys []string
	for info, err := range s.List(ctx, "") {
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, info.Key)
	}
	if want := []string{".Trashes", "blobs/lost+found/z"}; !slices.Equal(keys, want) {
		t.Fatalf("List = %q, want %q", keys, want)
	}
	for info, err := range s.Strays(ctx) {
		t.Fatalf("stray %q %v", info.Key, err)
	}
	if os.Geteuid() == 0 && !testenv.Unprivileged() {
		// The folders on the way must be open to nobody.
		for d := s.Dir(); d != filepath.Dir(d); d = filepath.Dir(d) {
			if fi, err := os.Stat(d); err == nil && fi.Mode().Perm()&0o005 != 0o005 {
				testenv.SkipOrFail(t, "%s is closed to other users", d)
			}
		}
		t.Setenv("TUNESAFE_TEST_VAULT", s.Dir())
		testenv.AsUnprivileged(t)
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
