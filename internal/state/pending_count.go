package state

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
)

// PendingFiles counts the files of the vault at and below each of paths
// (absolute; the whole vault's when paths is empty) that a backup pass
// stored and no complete pass has settled since (FileEntry.Pending), and
// their bytes. A pass that stopped before it finished stored them: no
// complete snapshot holds them as they are, and the pass had found them new
// or changed. It reads only the few rows the pending index holds, and
// writes nothing.
func (c *Cache) PendingFiles(ctx context.Context, paths []string) (files, bytes int64, err error) {
	q := `SELECT count(*), coalesce(sum(size),0) FROM files WHERE vault=? AND pending<>0`
	args := []any{c.vault}
	if len(paths) > 0 {
		var under []string
		for _, p := range paths {
			self, below, end := subtree(p)
			under = append(under, `(dir=? AND name=?) OR dir=? OR (dir>=? AND dir<?)`)
			args = append(args, []byte(filepath.Dir(p)), []byte(filepath.Base(p)), self, below, end)
		}
		q += ` AND (` + strings.Join(under, ` OR `) + `)`
	}
	if err := c.d.db.QueryRowContext(ctx, q, args...).Scan(&files, &bytes); err != nil {
		return 0, 0, fmt.Errorf("count pending files: %w", err)
	}
	return files, bytes, nil
}
