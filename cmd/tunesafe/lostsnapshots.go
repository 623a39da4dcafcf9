package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
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

// findSnapshot resolves which (an ID prefix, or "latest" or "" for the
// newest readable snapshot) as ls and restore do: it warns of the damaged
// snapshots left out on the way, for the newest of newer ones the provider
// lost, since "latest" is then not the last backup, and of a checkpoint,
// which may lack files.
func (a *app) findSnapshot(ctx context.Context, s *session, which string) (vault.SnapshotRef, error) {
	snap, damaged, err := s.vault.FindReadableSnapshot(ctx, which)
	a.warnDamaged(damaged)
	if err != nil {
		return snap, replicaWithout(ctx, s, err)
	}
	if isLatest(which) {
		a.warnLostNewer(ctx, s, snap)
	}
	if snap.Partial {
		fmt.Fprintf(a.stderr, "tunesafe: warning: snapshot %s is a checkpoint of a backup that did not complete: the files it had not stored yet are not in it (run the backup again to complete it)\n", short(snap.ID.String()))
	}
	return snap, nil
}

// isLatest reports whether a snapshot argument names the newest snapshot.
func isLatest(which string) bool { return which == "" || which == "latest" }

// warnLostNewer warns of the snapshots newer than chosen that the provider
// lost: a restore of "latest" then says that it is not the last backup.
// Only the kept copies newer than chosen are looked for in the store (one
// HEAD each, usually none), not the whole listing again. What keeps it
// from telling is left unsaid: the restore goes on.
func (a *app) warnLostNewer(ctx context.Context, s *session, chosen vault.SnapshotRef) {
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
		if sn, ok := s.vault.KeptSnapshot(ctx, id); ok && sn.Time.After(chosen.Time) {
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
