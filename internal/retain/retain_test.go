package retain

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/tunesafe/tunesafe/internal/s3test"
	"github.com/tunesafe/tunesafe/internal/store"
	"github.com/tunesafe/tunesafe/internal/store/memstore"
	"github.com/tunesafe/tunesafe/internal/store/retry"
	"github.com/tunesafe/tunesafe/internal/vault"
)

func TestMain(m *testing.M) { s3test.Main(m) }

// TestRun follows a vault with a one-day lock through its passes, on every
// real server, with the pass's clock moved forward instead of waiting: a
// needed object near the end of its retention is extended to a day from
// the pass's now, an object no snapshot needs is not, a pass with the
// cache asks nothing about objects it knows to be fresh, and a pass without
// the cache asks the server.
func TestRun(t *testing.T) {
	for _, srv := range s3test.Servers(t) {
		t.Run(srv.Name, func(t *testing.T) {
			ctx := t.Context()
			f := newFixture(t, srv)
			r := f.retainer(t)
			start := time.Now()
			garbageUntil := map[string]time.Time{}
			for _, k := range f.garbage {
				_, garbageUntil[k] = f.retention(t, k)
			}

			// Fresh objects: every needed one is asked about once,
			// none is extended, and the cache learns their dates.
			res, err := Run(ctx, f.v, r, Options{Cache: f.cache})
			if err != nil || res.Needed != len(f.needed) || res.Checked != len(f.needed) || res.Extended != 0 || res.Cached != 0 || res.Failed != 0 || res.Missing != 0 {
				t.Fatalf("first pass: %+v, %v", res, err)
			}
			if !sameKeys(r.gets, f.needed) || len(r.puts) != 0 {
				t.Fatalf("first pass asked about %v and extended %v; want exactly %v", r.gets, r.puts, f.needed)
			}
			if res.RetainedUntil.Before(start.Add(day).Truncate(time.Second)) {
				t.Errorf("first pass: retained until %v, want a day after %v", res.RetainedUntil, start)
			}

			// 13 hours later less than half the day is left: every needed
			// object is extended to a day from then, once.
			later := start.Add(13 * time.Hour)
			want := wholeSecondAfter(later.Add(day).UTC())
			prog := &Progress{}
			r.reset()
			res, err = Run(ctx, f.v, r, Options{Cache: f.cache, Now: func() time.Time { return later }, Progress: prog})
			if err != nil || res.Checked != len(f.needed) || res.Extended != len(f.needed) || !res.ExtendedUntil.Equal(want) || !res.RetainedUntil.Equal(want) {
				t.Fatalf("pass near expiry: %+v, %v; want all %d extended until %v", res, err, len(f.needed), want)
			}
			if !sameKeys(r.puts, f.needed) || slices.ContainsFunc(f.needed, func(k string) bool { return r.puts[k] != 1 }) {
				t.Fatalf("pass near expiry extended %v, want each of %v once", r.puts, f.needed)
			}
			if prog.Extended.Load() != int64(len(f.needed)) || prog.Done.Load() != prog.Total.Load() || prog.Phase() != PhaseChecking {
				t.Errorf("progress: total %d, done %d, extended %d, phase %q", prog.Total.Load(), prog.Done.Load(), prog.Extended.Load(), prog.Phase())
			}
			for _, k := range f.needed {
				if mode, until := f.retention(t, k); mode != "GOVERNANCE" || !until.Equal(want) {
					t.Errorf("%s: retained %s until %v, want GOVERNANCE until %v", k, mode, until, want)
				}
			}
			for _, k := range f.garbage {
				if _, until := f.retention(t, k); !until.Equal(garbageUntil[k]) {
					t.Errorf("%s, which no snapshot needs, is retained until %v, was %v", k, until, garbageUntil[k])
				}
			}

			// Again at the same time: the cache knows every date, and not
			// one request is made.
			r.reset()
			res, err = Run(ctx, f.v, r, Options{Cache: f.cache, Now: func() time.Time { return later }})
			if gets, puts := r.total(); err != nil || gets != 0 || puts != 0 || res.Cached != len(f.needed) || res.Checked != 0 || !res.RetainedUntil.Equal(want) {
				t.Fatalf("pass with a fresh cache: %+v, %v; %d retention reads, %d extensions, want none", res, err, gets, puts)
			}

			// Without the cache (another computer), the server is asked
			// and says the objects are fresh.
			r.reset()
			res, err = Run(ctx, f.v, r, Options{Now: func() time.Time { return later }})
			if gets, puts := r.total(); err != nil || gets != len(f.needed) || puts != 0 || res.Extended != 0 || !res.RetainedUntil.Equal(want) {
				t.Fatalf("pass without a cache: %+v, %v; %d reads, %d extensions", res, err, gets, puts)
			}

			// A dry run near the new expiry counts and changes nothing.
			evenLater := later.Add(13 * time.Hour)
			r.reset()
			res, err = Run(ctx, f.v, r, Options{Cache: f.cache, Now: func() time.Time { return evenLater }, DryRun: true})
			if _, puts := r.total(); err != nil || puts != 0 || res.Extended != len(f.needed) || !res.DryRun {
				t.Fatalf("dry run: %+v, %v, %d extensions", res, err, puts)
			}
			if _, until := f.retention(t, f.needed[0]); !until.Equal(want) {
				t.Errorf("a dry run changed a retention to %v", until)
			}

			// --recheck asks about everything even with a fresh cache.
			r.reset()
			res, err = Run(ctx, f.v, r, Options{Cache: f.cache, Now: func() time.Time { return later }, Recheck: true})
			if gets, _ := r.total(); err != nil || gets != len(f.needed) || res.Cached != 0 {
				t.Fatalf("recheck: %+v, %v, %d reads", res, err, gets)
			}

			// A needed object hidden behind a delete marker is missing,
			// not a failure.
			hidden := f.needed[len(f.needed)-1]
			if err := f.chain.Delete(ctx, hidden); err != nil {
				t.Fatal(err)
			}
			res, err = Run(ctx, f.v, r, Options{Cache: f.cache, Now: func() time.Time { return later }, Recheck: true})
			if err != nil || res.Missing != 1 || !slices.Equal(res.MissingKeys, []string{hidden}) || res.Failed != 0 {
				t.Fatalf("pass with a hidden object: %+v, %v", res, err)
			}
		})
	}
}

// TestRunFailures: an object that fails is counted and its error returned,
// classified, while the others are still handled; a failure every object
// would share stops the pass.
func TestRunFailures(t *testing.T) {
	ctx := t.Context()
	f := newFixture(t, s3test.Servers(t)[0])
	r, _ := Find(f.chain)
	later := time.Now().Add(13 * time.Hour)

	broken := faulty{r, f.needed[2], store.Permanent(store.KindInvalid, errors.New("the server cannot say"))}
	res, err := Run(ctx, f.v, broken, Options{Cache: f.cache, Now: func() time.Time { return later }})
	if err == nil || store.KindOf(err) != store.KindInvalid || res.Failed != 1 || res.Failures[0].Key != f.needed[2] || res.Extended != len(f.needed)-1 {
		t.Fatalf("one failing object: %+v, %v", res, err)
	}
	// The failed object was not recorded: the next pass asks again.
	c := &counting{next: r, gets: map[string]int{}, puts: map[string]int{}}
	res, err = Run(ctx, f.v, c, Options{Cache: f.cache, Now: func() time.Time { return later }})
	if err != nil || !sameKeys(c.gets, f.needed[2:3]) || res.Extended != 1 {
		t.Fatalf("pass after a failure asked about %v: %+v, %v", c.gets, res, err)
	}

	// Objects are handled in key order: FORMAT.md comes first.
	denied := faulty{r, slices.Min(f.needed), store.Permanent(store.KindAccessDenied, errors.New("access denied"))}
	res, err = Run(ctx, f.v, denied, Options{Recheck: true, Workers: 1})
	if store.KindOf(err) != store.KindAccessDenied || res.Checked != 1 || res.Failed != 1 {
		t.Fatalf("access denied: %+v, %v; want the pass stopped at the first object", res, err)
	}

	// Transient failures are retried when the Retainer is wrapped.
	flaky := &flakyOnce{Retainer: r, fail: map[string]bool{}}
	res, err = Run(ctx, f.v, WithRetries(flaky, retry.Policy{Initial: time.Millisecond}.Do), Options{Recheck: true})
	if err != nil || res.Failed != 0 || flaky.failures() != len(f.needed) {
		t.Fatalf("flaky server: %+v, %v, %d failures injected", res, err, flaky.failures())
	}
}

// TestFind: the capability is found under decorators that unwrap, and
// stores without it have none.
func TestFind(t *testing.T) {
	if _, ok := Find(retry.Wrap(&memstore.Store{}, retry.Policy{})); ok {
		t.Error("found a Retainer under a memory store")
	}
	f := newFixture(t, s3test.Servers(t)[0])
	r, ok := Find(f.chain)
	if !ok {
		t.Fatal("no Retainer under retry over S3")
	}
	if _, err := Run(t.Context(), f.v, r, Options{Threshold: 2 * day}); err == nil {
		t.Error("a threshold longer than the period was accepted")
	}
	plain, err := vault.Init(t.Context(), &memstore.Store{}, vault.InitOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Run(t.Context(), plain, r, Options{}); !errors.Is(err, ErrNoPolicy) {
		t.Errorf("a vault without a policy: %v", err)
	}
}

func sameKeys(m map[string]int, keys []string) bool {
	if len(m) != len(keys) {
		return false
	}
	for _, k := range keys {
		if m[k] == 0 {
			return false
		}
	}
	return true
}
