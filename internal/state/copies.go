package state

import (
	"context"
	"database/sql"
	"errors"
)

// Trees, lists and snapshots are named by the IDs of their content and
// never change: a copy of one is as good as the object. Copies holds the
// plaintext of those this computer has read, by object key.

// Copy returns the copy of the object under key, if there is one.
func (c *Cache) Copy(ctx context.Context, key string) ([]byte, bool, error) {
	var plain []byte
	err := c.d.db.QueryRowContext(ctx, `SELECT plain FROM copies WHERE vault=? AND key=?`, c.vault, key).Scan(&plain)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	return plain, true, nil
}

// PutCopy keeps a copy of the object under key.
func (c *Cache) PutCopy(ctx context.Context, key string, plain []byte) error {
	c.d.mu.Lock()
	defer c.d.mu.Unlock()
	_, err := c.d.db.ExecContext(ctx, `INSERT OR REPLACE INTO copies(vault,key,plain) VALUES(?,?,?)`, c.vault, key, plain)
	return err
}
