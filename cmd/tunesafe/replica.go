package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/tunesafe/tunesafe/internal/locks"
	"github.com/tunesafe/tunesafe/internal/store"
	"github.com/tunesafe/tunesafe/internal/vault"
	"github.com/tunesafe/tunesafe/internal/vaultcopy"
)

// A replica made by 'tunesafe copy' holds its original's log. A record of
// its own (a backup into it, even an audit's) would fork that log from the
// original's and end the copies, so every command opens a replica's log
// read-only and writes nothing to it: restore, ls, snapshots, status,
// verify and audit work; backup, forget, prune, repair, passwd and retain
// are refused. 'tunesafe promote' makes a replica a vault of its own, for
// when the original is lost or left.

// replicaError refuses a write to a replica.
type replicaError struct{ loc, of string }

func (e *replicaError) Error() string {
	return fmt.Sprintf("%s is a replica of %s made by 'tunesafe copy': it is only read", e.loc, e.of)
}

func (e *replicaError) hint() string {
	return "run the command on the original (--vault " + e.of + ") and copy again; if the original is lost, 'tunesafe promote --vault " + e.loc + "' makes the replica a vault of its own"
}

// replicaStore refuses every write with err.
type replicaStore struct {
	store.Store
	err *replicaError
}

func (s replicaStore) Put(context.Context, string, []byte) error { return s.err }
func (s replicaStore) Delete(context.Context, string) error      { return s.err }

func (a *app) promoteCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "promote",
		Short: "Make a replica made by 'tunesafe copy' a vault of its own",
		Long: `A replica made by 'tunesafe copy' is only read: its log is the original's, and
anything written to it would fork that log. When the original is lost (or you
move to the replica's provider for good), promote removes the replica's mark,
and from then on the replica is a vault like any other: back up to it, prune
it, copy it elsewhere.

Once the promoted replica has been written to, copies from the original to it
are refused: the two vaults have histories of their own.`,
		Example: "  tunesafe promote --vault s3://my-second-bucket/tunesafe",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			loc, err := a.vaultLocation()
			if err != nil {
				return err
			}
			backend, err := a.openBackend(ctx, loc, false)
			if err != nil {
				return err
			}
			st := a.decorate(backend)
			if _, err := st.Stat(ctx, vault.ConfigKey); err != nil {
				return fmt.Errorf("%s: %w", loc, vault.ErrNoVault)
			}
			m, ok, err := vaultcopy.ReadMarker(ctx, st)
			if err != nil {
				return err
			}
			if !ok {
				return usagef("", "%s is not a replica: there is nothing to promote", loc)
			}
			if err := st.Delete(ctx, vaultcopy.ReplicaKey); err != nil {
				return err
			}
			released, err := a.releaseOriginalLocks(ctx)
			if err != nil {
				fmt.Fprintf(a.stderr, "tunesafe: warning: the original's locks copied with the replica were left (they go stale within %s): %v\n", locks.Stale, err)
			}
			if a.json {
				return a.printJSON(map[string]any{"vault": loc, "was_replica_of": m.Of, "locks_released": released})
			}
			a.printf("%s is now a vault of its own (it was a replica of %s)\n", loc, m.Of)
			if released > 0 {
				a.printf("released %s the original's commands held when it was last copied\n", plural(released, "lock", "locks"))
			}
			return nil
		},
	}
}

// releaseOriginalLocks deletes, through the vault's log, the locks a
// promoted replica holds: a copy made while a command ran on the original
// (a backup copies its replicas before it releases its lock) copied that
// command's lock, which no process on the promoted vault will release.
// It returns how many it deleted.
func (a *app) releaseOriginalLocks(ctx context.Context) (int, error) {
	s, err := a.openVault(ctx)
	if err != nil {
		return 0, err
	}
	defer s.Close()
	ctx = a.deleteReason(ctx, "promote")
	var keys []string
	for info, err := range s.vault.Store().List(ctx, locks.Prefix) {
		if err != nil {
			return 0, err
		}
		keys = append(keys, info.Key)
	}
	for i, k := range keys {
		if err := s.vault.Store().Delete(ctx, k); err != nil {
			return i, err
		}
	}
	return len(keys), s.log.Flush(ctx)
}

// replicaWithout explains a replica without snapshots, err being
// vault.ErrNoSnapshots (other errors, and vaults that are no replica, are
// returned as they are): "back up first" is no advice for a replica, which
// only a copy fills.
func replicaWithout(ctx context.Context, s *session, err error) error {
	if s.replicaOf == "" || !errors.Is(err, vault.ErrNoSnapshots) {
		return err
	}
	done, derr := vaultcopy.FirstCopyDone(ctx, s.raw)
	switch {
	case derr != nil:
		return err
	case done:
		return withHint(err, fmt.Sprintf("the original had no snapshots when it was last copied: back up into the original (--vault %s), then run 'tunesafe copy --to %s' there again", s.replicaOf, s.loc))
	}
	return withHint(errFirstCopy, fmt.Sprintf("run 'tunesafe copy --to %s' again from the original (--vault %s): it continues where it stopped", s.loc, s.replicaOf))
}

// errFirstCopy: a replica whose first copy has not completed.
var errFirstCopy = errors.New("this replica's first copy has not completed: it holds no snapshots yet")
