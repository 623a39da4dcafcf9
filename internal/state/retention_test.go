package state

import (
	"path/filepath"
	"testing"
	"time"
)

// Retention dates are kept per vault, to the second, replaced by later
// records, dropped by ForgetRetentions and by Reset, and survive reopening.
func TestRetentions(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "cache.db")
	db, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	a, b := db.Vault("a"), db.Vault("b")
	t0 := time.Date(2026, 5, 1, 12, 0, 0, 500, time.FixedZone("x", 3600))
	if err := a.SetRetentions(ctx, map[string]time.Time{"blobs/aa/1": t0, "trees/bb/2": t0.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if err := b.SetRetentions(ctx, map[string]time.Time{"blobs/aa/1": t0.Add(-time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if err := a.SetRetentions(ctx, map[string]time.Time{"trees/bb/2": t0.Add(2 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	db.Close()

	db, err = Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	a, b = db.Vault("a"), db.Vault("b")
	got, err := a.Retentions(ctx)
	want := map[string]time.Time{"blobs/aa/1": t0.Truncate(time.Second).UTC(), "trees/bb/2": t0.Add(2 * time.Hour).Truncate(time.Second).UTC()}
	if err != nil || len(got) != len(want) {
		t.Fatalf("Retentions = %v, %v; want %v", got, err, want)
	}
	for k, w := range want {
		if !got[k].Equal(w) || got[k].Location() != time.UTC {
			t.Errorf("%s: %v, want %v", k, got[k], w)
		}
	}
	if err := a.ForgetRetentions(ctx, []string{"blobs/aa/1", "blobs/never"}); err != nil {
		t.Fatal(err)
	}
	if got, _ := a.Retentions(ctx); len(got) != 1 {
		t.Errorf("after ForgetRetentions: %v", got)
	}
	if got, _ := b.Retentions(ctx); len(got) != 1 || !got["blobs/aa/1"].Equal(t0.Add(-time.Hour).Truncate(time.Second)) {
		t.Errorf("the other vault's dates: %v", got)
	}
	if err := a.Reset(ctx); err != nil {
		t.Fatal(err)
	}
	if got, _ := a.Retentions(ctx); len(got) != 0 {
		t.Errorf("after Reset: %v", got)
	}
}
