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

// CopyKeys returns the keys of the copies kept under prefix.
func (c *Cache) CopyKeys(ctx context.Context, prefix string) ([]string, error) {
	rows, err := c.d.db.QueryContext(ctx, `SELECT key FROM copies WHERE vault=? AND key >= ? AND key < ?`, c.vault, prefix, prefix+"\xff")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var keys []string
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			return nil, err
		}
		keys = append(keys, k)
	}
	return keys, rows.Err()
}

// DropCopies forgets the copies of the objects under keys: objects deleted
// from the vault, whose copies would otherwise be looked at again.
func (c *Cache) DropCopies(ctx context.Context, keys []string) error {
	return execEach(ctx, c, `DELETE FROM copies WHERE vault=? AND key=?`, keys, func(k string) []any { return []any{c.vault, k} })
}
