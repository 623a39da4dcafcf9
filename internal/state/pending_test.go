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

// SettlePending marks the files and folders at and below the paths it is
// given, of one vault key and only those, as recorded by a complete pass.
func TestSettlePending(t *testing.T) {
	ctx := t.Context()
	db := openTest(t)
	sep := string(filepath.Separator)
	root := filepath.Join(sep+"home", "u")
	music := filepath.Join(root, "Music")
	album := filepath.Join(music, "Album")
	// Folders whose names start as Music's do, and a file beside it.
	sibling, other := music+" Extra", filepath.Join(root, "Other")
	dirs := []string{music, album, sibling, other}
	put := func(c *Cache) {
		t.Helper()
		b := c.Batch()
		for _, d := range dirs {
			b.PutFile(d, "new.mp3", FileEntry{Node: []byte(`{}`), Pending: PendingNew})
			b.PutFile(d, "changed.mp3", FileEntry{Node: []byte(`{}`), Pending: PendingChanged})
			b.PutFile(d, "settled.mp3", FileEntry{Node: []byte(`{}`)})
			b.PutDir(d, DirEntry{FP: []byte("fp"), Tree: []byte("tree"), Pending: true})
		}
		b.PutFile(root, "single.mp3", FileEntry{Node: []byte(`{}`), Pending: PendingNew})
		b.PutFile(root, "single.mp3.bak", FileEntry{Node: []byte(`{}`), Pending: PendingNew})
		if err := b.Commit(ctx); err != nil {
			t.Fatal(err)
		}
	}
	c, elsewhere := db.Vault("v"), db.Vault("v@elsewhere")
	put(c)
	put(elsewhere)
	check := func(c *Cache, settled map[string]bool) {
		t.Helper()
		cached, err := c.Dirs(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range dirs {
			files, err := c.Dir(ctx, d)
			if err != nil {
				t.Fatal(err)
			}
			want := map[string]Pending{"new.mp3": PendingNew, "changed.mp3": PendingChanged, "settled.mp3": Settled}
			for name, p := range want {
				if settled[d] {
					p = Settled
				}
				if files[name].Pending != p {
					t.Errorf("%s %s: pending %d, want %d", c.vault, filepath.Join(d, name), files[name].Pending, p)
				}
			}
			if cached[d].Pending == settled[d] {
				t.Errorf("%s: folder %s pending %v, want %v", c.vault, d, cached[d].Pending, !settled[d])
			}
		}
		files, err := c.Dir(ctx, root)
		if err != nil {
			t.Fatal(err)
		}
		for name, want := range map[string]Pending{"single.mp3": PendingNew, "single.mp3.bak": PendingNew} {
			if settled[filepath.Join(root, name)] {
				want = Settled
			}
			if files[name].Pending != want {
				t.Errorf("%s %s: pending %d, want %d", c.vault, name, files[name].Pending, want)
			}
		}
	}
	none := map[string]bool{}
	check(c, none)
	if err := c.SettlePending(ctx, []string{music, filepath.Join(root, "single.mp3")}); err != nil {
		t.Fatal(err)
	}
	check(c, map[string]bool{music: true, album: true, filepath.Join(root, "single.mp3"): true})
	check(elsewhere, none)
}
