package state

import (
	"context"
	"database/sql"
	"fmt"
)

// Files removed from the library. A pass that finds a cached file gone
// counts it removed since the last complete backup, and the cache keeps
// its entry until a pass completes (ForgetRemoved): an interrupted pass,
// whose checkpoint already lacks the file, leaves the next pass to count
// it again, as new and changed files are counted (FileEntry.Pending). Once
// forgotten, a file put back counts as new.

// FileKey names a cached file: its directory and its name.
type FileKey struct{ Dir, Name string }

// CountBelow returns how many cached files at and below dir (absolute)
// the last complete backup held: those a pass not yet complete stored as
// new are left out.
func (c *Cache) CountBelow(ctx context.Context, dir string) (int64, error) {
	self, below, end := subtree(dir)
	var n int64
	err := c.d.db.QueryRowContext(ctx, `SELECT count(*) FROM files WHERE vault=? AND pending<>?
		AND (dir=? OR (dir>=? AND dir<?))`, c.vault, PendingNew, self, below, end).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("read cache: %w", err)
	}
	return n, nil
}

// ForgetRemoved deletes the entries of files, and of folders with
// everything below them, that a complete backup pass found gone.
func (c *Cache) ForgetRemoved(ctx context.Context, files []FileKey, dirs []string) error {
	if len(files) == 0 && len(dirs) == 0 {
		return nil
	}
	return c.update(ctx, func(tx *sql.Tx) error {
		for _, f := range files {
			if _, err := tx.ExecContext(ctx, `DELETE FROM files WHERE vault=? AND dir=? AND name=?`,
				c.vault, []byte(f.Dir), []byte(f.Name)); err != nil {
				return fmt.Errorf("write cache: %w", err)
			}
		}
		for _, d := range dirs {
			self, below, end := subtree(d)
			if _, err := tx.ExecContext(ctx, `DELETE FROM files WHERE vault=? AND (dir=? OR (dir>=? AND dir<?))`,
				c.vault, self, below, end); err != nil {
				return fmt.Errorf("write cache: %w", err)
			}
			if _, err := tx.ExecContext(ctx, `DELETE FROM dirs WHERE vault=? AND (path=? OR (path>=? AND path<?))`,
				c.vault, self, below, end); err != nil {
				return fmt.Errorf("write cache: %w", err)
			}
		}
		return nil
	})
}
