package vault

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"
)

// hostSnapshots stores, an hour apart and oldest first, one snapshot of an
// empty tree for each host; a host ending in "*" gets a checkpoint.
func hostSnapshots(t *testing.T, v *Vault, hosts ...string) []ID {
	t.Helper()
	ctx := context.Background()
	tree, _ := v.EncodeTree(&Tree{})
	if _, err := v.PutTree(ctx, tree); err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var ids []ID
	for i, h := range hosts {
		host, partial := h, false
		if h[len(h)-1] == '*' {
			host, partial = h[:len(h)-1], true
		}
		id, err := v.PutSnapshot(ctx, &Snapshot{Time: t0.Add(time.Duration(i) * time.Hour), Host: host, Partial: partial, Tree: tree.ID, Paths: []string{"/m/" + host}})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	return ids
}

// "latest" of a host is that host's newest complete snapshot, else its
// newest checkpoint, however newer the other hosts' are; of any host, the
// newest overall.
func TestLatestOfHost(t *testing.T) {
	ctx := context.Background()
	_, v := initVault(t, false)
	ids := hostSnapshots(t, v, "laptop", "laptop*", "desktop", "studio*", "desktop*")
	for _, c := range []struct {
		latest Latest
		want   ID
	}{
		{Latest{Host: "laptop"}, ids[0]},
		{Latest{Host: "laptop", AnyIfNone: true}, ids[0]},
		{Latest{Host: "desktop"}, ids[2]},
		{Latest{Host: "studio"}, ids[3]}, // a checkpoint alone
		{Latest{}, ids[2]},
		{Latest{Host: "new", AnyIfNone: true}, ids[2]}, // none of its own
	} {
		for _, which := range []string{"latest", ""} {
			got, _, err := v.FindReadableSnapshot(ctx, which, c.latest)
			if err != nil || got.ID != c.want {
				t.Errorf("%+v: FindReadableSnapshot(%q) = %v (%v), %v; want %v", c.latest, which, got.ID, got.Snapshot, err, c.want)
			}
		}
	}
	// The fallback shows in the answer: a snapshot of another host.
	if got, _, _ := v.FindReadableSnapshot(ctx, "latest", Latest{Host: "new", AnyIfNone: true}); got.Host != "desktop" {
		t.Errorf("fallback answered a snapshot of %q, want desktop's", got.Host)
	}
	// An ID or prefix names a snapshot of any host.
	for _, which := range []string{ids[4].String(), ids[4].String()[:12]} {
		if got, _, err := v.FindReadableSnapshot(ctx, which, Latest{Host: "laptop"}); err != nil || got.ID != ids[4] {
			t.Errorf("FindReadableSnapshot(%q) with host laptop = %v, %v; want %v", which, got.ID, err, ids[4])
		}
	}
	// forget's FindSnapshot keeps "latest" of any host.
	if got, err := v.FindSnapshot(ctx, "latest"); err != nil || got.ID != ids[2] {
		t.Errorf("FindSnapshot(latest) = %v, %v; want %v", got.ID, err, ids[2])
	}
}

// "latest" of a host without snapshots is an ErrNoSnapshot that names the
// hosts the vault has snapshots of; one damaged snapshot makes it say that
// the host's may be that one.
func TestLatestOfUnknownHost(t *testing.T) {
	ctx := context.Background()
	s, v := initVault(t, false)
	ids := hostSnapshots(t, v, "laptop", "desktop", "laptop")
	_, _, err := v.FindReadableSnapshot(ctx, "latest", Latest{Host: "mini"})
	var nh *NoHostError
	if !errors.As(err, &nh) || !errors.Is(err, ErrNoSnapshot) || nh.Host != "mini" || !slices.Equal(nh.Hosts, []string{"desktop", "laptop"}) || nh.Damaged {
		t.Fatalf("latest of mini: %v (%+v)", err, nh)
	}
	if got := err.Error(); got != `the vault has no snapshot of host "mini"` {
		t.Errorf("message %q", got)
	}

	damage(t, s, SnapshotKey(ids[1]))
	v, err = Open(ctx, s, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, damaged, err := v.FindReadableSnapshot(ctx, "latest", Latest{Host: "desktop"})
	if !errors.As(err, &nh) || !nh.Damaged || !slices.Equal(nh.Hosts, []string{"laptop"}) || len(damaged) != 1 {
		t.Fatalf("latest of desktop, its snapshot damaged: %v (%+v), %d damaged", err, nh, len(damaged))
	}
	if got := err.Error(); got != `no snapshot of host "desktop" can be read` {
		t.Errorf("message %q", got)
	}
	// The fallback of a host without readable snapshots passes damage by
	// as "latest" of any host does.
	if got, damaged, err := v.FindReadableSnapshot(ctx, "latest", Latest{Host: "desktop", AnyIfNone: true}); err != nil || got.ID != ids[2] || len(damaged) != 1 {
		t.Fatalf("fallback = %v, %v, %d damaged; want %v", got.ID, err, len(damaged), ids[2])
	}
}
