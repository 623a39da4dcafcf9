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
// longer running is ignored at once, and removed by the next command of
// this computer that takes a lock (Lock.Cleared names them): other
// computers cannot tell that its holder is gone, and would wait for it
// to go stale.
//
// # Stale locks are deleted
//
// Stale locks of other computers (a laptop that crashed mid-backup, a
// computer rebooted) would otherwise pile up under locks/, so they are
// deleted (Lock.Removed names them) by:
//
//   - a command taking an exclusive lock, once it holds the vault: it
//     ignores stale locks in any case, so deleting them changes nothing
//     for it, and it has just found that no live holder is in its way;
//   - any command taking a lock, for locks not refreshed for Abandoned
//     (a day, against a refresh every few minutes): a computer whose
//     clock runs ahead must not delete a live holder's lock that the
//     others still honour.
//
// A holder only suspended (a laptop asleep) writes its lock again at its
// next refresh. A delete the storage refuses (Object Lock, permissions)
// leaves the lock where it is, ignored as before: it is no error of the
// command taking its own lock.
//
// Removing a lock is best effort (Release): a run that ends because its
// storage stopped answering does not wait for it again to remove its lock,
// which the next command on this computer removes, and which other
// computers ignore once it is stale.
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
	"unicode"

	"github.com/tunesafe/tunesafe/internal/store"
	"github.com/tunesafe/tunesafe/internal/store/retry"
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

// Abandoned is how long a lock goes without a refresh before any command
// taking a lock deletes it (commands taking an exclusive lock delete it
// once Stale).
const Abandoned = 24 * time.Hour

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

// Holder says who holds the lock, for messages: what (the command, or
// the kind of lock), from which computer, and its process:
// "a backup from nas (pid 5386)", "the agent's backup from laptop (pid 7)",
// "a verify from nas (pid 12)". Names read from the vault are shown only
// as far as they are printable.
func (i Info) Holder() string {
	what := i.what()
	host := printable(i.Host)
	if host == "" || i.Kind == "?" {
		host = "an unknown computer"
	}
	if i.PID <= 0 {
		return fmt.Sprintf("%s from %s", what, host)
	}
	return fmt.Sprintf("%s from %s (pid %d)", what, host, i.PID)
}

// what names the command that holds the lock: "a backup", "the agent's
// backup", "a verify", "an integrity check", "a retain pass".
func (i Info) what() string {
	var what string
	switch i.Kind {
	case Backup, Copy, Prune:
		what = i.Kind
	case Retain:
		what = "retain pass"
	case Audit:
		what = "integrity check"
		if slices.Contains([]string{"verify", "audit", "repair"}, i.Command) {
			what = i.Command
		}
	case "?":
		return "a lock Tunesafe cannot read"
	default:
		return fmt.Sprintf("a lock of a kind this version does not know (%q)", printable(i.Kind))
	}
	if i.Command == "agent" {
		return "the agent's " + what
	}
	if strings.ContainsRune("aeiou", rune(what[0])) {
		return "an " + what
	}
	return "a " + what
}

// printable is s without what a terminal would not print as text, and
// cut to 64 characters: a lock is written by whoever can write to the
// vault.
func printable(s string) string {
	s = strings.Map(func(r rune) rune {
		if !unicode.IsPrint(r) {
			return -1
		}
		return r
	}, s)
	if r := []rune(s); len(r) > 64 {
		s = string(r[:63]) + "…"
	}
	return s
}

// ConflictError reports the lock that stood in the way.
type ConflictError struct {
	Other Info
	// Running is true when the holder runs on this computer and the
	// system says it is still running.
	Running bool
}

// Error says who holds the vault, since when (the lock's creation, in
// local time) and when its holder last refreshed it: "a prune from nas
// (pid 77) holds the vault since 2026-11-25 09:16 (last refreshed 09:31)".
func (e *ConflictError) Error() string {
	const day, clock = "2006-01-02 15:04", "15:04"
	o := e.Other
	started, refreshed := o.Started.Local(), o.Refreshed.Local()
	last := refreshed.Format(day)
	if started.Format(time.DateOnly) == refreshed.Format(time.DateOnly) {
		last = refreshed.Format(clock)
	}
	if o.Started.IsZero() {
		return fmt.Sprintf("%s holds the vault (last refreshed %s)", o.Holder(), refreshed.Format(day))
	}
	return fmt.Sprintf("%s holds the vault since %s (last refreshed %s)", o.Holder(), started.Format(day), last)
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
	// cancel ends a refresh under way, when the lock is released.
	cancel context.CancelFunc
	wg     sync.WaitGroup
	now    func() time.Time
	// cleared are the locks of dead holders removed as this one was taken.
	cleared []Info
	// removed are the stale locks removed as this one was taken.
	removed []Info
}

// Cleared returns the locks removed as this one was taken: their holders
// ran on this computer and ended without removing them (killed, or their
// storage stopped answering as they ended).
func (l *Lock) Cleared() []Info { return slices.Clone(l.cleared) }

// Removed returns the stale locks, of other computers or from before this
// computer's reboot, removed as this one was taken (see "Stale locks are
// deleted" in the package comment).
func (l *Lock) Removed() []Info { return slices.Clone(l.removed) }

// Bounds of the removal of a lock, whatever the store's retry policy: the
// lock's DELETE is the last request of a run, often of one that failed
// because the storage stopped answering, and a lock left behind does no
// harm for long (see Release).
const (
	releaseAttempts = 3
	releaseTimeout  = 30 * time.Second
)

// bestEffort bounds ctx, without its cancellation, for the removal of a
// lock.
func bestEffort(ctx context.Context) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), releaseTimeout)
	return retry.AtMost(ctx, releaseAttempts), cancel
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
	var stale []Info
	for _, o := range others {
		if p.dead(o) {
			// Other computers cannot tell its holder is gone.
			// One that could not be removed is still ignored,
			// and removed by the next lock taken here.
			dctx, cancel := context.WithTimeout(retry.AtMost(removingStale(ctx), releaseAttempts), releaseTimeout)
			if s.Delete(dctx, o.Key) == nil {
				l.cleared = append(l.cleared, o)
			}
			cancel()
			continue
		}
		if now().Sub(o.Refreshed) > Stale {
			stale = append(stale, o)
			continue
		}
		if exclusive(kind) || exclusive(o.Kind) {
			l.s.Delete(context.WithoutCancel(ctx), l.info.Key)
			return nil, &ConflictError{Other: o, Running: p.tell && p.here(o)}
		}
	}
	l.removed = removeStale(ctx, s, stale, exclusive(kind), now())
	var rctx context.Context
	rctx, l.cancel = context.WithCancel(context.WithoutCancel(ctx))
	l.wg.Add(1)
	go l.refresh(rctx)
	return l, nil
}

// removeStale deletes those of the stale locks that the taker of a new
// lock may delete, all of them when it took an exclusive lock, and
// returns those deleted. It tries briefly, as Release does, and within
// one bound for all: a delete that fails, or that the storage refuses,
// leaves the lock, which stays ignored.
func removeStale(ctx context.Context, s store.Store, stale []Info, exclusive bool, now time.Time) []Info {
	var removed []Info
	ctx, cancel := context.WithTimeout(retry.AtMost(removingStale(ctx), releaseAttempts), releaseTimeout)
	defer cancel()
	for _, o := range stale {
		if !exclusive && now.Sub(o.Refreshed) <= Abandoned {
			continue
		}
		if s.Delete(ctx, o.Key) == nil {
			removed = append(removed, o)
		}
	}
	return removed
}

type staleKey struct{}

// removingStale marks ctx as that of deleting another command's lock,
// dead or stale, rather than releasing the taker's own.
func removingStale(ctx context.Context) context.Context {
	return context.WithValue(ctx, staleKey{}, true)
}

// RemovingStale reports whether a delete under ctx removes another
// command's dead or stale lock (Take), so that a log of deletes can say
// so rather than give the reason of the command that took the new lock.
func RemovingStale(ctx context.Context) bool {
	v, _ := ctx.Value(staleKey{}).(bool)
	return v
}

func (l *Lock) write(ctx context.Context) error {
	b, err := json.Marshal(l.info)
	if err != nil {
		return err
	}
	return l.s.Put(ctx, l.info.Key, b)
}

func (l *Lock) refresh(ctx context.Context) {
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
			_ = l.write(ctx)
		}
	}
}

// Release removes the lock, even once ctx has ended, and stops a refresh
// under way. Removing it is best effort: a few attempts (releaseAttempts)
// within releaseTimeout, not the store's whole retry period again. A lock
// that could not be removed does no harm for long: once this process has
// ended, the next lock taken on this computer removes it (its holder is
// gone), and other computers ignore it once it is stale. The error says so.
func (l *Lock) Release(ctx context.Context) error {
	l.cancel()
	close(l.stop)
	l.wg.Wait()
	ctx, cancel := bestEffort(ctx)
	defer cancel()
	if err := l.s.Delete(ctx, l.info.Key); err != nil {
		return &StaysError{Lock: l.info, Err: err}
	}
	return nil
}

// StaysError reports a lock that Release could not remove.
type StaysError struct {
	Lock Info
	Err  error
}

func (e *StaysError) Error() string {
	stale := e.Lock.StaleAt().Local().Format("2006-01-02 15:04")
	if !canTellGone {
		return fmt.Sprintf("the %s lock stays in the vault (%v): it is ignored from %s", e.Lock.Kind, e.Err, stale)
	}
	return fmt.Sprintf("the %s lock stays in the vault (%v): the next command on this computer removes it, and other computers ignore it from %s",
		e.Lock.Kind, e.Err, stale)
}

func (e *StaysError) Unwrap() error { return e.Err }

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
			// Its key says when it was taken; the last refresh is
			// the latest that can be.
			li.Started = li.Refreshed
			if t, ok := keyTime(info.Key); ok && t.Before(li.Refreshed) {
				li.Started = t
			}
		}
		li.Key = info.Key
		if li.Kind == "" {
			li.Kind = strings.SplitN(strings.TrimPrefix(info.Key, Prefix), "-", 2)[0]
		}
		out = append(out, li)
	}
	return out, nil
}

// keyTime is when the lock under key was taken, by its name
// (kind-20060102T150405Z-random).
func keyTime(key string) (time.Time, bool) {
	_, rest, _ := strings.Cut(strings.TrimPrefix(key, Prefix), "-")
	stamp, _, _ := strings.Cut(rest, "-")
	t, err := time.Parse("20060102T150405Z", stamp)
	return t, err == nil
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
