package retain

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"slices"

	"github.com/tunesafe/tunesafe/internal/prune"
	"github.com/tunesafe/tunesafe/internal/vault"
)

// logPrefix is where the tamper-evident log keeps its objects (package
// auditlog).
const logPrefix = "log/"

// needed returns, sorted, the keys of every object the vault needs: its
// tunesafe.json and FORMAT.md, its key files, the objects of its log, every
// snapshot and every tree and blob the snapshots reach (prune.Referenced).
// Locks and prune markers are not needed to read the vault, nor is
// anything prune may delete.
func needed(ctx context.Context, v *vault.Vault) ([]string, error) {
	snaps, err := v.Snapshots(ctx)
	if err != nil {
		return nil, fmt.Errorf("list snapshots: %w", err)
	}
	trees, blobs, err := prune.Referenced(ctx, v, snaps)
	if err != nil {
		return nil, err
	}
	keys := make([]string, 0, 2+len(snaps)+len(trees)+len(blobs))
	keys = append(keys, vault.ConfigKey)
	// FORMAT.md is a courtesy to readers: a vault made without it (by a
	// test, or by hand) lacks nothing it needs.
	if _, err := v.Store().Stat(ctx, vault.FormatKey); err == nil {
		keys = append(keys, vault.FormatKey)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	for _, prefix := range []string{vault.KeysPrefix, logPrefix} {
		for info, err := range v.Store().List(ctx, prefix) {
			if err != nil {
				return nil, fmt.Errorf("list %s: %w", prefix, err)
			}
			keys = append(keys, info.Key)
		}
	}
	for _, s := range snaps {
		keys = append(keys, vault.SnapshotKey(s.ID))
	}
	for id := range trees {
		keys = append(keys, vault.TreeKey(id))
	}
	for id := range blobs {
		keys = append(keys, vault.BlobKey(id))
	}
	slices.Sort(keys)
	return slices.Compact(keys), nil
}
