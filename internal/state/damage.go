package state

import (
	"context"
	"database/sql"
	"path/filepath"
)

// ForgetDamaged makes the cache stop believing that the vault holds the
// objects ids, which an audit found lost or corrupted, and stop reusing what
// names them, so that the next backup stores again what the files still
// hold:
//
//   - the ids leave the set of stored objects, so that an upload of the same
//     content is not skipped;
//   - the entries of files whose cached node names one of them (names
//     reports it) are marked lost (FileEntry.Lost), so that those files
//     are read again, and still count as the backups counted them;
//   - the directories whose cached tree is one of them, or that hold such a
//     file, are dropped with every directory above them (a directory's tree
//     names its subdirectories' trees), so that their trees are built, and
//     stored, again.
//
// names may be nil: no file entry is marked. Everything is done in one
// transaction.
func (c *Cache) ForgetDamaged(ctx context.Context, ids [][]byte, names func(node []byte) bool) error {
	if len(ids) == 0 {
		return nil
	}
	damaged := make(map[string]bool, len(ids))
	for _, id := range ids {
		damaged[string(id)] = true
	}
	return c.update(ctx, func(tx *sql.Tx) error { return c.forgetDamaged(ctx, tx, ids, damaged, names) })
}

func (c *Cache) forgetDamaged(ctx context.Context, tx *sql.Tx, ids [][]byte, damaged map[string]bool, names func(node []byte) bool) error {
	// A write first, so that the transaction holds the write lock before it
	// reads what it then deletes.
	st, err := tx.PrepareContext(ctx, `DELETE FROM objects WHERE vault=? AND id=?`)
	if err != nil {
		return err
	}
	defer st.Close()
	for _, id := range ids {
		if _, err := st.ExecContext(ctx, c.vault, id); err != nil {
			return err
		}
	}

	// stale are the directories whose cached tree may name a damaged
	// object.
	stale := map[string]bool{}
	rows, err := tx.QueryContext(ctx, `SELECT path,tree FROM dirs WHERE vault=?`, c.vault)
	if err != nil {
		return err
	}
	for rows.Next() {
		var path, tree []byte
		if err := rows.Scan(&path, &tree); err != nil {
			rows.Close()
			return err
		}
		if damaged[string(tree)] {
			stale[string(path)] = true
		}
	}
	if err := rows.Close(); err != nil {
		return err
	}
	if err := rows.Err(); err != nil {
		return err
	}
	type fileKey struct{ dir, name []byte }
	var files []fileKey
	if names != nil {
		rows, err := tx.QueryContext(ctx, `SELECT dir,name,node FROM files WHERE vault=?`, c.vault)
		if err != nil {
			return err
		}
		for rows.Next() {
			var k fileKey
			var node []byte
			if err := rows.Scan(&k.dir, &k.name, &node); err != nil {
				rows.Close()
				return err
			}
			if names(node) {
				files = append(files, k)
				stale[string(k.dir)] = true
			}
		}
		if err := rows.Close(); err != nil {
			return err
		}
		if err := rows.Err(); err != nil {
			return err
		}
	}
	if len(files) > 0 {
		st, err := tx.PrepareContext(ctx, `UPDATE files SET lost=1 WHERE vault=? AND dir=? AND name=?`)
		if err != nil {
			return err
		}
		defer st.Close()
		for _, k := range files {
			if _, err := st.ExecContext(ctx, c.vault, k.dir, k.name); err != nil {
				return err
			}
		}
	}
	drop := map[string]bool{}
	for p := range stale {
		for {
			drop[p] = true
			up := filepath.Dir(p)
			if up == p || drop[up] {
				break
			}
			p = up
		}
	}
	if len(drop) > 0 {
		st, err := tx.PrepareContext(ctx, `DELETE FROM dirs WHERE vault=? AND path=?`)
		if err != nil {
			return err
		}
		defer st.Close()
		for p := range drop {
			if _, err := st.ExecContext(ctx, c.vault, []byte(p)); err != nil {
				return err
			}
		}
	}
	return nil
}
