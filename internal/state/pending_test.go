package state

import (
	"database/sql"
	"path/filepath"
	"testing"
)

// oldSchema is the files and dirs tables as versions before the pending
// column created them.
const oldSchema = `
CREATE TABLE files (
	vault TEXT NOT NULL, dir BLOB NOT NULL, name BLOB NOT NULL,
	size INTEGER NOT NULL, mtime INTEGER NOT NULL, ctime INTEGER NOT NULL,
	dev INTEGER NOT NULL, ino INTEGER NOT NULL, node BLOB NOT NULL,
	PRIMARY KEY (vault, dir, name)) WITHOUT ROWID;
CREATE TABLE dirs (
	vault TEXT NOT NULL, path BLOB NOT NULL, fp BLOB NOT NULL, tree BLOB NOT NULL,
	files INTEGER NOT NULL, bytes INTEGER NOT NULL,
	all_files INTEGER NOT NULL, all_bytes INTEGER NOT NULL, all_dirs INTEGER NOT NULL,
	PRIMARY KEY (vault, path)) WITHOUT ROWID;
INSERT INTO files VALUES ('v', CAST('music' AS BLOB), CAST('a.mp3' AS BLOB), 1, 2, 3, 4, 5, CAST('{}' AS BLOB));
INSERT INTO dirs VALUES ('v', CAST('music' AS BLOB), CAST('fp' AS BLOB), CAST('tree' AS BLOB), 1, 1, 1, 1, 0);
`

// A database of an older version gains the pending column at Open; its
// rows count as recorded by a complete pass.
func TestOpenMigratesPending(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "cache.db")
	old, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := old.Exec(oldSchema); err != nil {
		t.Fatal(err)
	}
	old.Close()

	for range 2 { // a second Open finds the columns there
		db, err := Open(path)
		if err != nil {
			t.Fatal(err)
		}
		c := db.Vault("v")
		files, err := c.Dir(ctx, "music")
		if err != nil {
			t.Fatal(err)
		}
		if e, ok := files["a.mp3"]; !ok || e.Pending != Settled || e.Size != 1 || e.Ino != 5 {
			t.Fatalf("migrated file: %+v (found %v)", e, ok)
		}
		dirs, err := c.Dirs(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if d, ok := dirs["music"]; !ok || d.Pending || string(d.Tree) != "tree" {
			t.Fatalf("migrated dir: %+v (found %v)", d, ok)
		}
		b := c.Batch()
		b.PutFile("music", "b.mp3", FileEntry{Node: []byte(`{}`), Pending: PendingChanged})
		if err := b.Commit(ctx); err != nil {
			t.Fatal(err)
		}
		if files, _ := c.Dir(ctx, "music"); files["b.mp3"].Pending != PendingChanged {
			t.Fatalf("after migration, pending not kept: %+v", files["b.mp3"])
		}
		db.Close()
	}
}

// SettlePending marks the files and folders of one vault key, and only
// those, as recorded by a complete pass.
func TestSettlePending(t *testing.T) {
	ctx := t.Context()
	db := openTest(t)
	put := func(c *Cache) {
		t.Helper()
		b := c.Batch()
		b.PutFile("music", "new.mp3", FileEntry{Node: []byte(`{}`), Pending: PendingNew})
		b.PutFile("music", "changed.mp3", FileEntry{Node: []byte(`{}`), Pending: PendingChanged})
		b.PutFile("music", "settled.mp3", FileEntry{Node: []byte(`{}`)})
		b.PutDir("music", DirEntry{FP: []byte("fp"), Tree: []byte("tree"), Pending: true})
		b.PutDir("other", DirEntry{FP: []byte("fp"), Tree: []byte("tree")})
		if err := b.Commit(ctx); err != nil {
			t.Fatal(err)
		}
	}
	c, other := db.Vault("v"), db.Vault("v@elsewhere")
	put(c)
	put(other)
	check := func(c *Cache, settled bool) {
		t.Helper()
		files, err := c.Dir(ctx, "music")
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]Pending{"new.mp3": PendingNew, "changed.mp3": PendingChanged, "settled.mp3": Settled}
		for name, p := range want {
			if settled {
				p = Settled
			}
			if files[name].Pending != p {
				t.Errorf("%s %s: pending %d, want %d", c.vault, name, files[name].Pending, p)
			}
		}
		dirs, err := c.Dirs(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if dirs["music"].Pending != !settled || dirs["other"].Pending {
			t.Errorf("%s: dirs %+v", c.vault, dirs)
		}
	}
	check(c, false)
	if err := c.SettlePending(ctx); err != nil {
		t.Fatal(err)
	}
	check(c, true)
	check(other, false)
}
