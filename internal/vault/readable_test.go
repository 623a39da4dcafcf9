package vault

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/tunesafe/tunesafe/internal/store"
	"github.com/tunesafe/tunesafe/internal/store/memstore"
)

// twoSnapshots stores an older and a newer snapshot of an empty tree.
func twoSnapshots(t *testing.T, v *Vault) (older, newer ID) {
	t.Helper()
	ctx := context.Background()
	tree, _ := v.EncodeTree(&Tree{})
	if _, err := v.PutTree(ctx, tree); err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	older, err := v.PutSnapshot(ctx, &Snapshot{Time: t0, Tree: tree.ID, Paths: []string{"/m"}})
	if err != nil {
		t.Fatal(err)
	}
	newer, err = v.PutSnapshot(ctx, &Snapshot{Time: t0.Add(time.Hour), Tree: tree.ID, Paths: []string{"/m"}})
	if err != nil {
		t.Fatal(err)
	}
	return older, newer
}

// damage flips a byte in the middle of a stored object.
func damage(t *testing.T, s *memstore.Store, key string) {
	t.Helper()
	ctx := context.Background()
	b, err := store.ReadAll(ctx, s, key)
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)/2] ^= 0x40
	if err := s.Put(ctx, key, b); err != nil {
		t.Fatal(err)
	}
}

// isDamage reports whether err is the damage of the snapshot id.
func isDamage(err error, id ID) bool {
	var ce *CorruptError
	return errors.As(err, &ce) && ce.Key == SnapshotKey(id)
}

// One damaged snapshot and one foreign object named like a snapshot are
// set aside by the reading commands' listing and by FindReadableSnapshot,
// which still find the intact snapshot; Snapshots, which prune and forget
// rely on, still fails.
func TestReadableSnapshotsSetDamageAside(t *testing.T) {
	for _, enc := range []bool{false, true} {
		ctx := context.Background()
		s, v := initVault(t, enc)
		older, newer := twoSnapshots(t, v)
		damage(t, s, SnapshotKey(older))
		// A snapshot of another vault, under a name that shares the
		// newer snapshot's first hex digits.
		_, other := initVault(t, enc)
		_, theirs := twoSnapshots(t, other)
		b, err := store.ReadAll(ctx, other.Store(), SnapshotKey(theirs))
		if err != nil {
			t.Fatal(err)
		}
		foreign := newer
		foreign[31] ^= 1
		if err := s.Put(ctx, SnapshotKey(foreign), b); err != nil {
			t.Fatal(err)
		}
		// A fresh open: nothing read before, as on another computer.
		v, err = Open(ctx, s, pass("pass phrase"))
		if err != nil {
			t.Fatal(err)
		}

		if _, err := v.Snapshots(ctx); !isDamage(err, older) && !isDamage(err, foreign) {
			t.Fatalf("encrypted=%v: Snapshots with a damaged snapshot: %v", enc, err)
		}
		refs, damaged, err := v.ReadableSnapshots(ctx)
		if err != nil || len(refs) != 1 || refs[0].ID != newer {
			t.Fatalf("encrypted=%v: ReadableSnapshots = %v, %v; want only %v", enc, refs, err, newer)
		}
		if len(damaged) != 2 {
			t.Fatalf("encrypted=%v: damaged = %v, want %v and %v", enc, damaged, older, foreign)
		}
		for _, d := range damaged {
			if (d.ID != older && d.ID != foreign) || !isDamage(d.Err, d.ID) {
				t.Errorf("encrypted=%v: damaged %v: %v", enc, d.ID, d.Err)
			}
		}

		for _, which := range []string{newer.String(), strings.ToUpper(newer.String()), newer.String()[:12], "latest", ""} {
			got, damaged, err := v.FindReadableSnapshot(ctx, which, Latest{})
			if err != nil || got.ID != newer {
				t.Errorf("encrypted=%v: FindReadableSnapshot(%q) = %v, %v; want %v", enc, which, got.ID, err, newer)
			}
			// Only a full ID is read alone, without listing.
			if full := len(which) == 64; full != (len(damaged) == 0) {
				t.Errorf("encrypted=%v: FindReadableSnapshot(%q) reports %d damaged", enc, which, len(damaged))
			}
			if got, err := v.FindSnapshot(ctx, which); err != nil || got.ID != newer {
				t.Errorf("encrypted=%v: FindSnapshot(%q) = %v, %v", enc, which, got.ID, err)
			}
		}
		// Asked for by name, the damaged snapshot fails with its damage.
		for _, which := range []string{older.String(), older.String()[:12]} {
			if _, _, err := v.FindReadableSnapshot(ctx, which, Latest{}); !isDamage(err, older) {
				t.Errorf("encrypted=%v: FindReadableSnapshot(%q) of the damaged snapshot: %v", enc, which, err)
			}
		}
		if _, _, err := v.FindReadableSnapshot(ctx, strings.Repeat("0", 64), Latest{}); !errors.Is(err, ErrNoSnapshot) {
			t.Errorf("encrypted=%v: unknown full ID: %v", enc, err)
		}

		// With every snapshot damaged, there is no latest to give.
		damage(t, s, SnapshotKey(newer))
		if _, damaged, err := v.FindReadableSnapshot(ctx, "latest", Latest{}); len(damaged) != 3 || !errors.As(err, new(*CorruptError)) {
			t.Errorf("encrypted=%v: latest of damaged snapshots: %v (%d damaged)", enc, err, len(damaged))
		}
	}
}

// What fails every read is no damage to one snapshot: the lenient listing
// returns it as its error.
func TestReadableSnapshotsReturnWholeFailures(t *testing.T) {
	ctx := context.Background()
	s, full := initVault(t, true)
	twoSnapshots(t, full)
	idKey := full.Keys().IDKey
	remembered := func(p func() (string, error)) *Vault {
		t.Helper()
		v, err := OpenWith(ctx, s, OpenOptions{Passphrase: p, RememberedIDKey: func(string) []byte { return idKey }})
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	check := func(what string, v *Vault, ctx context.Context, want func(error) bool) {
		t.Helper()
		refs, damaged, err := v.ReadableSnapshots(ctx)
		if !want(err) || len(refs)+len(damaged) != 0 {
			t.Errorf("%s: ReadableSnapshots = %d, %d damaged, %v", what, len(refs), len(damaged), err)
		}
		if _, damaged, err := v.FindReadableSnapshot(ctx, "latest", Latest{}); !want(err) || len(damaged) != 0 {
			t.Errorf("%s: FindReadableSnapshot = %d damaged, %v", what, len(damaged), err)
		}
	}
	is := func(target error) func(error) bool { return func(err error) bool { return errors.Is(err, target) } }

	check("no passphrase", remembered(nil), ctx, is(ErrNeedPassphrase))
	check("wrong passphrase", remembered(pass("not it")), ctx, is(ErrWrongPassphrase))
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	check("ctx cancelled", full, cancelled, is(context.Canceled))

	// A damaged key file: every snapshot would look damaged.
	for info, err := range s.List(ctx, KeysPrefix) {
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Put(ctx, info.Key, []byte("not an age file")); err != nil {
			t.Fatal(err)
		}
	}
	check("damaged key file", remembered(pass("pass phrase")), ctx, func(err error) bool {
		var ce *CorruptError
		return errors.As(err, &ce) && strings.HasPrefix(ce.Key, KeysPrefix)
	})
}
