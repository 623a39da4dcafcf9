// Package folder keeps a vault's objects as plain files in a directory: a
// USB disk, a second internal disk or a mounted network share. The key is
// the file's path relative to the directory, so "blobs/ab/ab12…" is the file
// <dir>/blobs/ab/ab12…, and a vault stays readable with nothing but a file
// manager and the vault format.
//
// Durability. Put never writes a final file in place: it writes a temporary
// file in the destination directory, fsyncs it, renames it over the key's
// path and fsyncs the directory (and the parents of directories it had to
// create). After Put returns, the object survives a power cut; a reader sees
// the old object or the new one, never a prefix. A crash mid-Put leaves at
// most a temporary file, whose name holds a space so that it can never be a
// key (store.ValidKey rejects spaces); List skips such names.
//
// Files and directories. Because keys are paths, one key cannot be the
// "directory" of another: with "a/b" stored, Put("a/b/c") fails with a
// permanent store.KindInvalid error, and the other way round. S3 allows both,
// but the vault layout never needs it. Symbolic links and other non-regular
// files inside the directory are not objects.
//
// Errors. A full disk is store.Permanent(store.KindDiskFull), a permission
// problem or a disk mounted read-only store.Permanent(store.KindAccessDenied)
// around a *PermissionError (CheckWritable asks in advance), network-filesystem
// timeouts are store.Transient(store.KindUnreachable); missing keys satisfy
// errors.Is(err, fs.ErrNotExist).
package folder

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/tunesafe/tunesafe/internal/store"
)

const (
	dirPerm  = 0o700
	filePerm = 0o600
	// tempPattern names temporary files; the space keeps them out of the
	// key space.
	tempPattern = ".put *"
)

// Store is a store.Store over a local directory.
type Store struct {
	root string
}

var _ store.Store = (*Store)(nil)

// New returns a store over dir, creating it (and missing parents) if
// needed, as "tunesafe init" wants. A caller opening an existing vault
// checks first that dir exists: an unplugged disk or an unmounted share
// looks like a missing directory, and creating it would start an empty
// vault on the wrong disk. Once the store is open, a directory that
// disappears makes every call fail with store.KindUnreachable, never
// report a missing object.
func New(dir string) (*Store, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, store.Permanent(store.KindInvalid, fmt.Errorf("folder store %s: %w", dir, err))
	}
	if err := os.MkdirAll(abs, dirPerm); err != nil {
		return nil, classify(fmt.Errorf("folder store: %w", err))
	}
	fi, err := os.Stat(abs)
	if err != nil {
		return nil, classify(fmt.Errorf("folder store: %w", err))
	}
	if !fi.IsDir() {
		return nil, store.Permanent(store.KindInvalid, fmt.Errorf("folder store: %s is not a directory", abs))
	}
	return &Store{root: abs}, nil
}

// gone is the error for a store whose directory has disappeared.
func (s *Store) gone() error {
	return store.Transient(store.KindUnreachable,
		fmt.Errorf("folder %s does not exist (is the disk plugged in and mounted?)", s.root))
}

// missing returns the error for a key that is not there: not-found while
// the store's directory exists, unreachable when the directory itself is
// gone, so that an unplugged disk never reads as a vault without objects.
func (s *Store) missing(key string) error {
	if s.isGone() {
		return s.gone()
	}
	return store.NotFound(key)
}

func (s *Store) isGone() bool {
	_, err := os.Stat(s.root)
	return err != nil && isMissing(err)
}

// String returns the directory's absolute path.
func (s *Store) String() string { return s.root }

// Dir returns the directory the store keeps its objects in.
func (s *Store) Dir() string { return s.root }

func (s *Store) path(key string) string {
	return filepath.Join(s.root, filepath.FromSlash(key))
}

// Put stores data under key atomically and durably.
func (s *Store) Put(ctx context.Context, key string, data []byte) error {
	if err := store.CheckKey(ctx, key); err != nil {
		return err
	}
	path := s.path(key)
	dir := filepath.Dir(path)
	created, err := s.mkdirs(key)
	if err == nil {
		err = writeTemp(ctx, key, dir, path, data)
	}
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) && s.isGone() {
			return s.gone()
		}
		return err
	}
	// The rename is durable once the directory holding the new entry is
	// synced, and a created directory once its parent is.
	if err := syncDir(dir); err != nil {
		return classify(fmt.Errorf("put %s: %w", key, err))
	}
	for i := len(created) - 1; i >= 0; i-- {
		if err := syncDir(filepath.Dir(created[i])); err != nil {
			return classify(fmt.Errorf("put %s: %w", key, err))
		}
	}
	return nil
}

// mkdirs creates the directories above key's file and returns the ones it
// created, outermost first.
func (s *Store) mkdirs(key string) ([]string, error) {
	segs := strings.Split(key, "/")
	var created []string
	p := s.root
	for _, seg := range segs[:len(segs)-1] {
		p = filepath.Join(p, seg)
		err := os.Mkdir(p, dirPerm)
		if err == nil {
			created = append(created, p)
			continue
		}
		if !errors.Is(err, fs.ErrExist) {
			return nil, classify(fmt.Errorf("put %s: %w", key, err))
		}
		if fi, err := os.Lstat(p); err != nil {
			return nil, classify(fmt.Errorf("put %s: %w", key, err))
		} else if !fi.IsDir() {
			return nil, store.Permanent(store.KindInvalid,
				fmt.Errorf("put %s: %s is an object, so it cannot hold other objects", key, s.keyOf(p)))
		}
	}
	return created, nil
}

// writeTemp writes data to a new temporary file in dir, syncs it and renames
// it to path, the file of key. On failure it removes the temporary file.
func writeTemp(ctx context.Context, key, dir, path string, data []byte) (err error) {
	f, err := os.CreateTemp(dir, tempPattern)
	if err != nil {
		return classify(fmt.Errorf("put %s: %w", key, err))
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			_ = f.Close()
			_ = os.Remove(tmp)
		}
	}()
	if err := f.Chmod(filePerm); err != nil && !errors.Is(err, errors.ErrUnsupported) {
		return classify(fmt.Errorf("put %s: %w", key, err))
	}
	if _, err := f.Write(data); err != nil {
		return classify(fmt.Errorf("put %s: %w", key, err))
	}
	if err := f.Sync(); err != nil {
		return classify(fmt.Errorf("put %s: %w", key, err))
	}
	if err := f.Close(); err != nil {
		return classify(fmt.Errorf("put %s: %w", key, err))
	}
	// Last chance to honour a cancellation: after the rename the object
	// is stored.
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("put %s: %w", key, err)
	}
	err = os.Rename(tmp, path)
	if err != nil && isDir(path) {
		// An empty directory left by deleted objects below this key
		// may give way; a non-empty one holds objects and must not.
		if os.Remove(path) == nil {
			err = os.Rename(tmp, path)
		}
		if err != nil {
			return store.Permanent(store.KindInvalid,
				fmt.Errorf("put %s: objects are stored below this key, so it cannot be an object", key))
		}
	}
	if err != nil {
		return classify(fmt.Errorf("put %s: %w", key, err))
	}
	return nil
}

// Get returns length bytes of the object from offset on; length < 0 means to
// the end.
func (s *Store) Get(ctx context.Context, key string, offset, length int64) (io.ReadCloser, error) {
	if err := store.CheckKey(ctx, key); err != nil {
		return nil, err
	}
	if offset < 0 {
		return nil, store.Permanent(store.KindInvalid, fmt.Errorf("get %s: negative offset %d", key, offset))
	}
	path := s.path(key)
	if fi, err := os.Lstat(path); err != nil {
		return nil, s.readErr(key, err)
	} else if !fi.Mode().IsRegular() {
		return nil, store.NotFound(key)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, s.readErr(key, err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, s.readErr(key, err)
	}
	start := min(offset, fi.Size())
	n := fi.Size() - start
	if length >= 0 {
		n = min(n, length)
	}
	return &reader{ctx: ctx, key: key, r: io.NewSectionReader(f, start, n), f: f}, nil
}

// Stat returns the object's size and modification time; the folder keeps no
// checksum, so SHA256 is nil.
func (s *Store) Stat(ctx context.Context, key string) (store.Info, error) {
	if err := store.CheckKey(ctx, key); err != nil {
		return store.Info{}, err
	}
	fi, err := os.Lstat(s.path(key))
	if err != nil {
		return store.Info{}, s.readErr(key, err)
	}
	if !fi.Mode().IsRegular() {
		return store.Info{}, store.NotFound(key)
	}
	return store.Info{Key: key, Size: fi.Size(), ModTime: fi.ModTime()}, nil
}

// Delete removes the object; a missing object is not an error. Directories
// emptied by Delete stay: a later Put below them needs them again.
func (s *Store) Delete(ctx context.Context, key string) error {
	if err := store.CheckKey(ctx, key); err != nil {
		return err
	}
	path := s.path(key)
	fi, err := os.Lstat(path)
	if err != nil {
		if isMissing(err) {
			if s.isGone() {
				return s.gone()
			}
			return nil
		}
		return classify(fmt.Errorf("delete %s: %w", key, err))
	}
	if !fi.Mode().IsRegular() {
		return nil
	}
	if err := os.Remove(path); err != nil {
		if isMissing(err) {
			return nil
		}
		return classify(fmt.Errorf("delete %s: %w", key, err))
	}
	if err := syncDir(filepath.Dir(path)); err != nil {
		return classify(fmt.Errorf("delete %s: %w", key, err))
	}
	return nil
}

// readErr turns an error from reading key into not-found when the key is
// missing (including when a parent "directory" is an object) and classifies
// it otherwise.
func (s *Store) readErr(key string, err error) error {
	if isMissing(err) {
		return s.missing(key)
	}
	return classify(fmt.Errorf("get %s: %w", key, err))
}

func (s *Store) keyOf(path string) string {
	rel, err := filepath.Rel(s.root, path)
	if err != nil {
		return path
	}
	return filepath.ToSlash(rel)
}

func isMissing(err error) bool {
	return errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR)
}

func isDir(path string) bool {
	fi, err := os.Lstat(path)
	return err == nil && fi.IsDir()
}

// reader reads an object's section and stops when its context is done.
type reader struct {
	ctx context.Context
	key string
	r   *io.SectionReader
	f   *os.File
}

// Size is the number of bytes the section holds (store.Sizer).
func (r *reader) Size() int64 { return r.r.Size() }

func (r *reader) Read(p []byte) (int, error) {
	if err := r.ctx.Err(); err != nil {
		return 0, fmt.Errorf("get %s: %w", r.key, err)
	}
	n, err := r.r.Read(p)
	if err != nil && err != io.EOF {
		err = classify(fmt.Errorf("get %s: %w", r.key, err))
	}
	return n, err
}

func (r *reader) Close() error { return r.f.Close() }
