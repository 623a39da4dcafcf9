package restore

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"

	"github.com/tunesafe/tunesafe/internal/vault"
)

// target is the folder a restore writes into. Every operation goes through
// an os.Root opened on it, so no path below it leads outside it, whatever
// symlinks are there; and folders are checked (mkdir) before anything is
// written in them, so that no symlink is followed even inside it.
type target struct {
	dir         string
	root        *os.Root
	lock        *os.File // see claim; nil where there is no lock
	overwrite   bool
	attrsNotSet atomic.Int64 // see finish
	// partials are the partial files (paths without suffix) that
	// removeLeftovers keeps: those of the snapshot's files (resume.go).
	partials map[string]bool
	resumed  atomic.Int64 // bytes of restored files found in partial files
}

// openTarget creates the target folder if needed and opens it.
func openTarget(dir string, overwrite bool) (*target, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, &TargetError{Dir: dir, Err: err}
	}
	lock, err := claim(dir)
	if err != nil {
		return nil, &TargetError{Dir: dir, Err: err}
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		if lock != nil {
			lock.Close()
		}
		return nil, &TargetError{Dir: dir, Err: err}
	}
	return &target{dir: dir, root: root, lock: lock, overwrite: overwrite}, nil
}

func (tg *target) close() {
	tg.root.Close()
	if tg.lock != nil {
		tg.lock.Close()
	}
}

// ErrBusy is the reason of the TargetError of a restore into a folder
// another restore is writing into.
var ErrBusy = errors.New("another restore is writing into it")

// TargetError stops a whole restore: the target cannot be written to (its
// disk is full, it is read-only, or the user may not write there), so
// every other file would fail the same way.
type TargetError struct {
	Dir  string // the target folder
	Path string // the snapshot path being restored when it happened, if any
	Err  error
}

func (e *TargetError) Error() string {
	// The system's reason alone: the paths inside Err are relative to the
	// target, or temporary names.
	reason := e.Err.Error()
	var errno syscall.Errno
	if errors.As(e.Err, &errno) {
		reason = errno.Error()
	}
	if e.Path == "" {
		return fmt.Sprintf("cannot restore into %s: %s", e.Dir, reason)
	}
	return fmt.Sprintf("cannot restore into %s (at %s): %s", e.Dir, e.Path, reason)
}

func (e *TargetError) Unwrap() error { return e.Err }

// localError is a failure of the target's file system, as opposed to one
// of the vault.
type localError struct{ err error }

func (e *localError) Error() string { return e.err.Error() }
func (e *localError) Unwrap() error { return e.err }

func local(err error) error {
	if err == nil {
		return nil
	}
	return &localError{err}
}

// fatal returns the TargetError that err, met restoring rel, makes of the
// whole restore, or nil when only rel failed.
func (tg *target) fatal(rel string, err error) *TargetError {
	var te *TargetError
	if errors.As(err, &te) {
		return te
	}
	var le *localError
	if errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT) || errors.Is(err, syscall.EROFS) ||
		(errors.As(err, &le) && errors.Is(err, fs.ErrPermission)) {
		return &TargetError{Dir: tg.dir, Path: rel, Err: err}
	}
	return nil
}

// InTheWayError reports an existing entry of another kind where the
// snapshot has a file, folder or symlink. Overwrite replaces a file,
// symlink or special file; a folder is never removed.
type InTheWayError struct {
	Found string // "file", "folder", "symlink" or "special file"
	Want  string // "file", "folder" or "symlink"
}

func (e *InTheWayError) Error() string {
	if e.Found == "folder" {
		return fmt.Sprintf("a folder is in the way of the %s (move it away to restore the %s)", e.Want, e.Want)
	}
	return fmt.Sprintf("a %s is in the way of the %s (use --overwrite to replace it)", e.Found, e.Want)
}

func inTheWay(fi fs.FileInfo, want string) error {
	found := "special file"
	switch {
	case fi.Mode()&fs.ModeSymlink != 0:
		found = "symlink"
	case fi.IsDir():
		found = "folder"
	case fi.Mode().IsRegular():
		found = "file"
	}
	return &InTheWayError{Found: found, Want: want}
}

// mkdir makes lp, whose parent is already checked, a real folder that the
// owner can write to. A folder of the snapshot is made 0700, and finish
// gives it its mode afterwards; an ancestor is made as mkdir -p makes
// one, 0755 less the umask (ancestors.go). An existing folder the owner
// may not write to is given the owner's rwx, and its mode before is
// returned (0 for a folder made, or left as it was), for finishAncestor.
func (tg *target) mkdir(lp string, ancestor bool) (found fs.FileMode, err error) {
	perm := fs.FileMode(0o700)
	if ancestor {
		perm = 0o755
	}
	fi, err := tg.root.Lstat(lp)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return 0, tg.mkdirNew(lp, perm)
	case err != nil:
		return 0, local(err)
	case fi.IsDir():
		if fi.Mode().Perm()&0o700 != 0o700 {
			return fi.Mode(), local(tg.root.Chmod(lp, fi.Mode()|0o700))
		}
		return 0, nil
	case !tg.overwrite:
		return 0, inTheWay(fi, "folder")
	}
	if err := tg.root.Remove(lp); err != nil {
		return 0, local(err)
	}
	return 0, tg.mkdirNew(lp, perm)
}

// mkdirNew makes the folder lp with perm less the umask, and gives the
// owner rwx should the umask take some away (as mkdir -p does).
func (tg *target) mkdirNew(lp string, perm fs.FileMode) error {
	if err := tg.root.Mkdir(lp, perm); err != nil {
		return local(err)
	}
	fi, err := tg.root.Lstat(lp)
	if err != nil {
		return local(err)
	}
	if fi.Mode().Perm()&0o700 != 0o700 {
		return local(tg.root.Chmod(lp, fi.Mode()|0o700))
	}
	return nil
}

// symlink puts a symlink to n's target at lp, whose folder is checked.
func (tg *target) symlink(lp string, n *vault.Node) error {
	want := n.LinkTarget()
	fi, err := tg.root.Lstat(lp)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if err := tg.root.Symlink(want, lp); err != nil {
			return local(err)
		}
	case err != nil:
		return local(err)
	case fi.IsDir():
		return inTheWay(fi, "symlink")
	case fi.Mode()&fs.ModeSymlink != 0:
		cur, err := tg.root.Readlink(lp)
		if err != nil {
			return local(err)
		}
		if cur == want {
			break
		}
		if !tg.overwrite {
			return ErrExists
		}
		if err := tg.replaceWithSymlink(lp, want); err != nil {
			return err
		}
	case !tg.overwrite:
		return inTheWay(fi, "symlink")
	default:
		if err := tg.replaceWithSymlink(lp, want); err != nil {
			return err
		}
	}
	return tg.lchtimes(lp, n)
}

// replaceWithSymlink replaces lp by a symlink in one step.
func (tg *target) replaceWithSymlink(lp, want string) error {
	tmp := filepath.Join(filepath.Dir(lp), tempName())
	if err := tg.root.Symlink(want, tmp); err != nil {
		return local(err)
	}
	if err := tg.root.Rename(tmp, lp); err != nil {
		tg.root.Remove(tmp)
		return local(err)
	}
	return nil
}

// finish gives the file or folder lp its mode and time. What cannot be set
// is counted (attrsNotSet), not a failure: FAT and exFAT, the file systems
// of most USB sticks, keep no permissions and refuse every chmod, another
// user's existing folder refuses both, and the content is what the
// restore is for.
func (tg *target) finish(lp string, n *vault.Node) {
	modeErr := tg.root.Chmod(lp, n.FileMode())
	timeErr := tg.root.Chtimes(lp, n.MTime, n.MTime)
	if modeErr != nil || timeErr != nil {
		tg.attrsNotSet.Add(1)
	}
}

// tempPrefix and tempSuffix make the random names of temporary files
// (replaceWithSymlink). Files being restored are written to partial files
// instead (".tunesafe-<24 hex>.part" beside ".tunesafe-<24 hex>.blobs",
// resume.go); both kinds are leftovers of an earlier run.
const tempPrefix, tempSuffix = ".tunesafe-", ".tmp"

func tempName() string {
	b := make([]byte, 6)
	rand.Read(b)
	return tempPrefix + hex.EncodeToString(b) + tempSuffix
}

// tempBase returns name less its suffix when name is a temporary or
// partial file's, and "" otherwise.
func tempBase(name string) string {
	for _, k := range []struct {
		suffix string
		hex    int
	}{{tempSuffix, 12}, {partSuffix, keyLen}, {blobsSuffix, keyLen}} {
		base, ok := strings.CutSuffix(name, k.suffix)
		if ok && len(base) == len(tempPrefix)+k.hex && strings.HasPrefix(base, tempPrefix) && isHex(base[len(tempPrefix):]) {
			return base
		}
	}
	return ""
}

func isHex(s string) bool {
	_, err := hex.DecodeString(s)
	return err == nil && strings.ToLower(s) == s
}

// removeLeftovers deletes the temporary files an interrupted restore left
// in folder dir (they never have a final name, so nothing refers to them),
// except the partial files of files the snapshot holds there, which a
// restore of them resumes (tg.partials). One that cannot be removed is
// only clutter, and is left.
func (tg *target) removeLeftovers(dir string) {
	d, err := tg.root.Open(dir)
	if err != nil {
		return
	}
	names, _ := d.Readdirnames(-1)
	d.Close()
	for _, name := range names {
		if base := tempBase(name); base != "" && !tg.partials[filepath.Join(dir, base)] {
			tg.root.Remove(filepath.Join(dir, name))
		}
	}
}
