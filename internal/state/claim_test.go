package state

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func openTest(t *testing.T) *DB {
	t.Helper()
	db, err := Open(filepath.Join(t.TempDir(), "cache.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// fill writes a row of vault c in every table.
func fill(t *testing.T, c *Cache) {
	t.Helper()
	ctx := t.Context()
	b := c.Batch()
	b.PutFile("music", "a.mp3", FileEntry{Stat: Stat{Size: 1, MTime: 2}, Node: []byte(`{}`)})
	b.PutDir("music", DirEntry{FP: []byte("fp"), Tree: []byte("tree")})
	b.AddObject([]byte("blob"))
	if err := b.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if err := c.SetMeta(ctx, "k", "v"); err != nil {
		t.Fatal(err)
	}
	if err := c.SetRetentions(ctx, map[string]time.Time{"blobs/ab/ab12": time.Unix(1e9, 0)}); err != nil {
		t.Fatal(err)
	}
	if err := c.PutCopy(ctx, "trees/ab/ab12", []byte(`{"nodes":[]}`)); err != nil {
		t.Fatal(err)
	}
}

// rowsOf counts the rows of vault key in each table.
func rowsOf(t *testing.T, db *DB, key string) map[string]int {
	t.Helper()
	out := map[string]int{}
	for _, tb := range vaultTables {
		var n int
		if err := db.db.QueryRowContext(t.Context(), `SELECT count(*) FROM `+tb+` WHERE vault=?`, key).Scan(&n); err != nil {
			t.Fatal(err)
		}
		out[tb] = n
	}
	return out
}

// TestVaultTablesCoverSchema: every table of the database has a vault
// column and is in vaultTables, which Claim and Reset go through.
func TestVaultTablesCoverSchema(t *testing.T) {
	db := openTest(t)
	rows, err := db.db.QueryContext(t.Context(), `SELECT name FROM sqlite_master WHERE type='table' ORDER BY name`)
	if err != nil {
		t.Fatal(err)
	}
	var tables []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			t.Fatal(err)
		}
		tables = append(tables, name)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	rows.Close()
	for _, tb := range tables {
		var n int
		if err := db.db.QueryRowContext(t.Context(), `SELECT count(*) FROM pragma_table_info(?) WHERE name='vault'`, tb).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 1 {
			t.Errorf("table %s has no vault column", tb)
		}
	}
	want := slices.Sorted(slices.Values(vaultTables))
	if !slices.Equal(tables, want) {
		t.Fatalf("tables %q, vaultTables %q", tables, want)
	}
}

func TestClaim(t *testing.T) {
	ctx := t.Context()
	db := openTest(t)
	fill(t, db.Vault("id"))
	fill(t, db.Vault("other"))

	claimed, err := db.Claim(ctx, "id", "id@1")
	if err != nil || !claimed {
		t.Fatalf("first claim: %v %v", claimed, err)
	}
	for tb, n := range rowsOf(t, db, "id@1") {
		if n != 1 {
			t.Errorf("claimed %d rows of %s, want 1", n, tb)
		}
	}
	for tb, n := range rowsOf(t, db, "id") {
		if n != 0 {
			t.Errorf("%d rows of %s left under the old key", n, tb)
		}
	}
	for tb, n := range rowsOf(t, db, "other") {
		if n != 1 {
			t.Errorf("another vault's %s: %d rows, want 1", tb, n)
		}
	}
	c := db.Vault("id@1")
	if has, err := c.HasObject(ctx, []byte("blob")); !has || err != nil {
		t.Fatalf("claimed object: %v %v", has, err)
	}
	if v, _ := c.Meta(ctx, "k"); v != "v" {
		t.Fatalf("claimed meta: %q", v)
	}

	// Nothing left to claim: a second location starts empty.
	if claimed, err := db.Claim(ctx, "id", "id@2"); claimed || err != nil {
		t.Fatalf("claim of nothing: %v %v", claimed, err)
	}
	// A key with state of its own never takes another's.
	fill(t, db.Vault("id"))
	if err := db.Vault("id@2").SetMeta(ctx, "mine", "1"); err != nil {
		t.Fatal(err)
	}
	if claimed, err := db.Claim(ctx, "id", "id@2"); claimed || err != nil {
		t.Fatalf("claim by a key with state: %v %v", claimed, err)
	}
	if has, _ := db.Vault("id@2").HasObject(ctx, []byte("blob")); has {
		t.Fatal("a key with state took the old rows")
	}
	if n := rowsOf(t, db, "id")["objects"]; n != 1 {
		t.Fatalf("the old rows moved: %d objects left", n)
	}
}

// TestClaimOnce: of locations claiming the same state at once, one gets
// all of it and the others none.
func TestClaimOnce(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "cache.db")
	db, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	fill(t, db.Vault("id"))
	// Separate databases, as separate processes have.
	const n = 4
	results := make(chan string, n)
	for i := range n {
		go func() {
			other, err := Open(path)
			if err != nil {
				results <- "error: " + err.Error()
				return
			}
			defer other.Close()
			to := "id@" + string(rune('a'+i))
			claimed, err := other.Claim(context.Background(), "id", to)
			switch {
			case err != nil:
				results <- "error: " + err.Error()
			case claimed:
				results <- to
			default:
				results <- ""
			}
		}()
	}
	var winners []string
	for range n {
		r := <-results
		if strings.HasPrefix(r, "error:") {
			t.Fatal(r)
		}
		if r != "" {
			winners = append(winners, r)
		}
	}
	if len(winners) != 1 {
		t.Fatalf("claimed by %q, want exactly one", winners)
	}
	for tb, c := range rowsOf(t, db, winners[0]) {
		if c != 1 {
			t.Errorf("the winner has %d rows of %s", c, tb)
		}
	}
}
