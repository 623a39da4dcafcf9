package vault

import (
	"errors"
	"testing"
)

// A prefix two snapshots share is refused with both named; a longer one
// picks its snapshot.
func TestSnapshotByPrefixAmbiguous(t *testing.T) {
	var a, b, c ID
	a[0], a[1] = 0xab, 0x01
	b[0], b[1] = 0xab, 0x02
	c[0] = 0xcd
	all := []SnapshotRef{{ID: a, Snapshot: &Snapshot{}}, {ID: b, Snapshot: &Snapshot{}}, {ID: c, Snapshot: &Snapshot{}}}
	_, err := snapshotByPrefix(all, nil, "AB")
	var amb *AmbiguousError
	if !errors.As(err, &amb) || amb.Prefix != "AB" || len(amb.Matches) != 2 || amb.Matches[0].ID != a || amb.Matches[1].ID != b {
		t.Fatalf("prefix ab: %v (%+v)", err, amb)
	}
	if ref, err := snapshotByPrefix(all, nil, "ab02"); err != nil || ref.ID != b {
		t.Fatalf("prefix ab02: %v, %v", ref.ID, err)
	}
	if _, err := snapshotByPrefix(all, nil, "ef"); !errors.Is(err, ErrNoSnapshot) {
		t.Fatalf("prefix ef: %v", err)
	}
}
