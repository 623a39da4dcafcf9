package vault

import (
	"context"
	"slices"
	"testing"
	"time"
)

// Damage markers sort among prune markers by time, and Damaged reads only
// those after the marker a cache last saw.
func TestDamaged(t *testing.T) {
	ctx := context.Background()
	_, v := initVault(t, true)
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	a, b, c := ID{1}, ID{2}, ID{3}
	if ids, err := v.Damaged(ctx, ""); err != nil || len(ids) != 0 {
		t.Fatalf("no markers: %v %v", ids, err)
	}
	first, err := v.MarkDamage(ctx, t0, "h1", []ID{a, b})
	if err != nil {
		t.Fatal(err)
	}
	prune, err := v.MarkPrune(ctx, PruneRecord{Time: t0.Add(time.Minute), Host: "h2", Deleted: 3})
	if err != nil {
		t.Fatal(err)
	}
	last, err := v.MarkDamage(ctx, t0.Add(2*time.Minute), "h1", []ID{c})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := v.LastPrune(ctx); err != nil || got != last {
		t.Fatalf("newest marker %q (%v), want the last damage marker %q", got, err, last)
	}
	for _, tc := range []struct {
		after string
		want  []ID
	}{
		{"", []ID{a, b, c}},
		{first, []ID{c}},
		{prune, []ID{c}},
		{last, nil},
	} {
		got, err := v.Damaged(ctx, tc.after)
		if err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("after %q: %v (%v), want %v", tc.after, got, err, tc.want)
		}
	}
}

// DamageMarkers reads each damage marker whole, with the storage's time
// for it; a retired one is no longer read, and a prune's marker cannot be
// retired.
func TestRetireDamageMarker(t *testing.T) {
	ctx := context.Background()
	_, v := initVault(t, true)
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	first, err := v.MarkDamage(ctx, t0, "h1", []ID{{1}, {2}})
	if err != nil {
		t.Fatal(err)
	}
	prune, err := v.MarkPrune(ctx, PruneRecord{Time: t0.Add(time.Minute), Host: "h2"})
	if err != nil {
		t.Fatal(err)
	}
	last, err := v.MarkDamage(ctx, t0.Add(2*time.Minute), "h1", []ID{{3}})
	if err != nil {
		t.Fatal(err)
	}
	markers, err := v.DamageMarkers(ctx, "")
	if err != nil || len(markers) != 2 {
		t.Fatalf("markers %+v (%v), want 2", markers, err)
	}
	if m := markers[0]; m.Key != first || m.Written.IsZero() || !slices.Equal(m.Damaged, []ID{{1}, {2}}) {
		t.Errorf("first marker %+v", m)
	}
	if err := v.RetireDamageMarker(ctx, prune); err == nil {
		t.Error("a prune's marker was retired")
	}
	if err := v.RetireDamageMarker(ctx, first); err != nil {
		t.Fatal(err)
	}
	if ids, err := v.Damaged(ctx, ""); err != nil || !slices.Equal(ids, []ID{{3}}) {
		t.Fatalf("after retiring the first marker: %v (%v), want only the last's", ids, err)
	}
	if keys, err := v.PrunesAfter(ctx, ""); err != nil || !slices.Equal(keys, []string{prune, last}) {
		t.Fatalf("markers left %v (%v)", keys, err)
	}
}
