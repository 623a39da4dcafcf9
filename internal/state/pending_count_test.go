package state

import (
	"path/filepath"
	"testing"
)

// PendingFiles counts the files a pass stored and no complete pass has
// settled, of one vault key, at and below the paths given, each once.
func TestPendingFiles(t *testing.T) {
	ctx := t.Context()
	db := openTest(t)
	sep := string(filepath.Separator)
	music := filepath.Join(sep+"home", "u", "Music")
	album := filepath.Join(music, "Album")
	sibling := music + " Extra"
	c, elsewhere := db.Vault("v"), db.Vault("v@elsewhere")
	b := c.Batch()
	b.PutFile(music, "new.mp3", FileEntry{Node: []byte(`{}`), Stat: Stat{Size: 10}, Pending: PendingNew})
	b.PutFile(album, "changed.mp3", FileEntry{Node: []byte(`{}`), Stat: Stat{Size: 200}, Pending: PendingChanged})
	b.PutFile(album, "settled.mp3", FileEntry{Node: []byte(`{}`), Stat: Stat{Size: 3000}})
	b.PutFile(sibling, "new.mp3", FileEntry{Node: []byte(`{}`), Stat: Stat{Size: 40000}, Pending: PendingNew})
	if err := b.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	b = elsewhere.Batch()
	b.PutFile(music, "other.mp3", FileEntry{Node: []byte(`{}`), Stat: Stat{Size: 500000}, Pending: PendingNew})
	if err := b.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		paths        []string
		files, bytes int64
	}{
		{nil, 3, 40210},
		{[]string{music}, 2, 210},
		{[]string{music, album}, 2, 210}, // nested: counted once
		{[]string{album}, 1, 200},
		{[]string{filepath.Join(music, "new.mp3")}, 1, 10},
		{[]string{sibling, album}, 2, 40200},
		{[]string{filepath.Join(sep+"home", "u", "Other")}, 0, 0},
	} {
		files, bytes, err := c.PendingFiles(ctx, tc.paths)
		if err != nil || files != tc.files || bytes != tc.bytes {
			t.Errorf("PendingFiles(%q) = %d, %d, %v; want %d, %d", tc.paths, files, bytes, err, tc.files, tc.bytes)
		}
	}
	if err := c.SettlePending(ctx, []string{music, sibling}); err != nil {
		t.Fatal(err)
	}
	if files, bytes, err := c.PendingFiles(ctx, nil); err != nil || files != 0 || bytes != 0 {
		t.Errorf("after SettlePending: %d, %d, %v; want none", files, bytes, err)
	}
}
