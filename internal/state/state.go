// Package state is Tunesafe's local cache: what it knows about the files it
// has backed up (so unchanged files are not read again) and which blobs and
// trees a vault already holds (so they are not uploaded again).
//
// It also remembers until when the vault's objects are retained by S3 Object
// Lock (retention.go), so that the pass extending retention asks the
// server only about objects close to expiry.
//
// It keeps copies of the vault's trees, lists and snapshots that commands
// have read (copies.go), so that walking every snapshot again (prune, the
// retention pass, repair) costs no requests.
//
// It is only a cache. Deleted, or on a new computer, everything still works:
// the first backup lists the vault's objects once to learn what is stored,
// re-reads the files, and uploads nothing the vault already has. The cache is
// a single SQLite database (modernc.org/sqlite, pure Go) shared by all
// vaults, every row keyed by a vault key that the caller chooses: Tunesafe's
// command line uses the vault ID and the vault's location (a replica of a
// vault elsewhere holds other objects, maybe fewer, than the original).
//
// Rows written under one key can be given to another with DB.Claim. The
// command line uses it for state that older versions keyed by the bare
// vault ID: the first location of that vault opened after the upgrade claims
// the old state, and any other location starts with none.
//
// A file is "unchanged" when its size, modification time and change time
// (and, where available, device and inode) all match; never by inode alone.
// Matching tells that a file need not be read again, not that a complete
// snapshot holds it: a pass that is interrupted or stopped at a limit has
// recorded the files it stored, marked pending (FileEntry.Pending) until a
// pass completes (Cache.SettlePending). A backup's summary counts a file
// as unchanged only when it is unchanged since this computer's last
// complete backup.
package state

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"

	_ "modernc.org/sqlite" // the database/sql driver "sqlite"
)

const schema = `
CREATE TABLE IF NOT EXISTS files (
	vault TEXT NOT NULL, dir BLOB NOT NULL, name BLOB NOT NULL,
	size INTEGER NOT NULL, mtime INTEGER NOT NULL, ctime INTEGER NOT NULL,
	dev INTEGER NOT NULL, ino INTEGER NOT NULL, node BLOB NOT NULL,
	pending INTEGER NOT NULL DEFAULT 0, lost INTEGER NOT NULL DEFAULT 0,
	PRIMARY KEY (vault, dir, name)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS dirs (
	vault TEXT NOT NULL, path BLOB NOT NULL, fp BLOB NOT NULL, tree BLOB NOT NULL,
	files INTEGER NOT NULL, bytes INTEGER NOT NULL,
	all_files INTEGER NOT NULL, all_bytes INTEGER NOT NULL, all_dirs INTEGER NOT NULL,
	pending INTEGER NOT NULL DEFAULT 0,
	PRIMARY KEY (vault, path)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS objects (
	vault TEXT NOT NULL, id BLOB NOT NULL,
	PRIMARY KEY (vault, id)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS meta (
	vault TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL,
	PRIMARY KEY (vault, key)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS retention (
	vault TEXT NOT NULL, key TEXT NOT NULL, until INTEGER NOT NULL,
	PRIMARY KEY (vault, key)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS copies (
	vault TEXT NOT NULL, key TEXT NOT NULL, plain BLOB NOT NULL,
	PRIMARY KEY (vault, key)) WITHOUT ROWID;
`

// vaultTables are the tables of the schema, each keyed by its vault
// column: Reset and Claim go through them all. A test checks the list
// against the database, so that a new table cannot be left out.
var vaultTables = []string{"files", "dirs", "objects", "meta", "retention", "copies"}

// addedColumns are the columns added to tables after their first version,
// with their definitions: Open adds those a database lacks.
var addedColumns = []struct{ table, column, def string }{
	{"files", "pending", "INTEGER NOT NULL DEFAULT 0"},
	{"dirs", "pending", "INTEGER NOT NULL DEFAULT 0"},
	{"files", "lost", "INTEGER NOT NULL DEFAULT 0"},
}

// pendingIndexes hold the few rows a pass not yet complete wrote, so that
// settling them (Cache.SettlePending, after every complete pass, most of
// which wrote none) does not scan every file of the library. Created once
// the columns exist (migrate).
const pendingIndexes = `
CREATE INDEX IF NOT EXISTS files_pending ON files(vault) WHERE pending<>0;
CREATE INDEX IF NOT EXISTS dirs_pending ON dirs(vault) WHERE pending<>0;
`

// DB is the open cache database.
type DB struct {
	db *sql.DB
	mu sync.Mutex // serialises writers
}

// Open opens (creating if needed) the cache at path.
func Open(path string) (*DB, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("state: %w", err)
	}
	dsn := "file:" + path + "?_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_pragma=busy_timeout(10000)"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("state: %w", err)
	}
	db.SetMaxOpenConns(4)
	if _, err := db.Exec(schema); err != nil {
		db.Close()
		return nil, fmt.Errorf("state %s: %w", path, err)
	}
	if err := migrate(db); err != nil {
		db.Close()
		return nil, fmt.Errorf("state %s: %w", path, err)
	}
	if _, err := db.Exec(pendingIndexes); err != nil {
		db.Close()
		return nil, fmt.Errorf("state %s: %w", path, err)
	}
	return &DB{db: db}, nil
}

// migrate adds the columns of addedColumns that a database created by an
// older version lacks. Up-to-date databases, the common case, are only
// read: the write lock is taken when a column is missing, and the check is
// repeated under it, since another process may be opening the same
// database.
func migrate(db *sql.DB) error {
	ctx := context.Background()
	if missing, err := missingColumns(ctx, db); err != nil || !missing {
		return err
	}
	conn, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `BEGIN IMMEDIATE`); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	done := false
	defer func() {
		if !done {
			conn.ExecContext(context.Background(), `ROLLBACK`)
		}
	}()
	for _, a := range addedColumns {
		has, err := hasColumn(ctx, conn, a.table, a.column)
		if err != nil {
			return err
		}
		if has {
			continue
		}
		if _, err := conn.ExecContext(ctx, `ALTER TABLE `+a.table+` ADD COLUMN `+a.column+` `+a.def); err != nil {
			return fmt.Errorf("migrate: %w", err)
		}
	}
	if _, err := conn.ExecContext(ctx, `COMMIT`); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	done = true
	return nil
}

type queryRower interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// missingColumns reports whether any column of addedColumns is missing.
func missingColumns(ctx context.Context, q queryRower) (bool, error) {
	for _, a := range addedColumns {
		has, err := hasColumn(ctx, q, a.table, a.column)
		if err != nil || !has {
			return !has, err
		}
	}
	return false, nil
}

func hasColumn(ctx context.Context, q queryRower, table, column string) (bool, error) {
	var n int
	err := q.QueryRowContext(ctx, `SELECT count(*) FROM pragma_table_info(?) WHERE name=?`, table, column).Scan(&n)
	return n > 0, err
}

// Close closes the database.
func (d *DB) Close() error { return d.db.Close() }

// Stat is what decides whether a file changed.
type Stat struct {
	Size  int64
	MTime int64 // nanoseconds since the epoch
	CTime int64 // nanoseconds; 0 where the OS has none
	Dev   uint64
	Ino   uint64
}

// Cache is the part of the database that belongs to one vault.
type Cache struct {
	d     *DB
	vault string
}

// Vault returns the cache of one vault, by the key its rows are kept
// under.
func (d *DB) Vault(key string) *Cache { return &Cache{d: d, vault: key} }

// Claim gives the rows of vault key from to vault key to, if to has none
// yet: in one transaction, every row of every table is re-keyed, so that
// no process sees half of the state moved. It reports whether anything was
// moved. Once to has rows of its own, Claim changes nothing.
func (d *DB) Claim(ctx context.Context, from, to string) (bool, error) {
	if from == to {
		return false, nil
	}
	// Most calls find that to has state already: tell that without taking
	// the write lock.
	if has, err := hasRows(ctx, d.db, to); has || err != nil {
		return false, err
	}
	if has, err := hasRows(ctx, d.db, from); !has || err != nil {
		return false, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	conn, err := d.db.Conn(ctx)
	if err != nil {
		return false, err
	}
	defer conn.Close()
	// BEGIN IMMEDIATE takes the write lock before the check below, so that
	// another process claiming at the same time waits, then finds to
	// taken.
	if _, err := conn.ExecContext(ctx, `BEGIN IMMEDIATE`); err != nil {
		return false, fmt.Errorf("claim %s: %w", from, err)
	}
	done := false
	defer func() {
		if !done {
			conn.ExecContext(context.Background(), `ROLLBACK`)
		}
	}()
	if has, err := hasRows(ctx, conn, to); has || err != nil {
		return false, err
	}
	var moved int64
	for _, t := range vaultTables {
		r, err := conn.ExecContext(ctx, `UPDATE `+t+` SET vault=? WHERE vault=?`, to, from)
		if err != nil {
			return false, fmt.Errorf("claim %s: %w", from, err)
		}
		n, err := r.RowsAffected()
		if err != nil {
			return false, err
		}
		moved += n
	}
	if _, err := conn.ExecContext(ctx, `COMMIT`); err != nil {
		return false, fmt.Errorf("claim %s: %w", from, err)
	}
	done = true
	return moved > 0, nil
}

// hasRows reports whether any table has a row of vault key.
func hasRows(ctx context.Context, q queryRower, key string) (bool, error) {
	for _, t := range vaultTables {
		var one int
		err := q.QueryRowContext(ctx, `SELECT 1 FROM `+t+` WHERE vault=? LIMIT 1`, key).Scan(&one)
		if err == nil {
			return true, nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return false, err
		}
	}
	return false, nil
}

// FileEntry is a cached file: its stat and its tree node (JSON, as stored
// in the vault's trees).
type FileEntry struct {
	Stat
	Node []byte
	// Pending says how the pass that stored the file counted it, until a
	// backup pass completes.
	Pending Pending
	// Lost says that the vault lost or damaged an object the node names
	// (ForgetDamaged): the file is read and stored again, though it is as
	// it was. Storing the file's record again clears it.
	Lost bool
}

// Pending tells whether a cached file is as a complete backup pass left
// it, or was stored by a pass that has not completed (interrupted, or
// stopped at a limit), and then how that pass counted it: a file such a
// pass stored is not read again, but it is still new, or changed, since
// the last complete backup, which did not hold it.
type Pending int

const (
	// Settled: recorded, or settled since, by a complete pass.
	Settled Pending = iota
	// PendingNew: stored as a new file by a pass not yet complete.
	PendingNew
	// PendingChanged: stored as a changed file by a pass not yet complete.
	PendingChanged
)

// Dir returns the cached entries of one directory, by name.
func (c *Cache) Dir(ctx context.Context, dir string) (map[string]FileEntry, error) {
	rows, err := c.d.db.QueryContext(ctx, `SELECT name,size,mtime,ctime,dev,ino,node,pending,lost FROM files WHERE vault=? AND dir=?`, c.vault, []byte(dir))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]FileEntry{}
	for rows.Next() {
		var name []byte
		var e FileEntry
		var dev, ino int64
		if err := rows.Scan(&name, &e.Size, &e.MTime, &e.CTime, &dev, &ino, &e.Node, &e.Pending, &e.Lost); err != nil {
			return nil, err
		}
		e.Dev, e.Ino = uint64(dev), uint64(ino)
		out[string(name)] = e
	}
	return out, rows.Err()
}

// FileNodes calls fn with the node of every cached file of the vault.
func (c *Cache) FileNodes(ctx context.Context, fn func(node []byte)) error {
	rows, err := c.d.db.QueryContext(ctx, `SELECT node FROM files WHERE vault=?`, c.vault)
	if err != nil {
		return err
	}
	defer rows.Close()
	var node []byte
	for rows.Next() {
		if err := rows.Scan(&node); err != nil {
			return err
		}
		fn(node)
	}
	return rows.Err()
}

// DirEntry is a cached directory: the fingerprint of its entries' stats
// (see package backup) and the tree that stored them, with counts of its
// own files (Files, Bytes) and of everything below it (All*). Pending
// says that a pass not yet complete recorded it: its files may be new or
// changed since the last complete backup (FileEntry.Pending).
type DirEntry struct {
	FP, Tree                    []byte
	Files, Bytes                int64
	AllFiles, AllBytes, AllDirs int64
	Pending                     bool
}

// Dirs returns every cached directory of the vault, by path.
func (c *Cache) Dirs(ctx context.Context) (map[string]DirEntry, error) {
	rows, err := c.d.db.QueryContext(ctx, `SELECT path,fp,tree,files,bytes,all_files,all_bytes,all_dirs,pending FROM dirs WHERE vault=?`, c.vault)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]DirEntry{}
	for rows.Next() {
		var p []byte
		var d DirEntry
		if err := rows.Scan(&p, &d.FP, &d.Tree, &d.Files, &d.Bytes, &d.AllFiles, &d.AllBytes, &d.AllDirs, &d.Pending); err != nil {
			return nil, err
		}
		out[string(p)] = d
	}
	return out, rows.Err()
}

// Batch collects writes and commits them together.
type Batch struct {
	c     *Cache
	files []fileRow
	ids   [][]byte
	dirs  []dirRow
}

type dirRow struct {
	path string
	d    DirEntry
}

// PutDir records a directory's fingerprint and tree.
func (b *Batch) PutDir(path string, d DirEntry) { b.dirs = append(b.dirs, dirRow{path, d}) }

type fileRow struct {
	dir, name string
	e         FileEntry
}

// Batch starts a batch of writes.
func (c *Cache) Batch() *Batch { return &Batch{c: c} }

// PutFile records a file's stat and node.
func (b *Batch) PutFile(dir, name string, e FileEntry) {
	b.files = append(b.files, fileRow{dir, name, e})
}

// AddObject records that the vault holds an object (blob or tree) by ID.
func (b *Batch) AddObject(id []byte) { b.ids = append(b.ids, id) }

// Len is the number of pending writes.
func (b *Batch) Len() int { return len(b.files) + len(b.ids) + len(b.dirs) }

// Commit writes the batch in one transaction and empties it.
func (b *Batch) Commit(ctx context.Context) error {
	if b.Len() == 0 {
		return nil
	}
	c := b.c
	err := c.update(ctx, func(tx *sql.Tx) error {
		if len(b.files) > 0 {
			st, err := tx.PrepareContext(ctx, `INSERT OR REPLACE INTO files(vault,dir,name,size,mtime,ctime,dev,ino,node,pending) VALUES(?,?,?,?,?,?,?,?,?,?)`)
			if err != nil {
				return err
			}
			for _, f := range b.files {
				if _, err := st.ExecContext(ctx, c.vault, []byte(f.dir), []byte(f.name), f.e.Size, f.e.MTime, f.e.CTime, int64(f.e.Dev), int64(f.e.Ino), f.e.Node, f.e.Pending); err != nil {
					return err
				}
			}
			st.Close()
		}
		if len(b.ids) > 0 {
			st, err := tx.PrepareContext(ctx, `INSERT OR IGNORE INTO objects(vault,id) VALUES(?,?)`)
			if err != nil {
				return err
			}
			for _, id := range b.ids {
				if _, err := st.ExecContext(ctx, c.vault, id); err != nil {
					return err
				}
			}
			st.Close()
		}
		if len(b.dirs) > 0 {
			st, err := tx.PrepareContext(ctx, `INSERT OR REPLACE INTO dirs(vault,path,fp,tree,files,bytes,all_files,all_bytes,all_dirs,pending) VALUES(?,?,?,?,?,?,?,?,?,?)`)
			if err != nil {
				return err
			}
			for _, r := range b.dirs {
				d := r.d
				if _, err := st.ExecContext(ctx, c.vault, []byte(r.path), d.FP, d.Tree, d.Files, d.Bytes, d.AllFiles, d.AllBytes, d.AllDirs, d.Pending); err != nil {
					return err
				}
			}
			st.Close()
		}
		return nil
	})
	if err != nil {
		return err
	}
	b.files, b.ids, b.dirs = b.files[:0], b.ids[:0], b.dirs[:0]
	return nil
}

// update runs fn in one write transaction, under the lock that orders this
// process's writers, and commits it when fn succeeds.
func (c *Cache) update(ctx context.Context, fn func(tx *sql.Tx) error) error {
	c.d.mu.Lock()
	defer c.d.mu.Unlock()
	tx, err := c.d.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := fn(tx); err != nil {
		return err
	}
	return tx.Commit()
}

// SettlePending marks the files and directories of the vault at and below
// each of paths (absolute) as recorded by a complete pass
// (FileEntry.Pending, DirEntry.Pending): a backup pass calls it with its
// source paths once its complete snapshot is stored, or found current, and
// its records are committed. Rows of other paths backed up to the same
// vault stay as they are: their pass has not completed.
func (c *Cache) SettlePending(ctx context.Context, paths []string) error {
	return c.update(ctx, func(tx *sql.Tx) error {
		for _, p := range paths {
			self, below, end := subtree(p)
			if _, err := tx.ExecContext(ctx, `UPDATE files SET pending=0 WHERE vault=? AND pending<>0
				AND ((dir=? AND name=?) OR dir=? OR (dir>=? AND dir<?))`,
				c.vault, []byte(filepath.Dir(p)), []byte(filepath.Base(p)), self, below, end); err != nil {
				return fmt.Errorf("settle cache: %w", err)
			}
			if _, err := tx.ExecContext(ctx, `UPDATE dirs SET pending=0 WHERE vault=? AND pending<>0
				AND (path=? OR (path>=? AND path<?))`, c.vault, self, below, end); err != nil {
				return fmt.Errorf("settle cache: %w", err)
			}
		}
		return nil
	})
}

// subtree returns the bounds of the paths below dir as byte strings:
// dir itself, and the range [below, end) that holds every path starting
// with dir and a separator (end is below with its last byte, the
// separator, raised by one).
func subtree(dir string) (self, below, end []byte) {
	self = []byte(dir)
	below = []byte(dir)
	if !strings.HasSuffix(dir, string(filepath.Separator)) {
		below = append(below, filepath.Separator)
	}
	end = append([]byte(nil), below...)
	end[len(end)-1]++
	return self, below, end
}

// HasObject reports whether the vault is known to hold the object.
func (c *Cache) HasObject(ctx context.Context, id []byte) (bool, error) {
	var one int
	err := c.d.db.QueryRowContext(ctx, `SELECT 1 FROM objects WHERE vault=? AND id=?`, c.vault, id).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return err == nil, err
}

// Objects calls fn with every object ID the vault is known to hold.
func (c *Cache) Objects(ctx context.Context, fn func(id []byte)) error {
	rows, err := c.d.db.QueryContext(ctx, `SELECT id FROM objects WHERE vault=?`, c.vault)
	if err != nil {
		return err
	}
	defer rows.Close()
	var id []byte
	for rows.Next() {
		if err := rows.Scan(&id); err != nil {
			return err
		}
		fn(id)
	}
	return rows.Err()
}

// ForgetObjects drops the given IDs from the known set. An object found
// lost or corrupted needs ForgetDamaged, which also drops the cached files
// and directories that name it.
func (c *Cache) ForgetObjects(ctx context.Context, ids [][]byte) error {
	return execEach(ctx, c, `DELETE FROM objects WHERE vault=? AND id=?`, ids, func(id []byte) []any { return []any{c.vault, id} })
}

// execEach runs one statement for each item, in one transaction.
func execEach[T any](ctx context.Context, c *Cache, query string, items []T, args func(T) []any) error {
	if len(items) == 0 {
		return nil
	}
	return c.update(ctx, func(tx *sql.Tx) error {
		st, err := tx.PrepareContext(ctx, query)
		if err != nil {
			return err
		}
		defer st.Close()
		for _, it := range items {
			if _, err := st.ExecContext(ctx, args(it)...); err != nil {
				return err
			}
		}
		return nil
	})
}

// ResetObjects forgets which objects the vault holds.
func (c *Cache) ResetObjects(ctx context.Context) error {
	c.d.mu.Lock()
	defer c.d.mu.Unlock()
	_, err := c.d.db.ExecContext(ctx, `DELETE FROM objects WHERE vault=?`, c.vault)
	return err
}

// Reset forgets everything about this vault (objects, files, retention
// dates and copies).
func (c *Cache) Reset(ctx context.Context) error {
	c.d.mu.Lock()
	defer c.d.mu.Unlock()
	for _, t := range vaultTables {
		if _, err := c.d.db.ExecContext(ctx, `DELETE FROM `+t+` WHERE vault=?`, c.vault); err != nil {
			return err
		}
	}
	return nil
}

// Meta returns a value stored with SetMeta, or "".
func (c *Cache) Meta(ctx context.Context, key string) (string, error) {
	var v string
	err := c.d.db.QueryRowContext(ctx, `SELECT value FROM meta WHERE vault=? AND key=?`, c.vault, key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return v, err
}

// SetMeta stores a small value for this vault.
func (c *Cache) SetMeta(ctx context.Context, key, value string) error {
	c.d.mu.Lock()
	defer c.d.mu.Unlock()
	_, err := c.d.db.ExecContext(ctx, `INSERT OR REPLACE INTO meta(vault,key,value) VALUES(?,?,?)`, c.vault, key, value)
	return err
}
