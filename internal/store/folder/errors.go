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
		return store.Permanent(store.KindAccessDenied, err)
	case isErrno(err, syscall.ENOTDIR, syscall.EISDIR, syscall.ENAMETOOLONG):
		return store.Permanent(store.KindInvalid, err)
	case isErrno(err, unreachable...):
		// A folder on a network filesystem whose server went away.
		return store.Transient(store.KindUnreachable, err)
	}
	return store.Permanent("", err)
}

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
