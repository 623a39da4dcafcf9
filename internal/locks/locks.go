// Package locks keeps a backup and a prune from stepping on each other.
//
// A backup may reuse any blob the vault holds, and a prune deletes blobs no
// snapshot references; a prune running during a backup could delete a blob
// the backup is about to reference. So a backup holds a shared lock and a
// prune an exclusive one, as small objects under locks/. Each side writes
// its own lock first and then lists the others, so of two that start at
// the same moment at least one sees the other and backs off. Locks are
// refreshed while held; one not refreshed for Stale is ignored (its holder
// died), so a crashed backup never blocks pruning for long. A lock whose
// holder ran on this computer, in this process space, and is certainly no
// longer running is ignored at once, and deleted by whoever takes an
// exclusive lock.
package locks

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/tunesafe/tunesafe/internal/store"
)

// Kinds of lock.
const (
	Backup = "backup" // shared with other backups
	Retain = "retain" // shared: extends retention of what snapshots need
	Copy   = "copy"   // shared: copies the vault to a replica
	Prune  = "prune"  // exclusive
	Audit  = "audit"  // exclusive: an audit must see no write in flight
)

func exclusive(kind string) bool { return kind == Prune || kind == Audit }

// Prefix is where locks live.
const Prefix = "locks/"

// Stale is how long a lock lives without a refresh; Refresh is how often a
// holder refreshes it.
const (
	Stale   = 30 * time.Minute
	Refresh = 5 * time.Minute
)

// Info is the content of a lock object.
type Info struct {
	Kind string `json:"kind"`
	Host string `json:"host"`
	PID  int    `json:"pid"`
	// Space names the process space PID belongs to, where the system
	// tells (Linux: the boot and the PID namespace; macOS: the boot
	// session): two computers with the same host name, or two containers
	// sharing one, differ in it.
	Space string `json:"space,omitempty"`
	// Command is the tunesafe command that holds the lock ("agent",
	// "backup", "verify", ...), when known.
	Command   string    `json:"command,omitempty"`
	Started   time.Time `json:"started"`
	Refreshed time.Time `json:"refreshed"`
	Key       string    `json:"-"`
}

// StaleAt is when the lock is ignored if its holder stops refreshing it.
func (i Info) StaleAt() time.Time { return i.Refreshed.Add(Stale) }

// ConflictError reports the lock that stood in the way.
type ConflictError struct {
	Other Info
	// Running is true when the holder runs on this computer and the
	// system says it is still running.
	Running bool
}

func (e *ConflictError) Error() string {
	const day = "2006-01-02 15:04"
	started, refreshed := e.Other.Started.Local(), e.Other.Refreshed.Local()
	last := refreshed.Format(day)
	if started.Format("2006-01-02") == refreshed.Format("2006-01-02") {
		last = refreshed.Format("15:04")
	}
	return fmt.Sprintf("a %s from %s (pid %d) holds the vault since %s (last refreshed %s)",
		e.Other.Kind, e.Other.Host, e.Other.PID, started.Format(day), last)
}

// process is what a lock says about its holder, and how to tell whether
// a holder on this computer still runs; tests replace it.
type process struct {
	host, space, command string
	pid                  int
	// gone reports whether the process pid of this computer certainly
	// does not exist; false when the system cannot tell (tell is then
	// false too).
	gone func(pid int) bool
	tell bool
}

// Space returns the process space this computer's locks record (Info.Space),
// "" where the system does not name one.
func Space() string { return processSpace() }

func thisProcess() process {
	host, _ := os.Hostname()
	return process{host: host, space: processSpace(), command: command(os.Args), pid: os.Getpid(), gone: processGone, tell: canTellGone}
}

// here reports whether o's holder ran on this computer, in the process
// space of p, so that its PID means the same process here. The spaces must
// be the same: a lock that names none was written on a system that does
// not tell (or by an older version), and one of those with this computer's
// host name may be another computer's, whose running backup a prune must
// not take for dead. Only where neither names a space does the host name
// alone decide.
func (p process) here(o Info) bool {
	return p.host != "" && o.Host == p.host && o.Space == p.space
}

// dead reports whether o's holder ran here and is certainly not running.
func (p process) dead(o Info) bool {
	return p.here(o) && o.PID > 0 && o.PID != p.pid && p.gone(o.PID)
}

// lockCommands are the commands that take locks, as command finds them.
var lockCommands = []string{"agent", "backup", "copy", "prune", "retain", "verify", "audit", "repair"}

// command is the tunesafe command in a command line: its first word that
// names a command taking a lock, or "" (a lock says which command holds
// it, to tell the agent's backups from one run by hand; the rest of the
// command line, paths and locations, is not stored in the vault).
func command(args []string) string {
	if len(args) == 0 {
		return ""
	}
	for _, a := range args[1:] {
		if slices.Contains(lockCommands, a) {
			return a
		}
	}
	return ""
}

// Lock is a held lock.
type Lock struct {
	s    store.Store
	info Info
	stop chan struct{}
	wg   sync.WaitGroup
	now  func() time.Time
}

// Acquire takes a lock of the given kind or returns a *ConflictError.
func Acquire(ctx context.Context, s store.Store, kind string) (*Lock, error) {
	return acquire(ctx, s, kind, time.Now, thisProcess())
}

func acquire(ctx context.Context, s store.Store, kind string, now func() time.Time, p process) (*Lock, error) {
	b := make([]byte, 6)
	rand.Read(b)
	t := now().UTC()
	l := &Lock{s: s, now: now, stop: make(chan struct{}), info: Info{
		Kind: kind, Host: p.host, PID: p.pid, Space: p.space, Command: p.command, Started: t, Refreshed: t,
		Key: fmt.Sprintf("%s%s-%s-%s", Prefix, kind, t.Format("20060102T150405Z"), hex.EncodeToString(b)),
	}}
	if err := l.write(ctx); err != nil {
		return nil, fmt.Errorf("write lock: %w", err)
	}
	others, err := list(ctx, s, l.info.Key)
	if err != nil {
		l.s.Delete(context.WithoutCancel(ctx), l.info.Key)
		return nil, err
	}
	for _, o := range others {
		if now().Sub(o.Refreshed) > Stale {
			continue
		}
		if p.dead(o) {
			if exclusive(kind) {
				// So that such locks do not pile up. One that
				// could not be deleted is still ignored, and
				// deleted by the next exclusive lock.
				_ = s.Delete(ctx, o.Key)
			}
			continue
		}
		if exclusive(kind) || exclusive(o.Kind) {
			l.s.Delete(context.WithoutCancel(ctx), l.info.Key)
			return nil, &ConflictError{Other: o, Running: p.tell && p.here(o)}
		}
	}
	l.wg.Add(1)
	go l.refresh()
	return l, nil
}

func (l *Lock) write(ctx context.Context) error {
	b, err := json.Marshal(l.info)
	if err != nil {
		return err
	}
	return l.s.Put(ctx, l.info.Key, b)
}

func (l *Lock) refresh() {
	defer l.wg.Done()
	t := time.NewTicker(Refresh)
	defer t.Stop()
	for {
		select {
		case <-l.stop:
			return
		case <-t.C:
			l.info.Refreshed = l.now().UTC()
			// A failed refresh is retried at the next tick; the lock only
			// goes stale after several misses.
			_ = l.write(context.Background())
		}
	}
}

// Release removes the lock.
func (l *Lock) Release(ctx context.Context) error {
	close(l.stop)
	l.wg.Wait()
	return l.s.Delete(context.WithoutCancel(ctx), l.info.Key)
}

// List returns all locks in the vault; unreadable ones are reported as
// fresh locks of unknown kind "?" so that they block pruning until stale by
// their storage time, and one that does not say when it was refreshed is
// taken to have been refreshed at its storage time.
func List(ctx context.Context, s store.Store) ([]Info, error) {
	return list(ctx, s, "")
}

// list is List without the lock under key skip, which it does not read
// (a round trip less for the lock just written).
func list(ctx context.Context, s store.Store, skip string) ([]Info, error) {
	var out []Info
	for info, err := range s.List(ctx, Prefix) {
		if err != nil {
			return nil, err
		}
		if info.Key == skip {
			continue
		}
		b, err := store.ReadAll(ctx, s, info.Key)
		if err != nil {
			continue // removed meanwhile
		}
		var li Info
		if json.Unmarshal(b, &li) != nil {
			li = Info{Kind: "?", Host: "unknown"}
		}
		if li.Refreshed.IsZero() {
			li.Refreshed = info.ModTime
		}
		if li.Started.IsZero() {
			li.Started = li.Refreshed
		}
		li.Key = info.Key
		if li.Kind == "" {
			li.Kind = strings.SplitN(strings.TrimPrefix(info.Key, Prefix), "-", 2)[0]
		}
		out = append(out, li)
	}
	return out, nil
}

// Wait acquires a lock, retrying every interval while a conflicting one is
// held, until ctx ends. onWait is told about each conflict.
func Wait(ctx context.Context, s store.Store, kind string, interval time.Duration, onWait func(*ConflictError)) (*Lock, error) {
	for {
		l, err := Acquire(ctx, s, kind)
		ce, ok := err.(*ConflictError)
		if !ok {
			return l, err
		}
		if onWait != nil {
			onWait(ce)
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(interval):
		}
	}
}
