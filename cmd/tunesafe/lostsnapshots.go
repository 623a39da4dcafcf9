package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/tunesafe/tunesafe/internal/auditlog"
	"github.com/tunesafe/tunesafe/internal/vault"
)

// A snapshot the provider lost is not listed, and a command that lists the
// snapshots would leave it out without a word: the backup seems never to
// have happened. This computer keeps a copy of every snapshot it has read
// (vault.Copies); one the vault no longer lists was either forgotten
// (by any computer: the log records the DELETE, or this computer's journal
// holds it unpublished) or lost. Only then is the log read, and the copies of forgotten snapshots are dropped, so that the
// next run does not read it again.

// lostSnapshot is a snapshot this computer read once that the vault no
// longer holds, and whose deletion the log does not record.
type lostSnapshot struct {
	ID       vault.ID
	Snapshot *vault.Snapshot
}

// lostSnapshots returns the snapshots this computer has read that the
// vault no longer lists (listed holds those it does, readable or not) and
// whose deletion its log does not record, oldest first. Without a log
// (one this command could not open) it tells nothing.
func lostSnapshots(ctx context.Context, s *session, listed map[vault.ID]bool) ([]lostSnapshot, error) {
	if s.log == nil {
		return nil, nil
	}
	keys, err := s.cache.CopyKeys(ctx, vault.SnapshotsPrefix)
	if err != nil {
		return nil, err
	}
	var missing []string
	for _, k := range keys {
		id, err := vault.ParseID(strings.TrimPrefix(k, vault.SnapshotsPrefix))
		if err == nil && !listed[id] {
			missing = append(missing, k)
		}
	}
	if len(missing) == 0 {
		return nil, nil
	}
	expect, err := auditlog.Expect(ctx, s.log, s.log.Published().Size)
	if err != nil {
		return nil, err
	}
	// A forget on this computer whose DELETE is not published yet (it was
	// killed before its flush, and this log cannot publish: the vault is
	// mounted read-only, or the network dropped) deleted it too.
	deleted := map[string]bool{}
	for _, r := range s.log.Unpublished() {
		if d, ok := r.(auditlog.Delete); ok {
			deleted[d.Key] = true
		}
	}
	var lost []lostSnapshot
	var gone []string
	for _, k := range missing {
		id, _ := vault.ParseID(strings.TrimPrefix(k, vault.SnapshotsPrefix))
		e, known := expect[k]
		sn, ok := s.vault.KeptSnapshot(ctx, id)
		if !known || e.AbsentOK || !ok || deleted[k] {
			gone = append(gone, k)
			continue
		}
		lost = append(lost, lostSnapshot{ID: id, Snapshot: sn})
	}
	if len(gone) > 0 {
		if err := s.cache.DropCopies(ctx, gone); err != nil {
			return nil, err
		}
	}
	slices.SortFunc(lost, func(a, b lostSnapshot) int { return a.Snapshot.Time.Compare(b.Snapshot.Time) })
	return lost, nil
}

// warnLost tells, one line each, of the snapshots the provider lost.
func (a *app) warnLost(lost []lostSnapshot) {
	for _, l := range lost {
		fmt.Fprintf(a.stderr, "tunesafe: warning: snapshot %s (%s, %s) is missing from the vault, and its log records no deletion: lost by the provider? run 'tunesafe audit'\n",
			short(l.ID.String()), l.Snapshot.Time.Local().Format(snapshotTime), l.Snapshot.Host)
	}
}

// lostJSON is a lost snapshot in the --json output of snapshots.
type lostJSON struct {
	ID   string    `json:"id"`
	Time time.Time `json:"time"`
	Host string    `json:"host"`
	Lost string    `json:"lost"`
}

// Several computers may back up into one vault, each recording its host
// name in its snapshots. "latest" in restore, ls and diff is therefore
// this computer's newest snapshot, not the newest of whichever computer
// backed up last; --host names another computer. A computer with no
// snapshot of its own (a new one, restoring what the old one backed up)
// gets the newest of any host, and is told so.

// thisHost is the host name a backup on this computer records by default
// ("" if the system cannot tell).
func thisHost() string {
	h, _ := os.Hostname()
	return h
}

// latestOf says whose newest snapshot "latest" is: host's, when --host
// gave one, else this computer's or, without any, any host's.
func latestOf(host string) vault.Latest {
	if host != "" {
		return vault.Latest{Host: host}
	}
	return vault.Latest{Host: thisHost(), AnyIfNone: true}
}

// findSnapshot resolves which (an ID prefix, or "latest" or "" for the
// newest readable snapshot of latest's host) as ls and restore do: it
// warns of the damaged snapshots left out on the way, notes a "latest" of
// another computer than this one, warns for the newest of newer ones of
// the same host the provider lost, since "latest" is then not the last
// backup, and of a checkpoint, which may lack files.
func (a *app) findSnapshot(ctx context.Context, s *session, which string, latest vault.Latest) (vault.SnapshotRef, error) {
	snap, damaged, err := s.vault.FindReadableSnapshot(ctx, which, latest)
	a.warnDamaged(damaged)
	if err != nil {
		return snap, replicaWithout(ctx, s, hostHint(err))
	}
	lostOf, err := a.checkHost(which, latest, snap)
	if err != nil {
		return snap, err
	}
	if isLatest(which) {
		a.warnLostNewer(ctx, s, snap, lostOf)
	}
	if snap.Partial {
		fmt.Fprintf(a.stderr, "tunesafe: warning: snapshot %s is a checkpoint of a backup that did not complete: the files it had not stored yet are not in it (run the backup again to complete it)\n", short(snap.ID.String()))
	}
	return snap, nil
}

// checkHost checks snap, which which resolved to under latest. A snapshot
// ID of another host than --host is refused: the two disagree on what to
// read. A "latest" that fell back to another computer's snapshot is noted.
// It returns the host whose lost newer snapshots would make snap not the
// last backup ("" for any host's).
func (a *app) checkHost(which string, latest vault.Latest, snap vault.SnapshotRef) (lostOf string, err error) {
	if !isLatest(which) {
		if !latest.AnyIfNone && snap.Host != latest.Host {
			return "", usagef(fmt.Sprintf("drop --host to read that snapshot, or give one of %s's ('tunesafe snapshots' lists them with their hosts)", latest.Host),
				"snapshot %s is of %s, not of --host %s", short(snap.ID.String()), snap.Host, latest.Host)
		}
		return "", nil
	}
	if latest.Host == "" || snap.Host == latest.Host {
		return latest.Host, nil
	}
	// Only a fallback, with no --host, gets here.
	fmt.Fprintf(a.stderr, "tunesafe: note: no snapshot of this computer (%s); using the newest, %s of %s at %s (--host NAME picks another computer's, or this one's if it backs up with --host NAME)\n",
		latest.Host, short(snap.ID.String()), snap.Host, snap.Time.Local().Format(snapshotTime))
	return "", nil
}

// ofThisComputer reports whether a snapshot of host is this computer's.
func ofThisComputer(host string) bool {
	return host != "" && host == thisHost()
}

// otherComputer reports whether snap is of another computer than this one.
func otherComputer(snap vault.SnapshotRef) bool {
	return snap.Host != "" && snap.Host != thisHost()
}

// snapshotOf names snap in a command's output: its short ID, and its host
// when that is another computer.
func snapshotOf(snap vault.SnapshotRef) string {
	if otherComputer(snap) {
		return short(snap.ID.String()) + " of " + snap.Host
	}
	return short(snap.ID.String())
}

// hostHint gives a *vault.NoHostError the hint of the hosts the vault has
// snapshots of.
func hostHint(err error) error {
	var nh *vault.NoHostError
	if !errors.As(err, &nh) {
		return err
	}
	if len(nh.Hosts) == 0 {
		return err
	}
	return withHint(err, fmt.Sprintf("the vault has snapshots of %s: give --host one of them, or a snapshot ID ('tunesafe snapshots' lists them with their hosts)", strings.Join(nh.Hosts, ", ")))
}

// isLatest reports whether a snapshot argument names the newest snapshot.
func isLatest(which string) bool { return which == "" || which == "latest" }

// warnLostNewer warns of the snapshots of host ("" for any host's) newer
// than chosen that the provider lost: a restore of "latest" then says that
// it is not the last backup. A lost snapshot of another computer is none
// of this restore's business. Only the kept copies newer than chosen are
// looked for in the store (one HEAD each, usually none), not the whole
// listing again. What keeps it from telling is left unsaid: the restore
// goes on.
func (a *app) warnLostNewer(ctx context.Context, s *session, chosen vault.SnapshotRef, host string) {
	keys, err := s.cache.CopyKeys(ctx, vault.SnapshotsPrefix)
	if err != nil {
		return
	}
	listed := map[vault.ID]bool{}
	for _, k := range keys {
		id, err := vault.ParseID(strings.TrimPrefix(k, vault.SnapshotsPrefix))
		if err != nil {
			continue
		}
		listed[id] = true
		if sn, ok := s.vault.KeptSnapshot(ctx, id); ok && sn.Time.After(chosen.Time) && (host == "" || sn.Host == host) {
			_, err := s.vault.Store().Stat(ctx, k)
			switch {
			case errors.Is(err, fs.ErrNotExist):
				listed[id] = false
			case err != nil:
				return
			}
		}
	}
	lost, _ := lostSnapshots(ctx, s, listed)
	a.warnLost(lost)
}
