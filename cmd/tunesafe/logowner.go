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

const ownerFile = "owner.lock"

// logOwnership is what openLog holds for the session: the owner's lock,
// or the guest's copy to remove.
type logOwnership struct {
	lock     *os.File
	guestDir string
	busy     error // for a guest: why it may not write
}

func (o *logOwnership) release() {
	if o == nil {
		return
	}
	if o.lock != nil {
		o.lock.Close()
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
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, "", err
	}
	p := filepath.Join(dir, ownerFile)
	f, err := os.OpenFile(p, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, "", err
	}
	switch err := flock.TryLock(f); {
	case err == nil:
		// Say who owns it, for the message of a guest.
		f.Truncate(0)
		f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
		return &logOwnership{lock: f}, dir, nil
	case !errors.Is(err, flock.ErrBusy):
		f.Close()
		return nil, "", err
	}
	b, _ := io.ReadAll(f)
	f.Close()
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	busy := &busyError{pid: pid}
	guest, err := guestCopy(dir)
	if err != nil {
		return nil, "", fmt.Errorf("copy the log's state for reading while %v: %w", busy, err)
	}
	return &logOwnership{guestDir: guest, busy: store.Permanent(store.KindInvalid, busy)}, guest, nil
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
