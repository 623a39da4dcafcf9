package folder

import (
	"context"
	"errors"
	"io/fs"
	"syscall"

	"github.com/tunesafe/tunesafe/internal/store"
)

// classify wraps a filesystem error with its store class and kind, once,
// by the errno it carries. Context errors pass through unclassified (the
// store package counts them as permanent); anything unrecognised is a
// permanent failure of no particular kind, since a local disk that fails in
// an unknown way is unlikely to recover by itself.
func classify(err error) error {
	if err == nil {
		return nil
	}
	var e *store.Error
	switch {
	case errors.As(err, &e):
		return err
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return err
	case isErrno(err, diskFull...):
		return store.Permanent(store.KindDiskFull, err)
	case errors.Is(err, fs.ErrPermission), isErrno(err, syscall.EROFS):
		return store.Permanent(store.KindAccessDenied, &PermissionError{ReadOnlyDisk: isErrno(err, syscall.EROFS), Err: err})
	case isErrno(err, syscall.ENOTDIR, syscall.EISDIR, syscall.ENAMETOOLONG):
		return store.Permanent(store.KindInvalid, err)
	case isErrno(err, unreachable...):
		// A folder on a network filesystem whose server went away.
		return store.Transient(store.KindUnreachable, err)
	}
	return store.Permanent("", err)
}

// PermissionError is the filesystem refusing this user an operation on the
// vault's folder: the folder or one of its files does not give the
// permission, or the disk is mounted read-only. It is wrapped as a
// store.Permanent(store.KindAccessDenied) error, like an S3 access denial,
// so that retry logic treats both alike; it exists so that the user is told
// about folder permissions or a read-only disk, never about storage
// credentials.
type PermissionError struct {
	// ReadOnlyDisk is true when the filesystem is mounted read-only
	// (EROFS): no permission change lets anyone write there.
	ReadOnlyDisk bool
	Err          error
}

func (e *PermissionError) Error() string { return e.Err.Error() }
func (e *PermissionError) Unwrap() error { return e.Err }

// unreachable are the errnos a network filesystem (NFS, SMB) reports when
// its server is out of reach.
var unreachable = []syscall.Errno{
	syscall.ETIMEDOUT, syscall.EHOSTDOWN, syscall.EHOSTUNREACH, syscall.ENETDOWN,
	syscall.ENETUNREACH, syscall.ECONNRESET, syscall.ECONNABORTED, syscall.ESTALE,
}

func isErrno(err error, errnos ...syscall.Errno) bool {
	var errno syscall.Errno
	if !errors.As(err, &errno) {
		return false
	}
	for _, e := range errnos {
		if errno == e {
			return true
		}
	}
	return false
}
