package repair_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/tunesafe/tunesafe/internal/auditlog"
	"github.com/tunesafe/tunesafe/internal/repair"
	"github.com/tunesafe/tunesafe/internal/store"
	"github.com/tunesafe/tunesafe/internal/store/memstore"
	"github.com/tunesafe/tunesafe/internal/vault"
)

// retireFixture is a vault in memory whose every write and delete is in a
// log, with damage markers to retire.
type retireFixture struct {
	t     *testing.T
	mem   *memstore.Store
	log   *auditlog.Log
	vault *vault.Vault
	t0    time.Time
	n     int
}

func newRetireFixture(t *testing.T) *retireFixture {
	t.Helper()
	mem := &memstore.Store{}
	l := auditlog.TestLog(t, mem)
	v, err := vault.Init(t.Context(), auditlog.Wrap(mem, l), vault.InitOptions{ScryptLogN: 10, Chunker: smallChunks})
	if err != nil {
		t.Fatal(err)
	}
	return &retireFixture{t: t, mem: mem, log: l, vault: v, t0: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
}

// mark writes a damage marker naming ids, each marker's key a minute
// after the last's.
func (f *retireFixture) mark(ids ...vault.ID) string {
	f.t.Helper()
	f.n++
	key, err := f.vault.MarkDamage(f.t.Context(), f.t0.Add(time.Duration(f.n)*time.Minute), "checker", ids)
	if err != nil {
		f.t.Fatal(err)
	}
	return key
}

// prune writes a prune's marker, after every marker written so far.
func (f *retireFixture) prune() string {
	f.t.Helper()
	f.n++
	key, err := f.vault.MarkPrune(f.t.Context(), vault.PruneRecord{Time: f.t0.Add(time.Duration(f.n) * time.Minute), Host: "pruner"})
	if err != nil {
		f.t.Fatal(err)
	}
	return key
}

func (f *retireFixture) markers() []vault.DamageMarker {
	f.t.Helper()
	m, err := f.vault.DamageMarkers(f.t.Context(), "")
	if err != nil {
		f.t.Fatal(err)
	}
	return m
}

// check is what a check found, by blob ID; an ID not in it the check
// neither knows nor finds.
type check map[vault.ID]repair.Checked

// retire runs repair.Retire on every marker with what the check found.
// An object found intact is written a second after the newest marker,
// unless its Written is set (relative to the newest marker: see at).
func (f *retireFixture) retire(v *vault.Vault, c check) ([]string, error) {
	f.t.Helper()
	markers := f.markers()
	newest := markers[len(markers)-1].Written
	ctx := auditlog.WithReason(f.t.Context(), repair.ReasonRetired, "test")
	return repair.Retire(ctx, v, markers, func(key string) (repair.Checked, bool) {
		id, _, ok := vault.ParseObjectKey(key)
		if !ok || key != vault.BlobKey(id) {
			return repair.Checked{}, false
		}
		r, ok := c[id]
		if r.Intact && r.Written.IsZero() {
			r.Written = newest.Add(time.Second)
		}
		return r, ok
	})
}

func (f *retireFixture) left() []string {
	f.t.Helper()
	var keys []string
	for _, m := range f.markers() {
		keys = append(keys, m.Key)
	}
	return keys
}

var (
	intact = repair.Checked{Intact: true}
	gone   = repair.Checked{Gone: true}
	bad    = repair.Checked{}
)

// A marker retires when every object it names is stored again and
// intact, and its DELETE is in the log: the audit finds it deleted, with
// the reason, not missing. One naming an object still damaged stays,
// whatever the other markers naming its objects do.
func TestRetireDeletesMarkersWhoseObjectsAreRepaired(t *testing.T) {
	f := newRetireFixture(t)
	a, b, c := vault.ID{1}, vault.ID{2}, vault.ID{3}
	both := f.mark(a, b)
	onlyA := f.mark(a)
	withC := f.mark(a, c)
	retired, err := f.retire(f.vault, check{a: intact, b: intact, c: bad})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{both, onlyA}; !slices.Equal(retired, want) {
		t.Fatalf("retired %v, want %v", retired, want)
	}
	if left := f.left(); !slices.Equal(left, []string{withC}) {
		t.Fatalf("markers left %v, want %v", left, []string{withC})
	}

	rep, err := auditlog.Audit(t.Context(), f.log, f.mem, auditlog.AuditOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// A retired marker is a routine delete, as a released lock is: no
	// finding at all. The log records it, with its reason.
	for _, fd := range rep.Findings {
		t.Errorf("audit: %s %s: %s", fd.Class, fd.Key, fd.Detail)
	}
	deleted := map[string]string{}
	for e, err := range f.log.Entries(t.Context()) {
		if err != nil {
			t.Fatal(err)
		}
		if d, ok := e.Record.(auditlog.Delete); ok {
			deleted[d.Key] = d.Reason
		}
	}
	for _, k := range retired {
		if deleted[k] != repair.ReasonRetired {
			t.Errorf("%s: the log records its DELETE with reason %q, want %q", k, deleted[k], repair.ReasonRetired)
		}
	}
}

// An object is stored again when the storage says it was written at or
// after the marker; one found intact but written before it was never
// stored again (the storage once served it wrong), and keeps its marker.
func TestRetireNeedsObjectsStoredAgain(t *testing.T) {
	f := newRetireFixture(t)
	a := vault.ID{1}
	f.mark(a)
	written := f.markers()[0].Written
	for _, tc := range []struct {
		name    string
		written time.Time
		retired bool
	}{
		{"written before the marker", written.Add(-time.Second), false},
		{"written at the marker's time", written, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			retired, err := f.retire(f.vault, check{a: {Intact: true, Written: tc.written}})
			if err != nil || (len(retired) == 1) != tc.retired {
				t.Fatalf("retired %v (%v), want retired: %v", retired, err, tc.retired)
			}
		})
	}
	// A storage that gives no times cannot tell: the marker stays.
	f.mark(a)
	markers := f.markers()
	markers[0].Written = time.Time{}
	ctx := auditlog.WithReason(t.Context(), repair.ReasonRetired, "test")
	retired, err := repair.Retire(ctx, f.vault, markers, func(key string) (repair.Checked, bool) {
		return repair.Checked{Intact: true, Written: time.Now()}, key == vault.BlobKey(a)
	})
	if err != nil || len(retired) != 0 {
		t.Fatalf("without the marker's time: retired %v (%v)", retired, err)
	}
}

// A marker naming an object gone as the log allows (a prune deleted it
// after its repair) retires only while a newer marker stays: a cache that
// has not read it then lists the vault again, and does not find the
// object. Of markers waiting for a newer one, the newest stays.
func TestRetireGoneObjectsNeedANewerMarker(t *testing.T) {
	f := newRetireFixture(t)
	a, b := vault.ID{1}, vault.ID{2}
	first := f.mark(a, b)
	second := f.mark(a)
	retired, err := f.retire(f.vault, check{a: gone, b: intact})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(retired, []string{first}) || !slices.Equal(f.left(), []string{second}) {
		t.Fatalf("retired %v, left %v: want the first retired, the newest waiting", retired, f.left())
	}
	if retired, err := f.retire(f.vault, check{a: gone}); err != nil || len(retired) != 0 {
		t.Fatalf("the newest marker naming a gone object retired alone: %v (%v)", retired, err)
	}
	// A prune's marker is newer, and stays: the last one retires.
	prune := f.prune()
	if retired, err := f.retire(f.vault, check{a: gone}); err != nil || !slices.Equal(retired, []string{second}) {
		t.Fatalf("after a prune: retired %v (%v), want %v", retired, err, second)
	}
	all, err := f.vault.PrunesAfter(t.Context(), "")
	if err != nil || !slices.Equal(all, []string{prune}) {
		t.Fatalf("markers left %v (%v), want the prune's %v", all, err, prune)
	}
	if err := f.vault.RetireDamageMarker(t.Context(), prune); err == nil {
		t.Fatal("a prune's marker was retired")
	}
}

// denyDeletes refuses every delete, as a bucket under Object Lock may.
type denyDeletes struct{ store.Store }

func (denyDeletes) Delete(context.Context, string) error {
	return store.Permanent(store.KindAccessDenied, errors.New("AccessDenied: object is WORM protected"))
}

// A marker the storage refuses to delete stays, and that is no error.
func TestRetireRefusedStays(t *testing.T) {
	f := newRetireFixture(t)
	f.mark(vault.ID{1})
	retired, err := f.retire(f.vault.WithStore(denyDeletes{f.vault.Store()}), check{{1}: intact})
	if err != nil || len(retired) != 0 || len(f.left()) != 1 {
		t.Fatalf("retired %v (%v), markers left %v: want it to stay without error", retired, err, f.left())
	}
}
