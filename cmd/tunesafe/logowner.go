package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/tunesafe/tunesafe/internal/flock"
	"github.com/tunesafe/tunesafe/internal/store"
)

// The log's local state (its journal, the checkpoint this computer
// verified, the tree of hashes) belongs to one process at a time: a
// second process that took the journal of a running one for the leftovers
// of a crash would publish records whose operations are still under way,
// and both would number journal files from the same count. So the process
// that opens the log takes a lock (package flock) on ownerFile in the
// state folder and holds it until the log is closed.
//
// A command started while another process owns the log (`tunesafe
// snapshots` or `restore` while the agent backs up) still works: it opens
// the log as a guest, on a private copy of the verified state without the
// journal, read-only; and every write it would make fails with a
// *busyError, before anything is sent.

//
// Creating a vault takes the same ownership of the new log's state
// (ownNewLog), and also the location: every vault created has a new ID, so
// two processes creating a vault at one location at once would not meet
// at the log's state (kept per ID), and would each write a vault over the
// other's.

const ownerFile = "owner.lock"

// logOwnership is what openLog holds for the session: the owner's lock,
// or the guest's copy to remove; and, for a vault this process creates,
// its hold on the location (creating).
type logOwnership struct {
	lock     *os.File
	creating *os.File
	guestDir string
	busy     error // for a guest: why it may not write
}

func (o *logOwnership) release() {
	if o == nil {
		return
	}
	for _, f := range []*os.File{o.lock, o.creating} {
		if f != nil {
			f.Close()
		}
	}
	if o.guestDir != "" {
		os.RemoveAll(o.guestDir)
	}
}

// busyError is why a guest may not write: the process that owns the log.
type busyError struct{ pid int }

func (e *busyError) Error() string {
	who := "another tunesafe process"
	if e.pid > 0 {
		who += fmt.Sprintf(" (pid %d)", e.pid)
	}
	return who + " on this computer is writing to this vault"
}

func (e *busyError) hint() string {
	return "wait until it has finished ('tunesafe status' shows the agent's pass), then run this again; reading commands (snapshots, ls, diff, restore) work meanwhile"
}

// ownLog takes the ownership of the log state in dir, or, when another
// process holds it, makes a guest copy of dir and returns the folder to
// open instead (o.busy is then the error for writes).
func ownLog(dir string) (o *logOwnership, openDir string, err error) {
	f, busy, err := own(filepath.Join(dir, ownerFile))
	if err != nil {
		return nil, "", err
	}
	if busy == nil {
		return &logOwnership{lock: f}, dir, nil
	}
	guest, err := guestCopy(dir)
	if err != nil {
		return nil, "", fmt.Errorf("copy the log's state for reading while %v: %w", busy, err)
	}
	return &logOwnership{guestDir: guest, busy: store.Permanent(store.KindInvalid, busy)}, guest, nil
}

// own takes the lock file p for this process, writing its PID in it for
// the message of another; when another process holds it, busy says
// which (and f is nil).
func own(p string) (f *os.File, busy *busyError, err error) {
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		return nil, nil, err
	}
	f, err = os.OpenFile(p, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, nil, err
	}
	switch err := flock.TryLock(f); {
	case err == nil:
		f.Truncate(0)
		f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
		return f, nil, nil
	case !errors.Is(err, flock.ErrBusy):
		f.Close()
		return nil, nil, err
	}
	b, _ := io.ReadAll(f)
	f.Close()
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	return nil, &busyError{pid: pid}, nil
}

// ownNewLog takes, for a vault this process creates at the location of
// state key key, the location and the new log's state, until
// own.release. It fails with a *busyError when another process of this
// computer is creating a vault there, or still writing to the one it
// created; there is no guest of a vault not created yet.
func (a *app) ownNewLog(key string) (*logOwnership, error) {
	_, loc, _ := strings.Cut(key, "@")
	// Beside the vaults' state folders, not among them: those are named
	// by state keys, and read as such.
	creating, busy, err := own(filepath.Join(filepath.Dir(a.cacheFile()), "creating", loc+".lock"))
	if err != nil {
		return nil, fmt.Errorf("take the vault's location: %w", err)
	}
	if busy != nil {
		return nil, busy
	}
	lock, busy, err := own(filepath.Join(a.logStateDir(key), ownerFile))
	if err == nil && busy != nil {
		err = busy
	}
	if err != nil {
		creating.Close()
		return nil, fmt.Errorf("open the vault's log: %w", err)
	}
	return &logOwnership{lock: lock, creating: creating}, nil
}

// guestCopy copies the verified state of the log in dir to a new private
// folder: state.json first, the commit point, then the files it covers,
// which the owner only ever extends. The journal is the owner's alone and
// is not copied.
func guestCopy(dir string) (string, error) {
	guest, err := os.MkdirTemp("", "tunesafe-log-")
	if err != nil {
		return "", err
	}
	fail := func(err error) (string, error) {
		os.RemoveAll(guest)
		return "", err
	}
	des, err := os.ReadDir(dir)
	if err != nil {
		return fail(err)
	}
	names := []string{"state.json"}
	for _, de := range des {
		switch n := de.Name(); n {
		case "state.json", "journal", ownerFile:
		default:
			names = append(names, n)
		}
	}
	for _, n := range names {
		if err := copyTree(filepath.Join(dir, n), filepath.Join(guest, n)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fail(err)
		}
	}
	return guest, nil
}

// copyTree copies a file, or a folder of files, from src to dst.
func copyTree(src, dst string) error {
	fi, err := os.Lstat(src)
	if err != nil {
		return err
	}
	if fi.IsDir() {
		return os.CopyFS(dst, os.DirFS(src))
	}
	b, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	return os.WriteFile(dst, b, 0o600)
}
