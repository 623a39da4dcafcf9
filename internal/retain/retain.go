// Package retain keeps the objects a vault still needs under S3 Object
// Lock retention.
//
// A vault with an Object Lock policy ({"mode": "GOVERNANCE", "days": 30} in
// tunesafe.json) has every object written with a retention of that many
// days from its upload. Retention runs from the upload, not from the last
// use: a blob uploaded a year ago that today's snapshots still share has
// long lost its protection, and anyone holding the storage credentials
// could destroy it. The retention pass (Run) closes that gap. It finds every
// object the vault's snapshots need (needed.go: the snapshots and every tree
// and blob they reach, the config, the key files and the log) and extends
// the retention of each one that ends within Options.Threshold (half the
// period by default) to a full period from now. Objects no snapshot needs
// are never extended: prune deletes them once their retention has ended.
//
// The pass never shortens a retention and never changes its mode: an
// object keeps the mode it has (an object without retention gets the
// policy's), and its new date is always later than its old one. Nor does it
// send the governance bypass, so S3 would refuse anything else anyway.
//
// # Requests
//
// Each object costs a HEAD (Retainer.Retention) and, when it is extended, a
// PutObjectRetention. Options.Cache (the SQLite cache of package state)
// remembers the retain-until date of every object the pass saw or
// extended, so that a routine pass asks the server only about objects whose
// date is near, or that it has not seen before (new uploads, or a new
// computer, where the first pass asks about everything once). With the
// default threshold an object is extended about once every half period.
// Reading the snapshots and their trees, as prune does, is the rest of a
// pass's cost.
//
// A recorded date is what the server reported or accepted. Only someone
// allowed to bypass GOVERNANCE retention can shorten it behind the cache's
// back; Options.Recheck ignores the cache and asks about every object,
// which catches that. An object found retained for less than the cache
// recorded is reported (Result.Shortened: a sign that someone else holds
// credentials with that right) and extended again, whatever its date.
//
// # The log
//
// Extensions are not recorded in the vault's tamper-evident log (package
// auditlog): the log is of what was stored and what was removed, which an
// extension does not change; the provider reports every object's current
// retention itself; and a new kind of record would be a new version of
// the log format, which readers of the current one reject. A Retainer
// found with Find therefore works below the log.
//
// # Concurrency
//
// Run takes no lock of its own. The caller holds the vault's shared lock
// (package locks), as a backup does, so that no prune deletes what the
// pass has decided is needed; a forget meanwhile only makes the pass
// extend objects that have just stopped being needed, which prune then
// keeps until the new date.
package retain

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tunesafe/tunesafe/internal/store"
	"github.com/tunesafe/tunesafe/internal/vault"
)

// ErrNoPolicy is returned for a vault without an Object Lock policy.
var ErrNoPolicy = errors.New("the vault has no Object Lock policy")

// Cache remembers retention dates between passes. It is only a cache: a
// pass without one, or with an empty one, asks the server instead.
// state.Cache implements it.
type Cache interface {
	// Retentions returns every recorded date, by key.
	Retentions(ctx context.Context) (map[string]time.Time, error)
	// SetRetentions records dates, replacing earlier records.
	SetRetentions(ctx context.Context, until map[string]time.Time) error
	// ForgetRetentions drops the records of keys.
	ForgetRetentions(ctx context.Context, keys []string) error
}

// Options for Run.
type Options struct {
	// Threshold: an object retained for less than this from now is
	// extended. Zero means half the vault's period; it must be shorter
	// than the period.
	Threshold time.Duration
	// Cache remembers dates between passes; nil asks the server about
	// every object.
	Cache Cache
	// Recheck asks the server about every object, whatever the cache
	// says (the cache is still updated).
	Recheck bool
	// DryRun reads retentions but extends nothing.
	DryRun bool
	// Workers is how many objects are handled at once (default 8).
	Workers int
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Progress, if set, is updated as the pass goes.
	Progress *Progress
}

// Progress counts a pass's work while it runs. Any goroutine may read it.
type Progress struct {
	phase atomic.Value
	// Total is the number of needed objects, known once they are listed;
	// Done counts those decided so far.
	Total, Done atomic.Int64
	// Checked counts the objects whose retention was asked of the server.
	Checked  atomic.Int64
	Extended atomic.Int64
	Failed   atomic.Int64
	Missing  atomic.Int64
}

// Phases of a pass.
const (
	PhaseListing  = "listing"  // reading the snapshots and their trees
	PhaseChecking = "checking" // reading and extending retentions
)

// Phase returns the current phase, "" before the pass starts.
func (p *Progress) Phase() string {
	s, _ := p.phase.Load().(string)
	return s
}

// Result of a pass.
type Result struct {
	// Needed is the number of objects the vault needs.
	Needed int `json:"needed"`
	// Cached counts those the cache knows to be retained long enough: no
	// request was made for them.
	Cached int `json:"cached"`
	// Checked counts those whose retention was asked of the server.
	Checked int `json:"checked"`
	// Extended counts those whose retention was extended (that would be,
	// in a dry run) to ExtendedUntil.
	Extended      int       `json:"extended"`
	ExtendedUntil time.Time `json:"extended_until,omitzero"`
	// RetainedUntil is the earliest retain-until date among the needed
	// objects whose date is known after the pass; with no failures and
	// nothing missing, every needed object is retained at least until
	// then.
	RetainedUntil time.Time `json:"retained_until,omitzero"`
	// Missing counts needed objects that are not in the store (lost, or
	// hidden behind a delete marker); MissingKeys names the first few.
	// They are no failure of the pass: an audit tells what happened to
	// them, and repair uploads them again.
	Missing     int      `json:"missing"`
	MissingKeys []string `json:"missing_keys,omitempty"`
	// Shortened lists the needed objects found retained for less time
	// than this computer's cache recorded: only someone allowed to bypass
	// GOVERNANCE retention can do that. They are extended again (but not
	// in a dry run).
	Shortened []Shortening `json:"shortened,omitempty"`
	// Failed counts objects whose retention could not be read or
	// extended; Failures names the first few.
	Failed   int       `json:"failed"`
	Failures []Failure `json:"failures,omitempty"`
	DryRun   bool      `json:"dry_run"`
}

// Shortening is an object whose retention was cut short.
type Shortening struct {
	Key      string    `json:"key"`
	Recorded time.Time `json:"recorded"` // what the cache recorded
	Found    time.Time `json:"found"`    // what the server reported
}

// Failure is one object the pass could not handle.
type Failure struct {
	Key string `json:"key"`
	Err string `json:"error"`
}

// maxListed bounds Result.MissingKeys and Result.Failures.
const maxListed = 20

// flushEvery is how many new dates the pass collects before writing them
// to the cache, so that an interrupted pass keeps most of its work.
const flushEvery = 1000

// Run extends the retention of every object the vault needs that ends
// within the threshold, through r. It returns an error, with the result so
// far, when the needed objects cannot be listed, when an object fails (the
// error of the first one, wrapped, so that its class and kind show), or
// when a failure that every other object would share (credentials, access,
// a missing bucket, an unreachable server) stops the pass early.
func Run(ctx context.Context, v *vault.Vault, r Retainer, o Options) (*Result, error) {
	l := v.Config().ObjectLock
	if l == nil {
		return nil, ErrNoPolicy
	}
	period := time.Duration(l.Days) * 24 * time.Hour
	if o.Threshold == 0 {
		o.Threshold = period / 2
	}
	if o.Threshold < 0 || o.Threshold >= period {
		return nil, fmt.Errorf("retain: threshold %v, want more than 0 and less than the period %v", o.Threshold, period)
	}
	if o.Workers <= 0 {
		o.Workers = 8
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Progress == nil {
		o.Progress = &Progress{}
	}
	now := o.Now().UTC()
	p := &pass{
		r: r, o: o, policyMode: l.Mode, now: now,
		target:  wholeSecondAfter(now.Add(period)),
		res:     &Result{DryRun: o.DryRun},
		pending: map[string]time.Time{},
	}

	o.Progress.phase.Store(PhaseListing)
	keys, err := needed(ctx, v)
	if err != nil {
		return nil, fmt.Errorf("cannot tell which objects the snapshots need: %w", err)
	}
	p.res.Needed = len(keys)
	o.Progress.Total.Store(int64(len(keys)))
	known, err := p.known(ctx)
	if err != nil {
		return nil, err
	}
	p.recorded = known

	o.Progress.phase.Store(PhaseChecking)
	var todo []string
	for _, k := range keys {
		if u, ok := known[k]; ok && !o.Recheck && u.Sub(now) >= o.Threshold {
			p.res.Cached++
			p.earliest(u)
			o.Progress.Done.Add(1)
			continue
		}
		todo = append(todo, k)
	}
	p.run(ctx, todo)

	err = p.finish(ctx)
	slices.SortFunc(p.res.Shortened, func(a, b Shortening) int { return strings.Compare(a.Key, b.Key) })
	return p.res, err
}

// known returns the dates in the cache, after dropping those that have
// passed: they help neither a pass nor prune, and the objects they belong
// to, if still needed, are asked about and recorded again.
func (p *pass) known(ctx context.Context) (map[string]time.Time, error) {
	if p.o.Cache == nil {
		return nil, nil
	}
	known, err := p.o.Cache.Retentions(ctx)
	if err != nil {
		return nil, fmt.Errorf("read the retention dates in the cache: %w", err)
	}
	var expired []string
	for k, u := range known {
		if u.Before(p.now) {
			expired = append(expired, k)
			delete(known, k)
		}
	}
	if err := p.o.Cache.ForgetRetentions(ctx, expired); err != nil {
		return nil, fmt.Errorf("forget expired retention dates in the cache: %w", err)
	}
	return known, nil
}

// wholeSecondAfter rounds t up to a whole second: S3 retention dates have
// no fractions, and rounding down could make an extension a shortening.
func wholeSecondAfter(t time.Time) time.Time {
	if r := t.Truncate(time.Second); !r.Equal(t) {
		return r.Add(time.Second)
	}
	return t
}

// pass is the state of one Run.
type pass struct {
	r          Retainer
	o          Options
	policyMode string
	now        time.Time
	target     time.Time
	recorded   map[string]time.Time // the cache's dates; only read

	mu      sync.Mutex
	res     *Result
	pending map[string]time.Time // dates not yet written to the cache
	first   error                // of the first failed object
	stop    error                // the failure that stopped the pass
	cacheEr error
}

// run handles the keys with o.Workers workers, until done or stopped.
func (p *pass) run(ctx context.Context, keys []string) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	jobs := make(chan string)
	var wg sync.WaitGroup
	for range p.o.Workers {
		wg.Go(func() {
			for key := range jobs {
				if ctx.Err() != nil {
					continue
				}
				if err := p.one(ctx, key); err != nil && stops(err) {
					p.mu.Lock()
					if p.stop == nil {
						p.stop = err
					}
					p.mu.Unlock()
					cancel()
				}
			}
		})
	}
	for _, k := range keys {
		jobs <- k
	}
	close(jobs)
	wg.Wait()
}

// stops reports whether a failure would be the same for every object, so
// that going on would only repeat it.
func stops(err error) bool {
	switch store.KindOf(err) {
	case store.KindCredentials, store.KindAccessDenied, store.KindNoBucket, store.KindUnreachable:
		return true
	}
	return false
}

// one reads the retention of key and extends it when it ends too soon. It
// returns the object's failure, after counting it.
func (p *pass) one(ctx context.Context, key string) error {
	prog := p.o.Progress
	mode, until, err := p.r.Retention(ctx, key)
	if ctx.Err() != nil {
		return nil // stopped: neither checked nor failed
	}
	prog.Checked.Add(1)
	p.mu.Lock()
	p.res.Checked++
	p.mu.Unlock()
	switch {
	case errors.Is(err, fs.ErrNotExist):
		prog.Missing.Add(1)
		prog.Done.Add(1)
		p.mu.Lock()
		defer p.mu.Unlock()
		p.res.Missing++
		if len(p.res.MissingKeys) < maxListed {
			p.res.MissingKeys = append(p.res.MissingKeys, key)
		}
		return nil
	case err != nil:
		return p.failed(key, err)
	}
	shortened := false
	if rec, ok := p.recorded[key]; ok && until.Before(rec) {
		shortened = true
		p.mu.Lock()
		p.res.Shortened = append(p.res.Shortened, Shortening{Key: key, Recorded: rec, Found: until})
		p.mu.Unlock()
	}
	if !shortened && until.Sub(p.now) >= p.o.Threshold {
		p.record(ctx, key, until)
		prog.Done.Add(1)
		return nil
	}
	if mode == "" {
		mode = p.policyMode
	}
	if !p.o.DryRun {
		err := p.r.ExtendRetention(ctx, key, mode, p.target)
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			return p.failed(key, err)
		}
		p.record(ctx, key, p.target)
	}
	prog.Extended.Add(1)
	prog.Done.Add(1)
	p.mu.Lock()
	p.res.Extended++
	p.res.ExtendedUntil = p.target
	if p.o.DryRun {
		p.earliestLocked(p.target)
	}
	p.mu.Unlock()
	return nil
}

// failed counts a failed object and returns its error.
func (p *pass) failed(key string, err error) error {
	p.o.Progress.Failed.Add(1)
	p.o.Progress.Done.Add(1)
	p.mu.Lock()
	defer p.mu.Unlock()
	p.res.Failed++
	if len(p.res.Failures) < maxListed {
		p.res.Failures = append(p.res.Failures, Failure{Key: key, Err: err.Error()})
	}
	if p.first == nil {
		p.first = err
	}
	return err
}

// record notes the date of key for the cache and the result, writing the
// dates to the cache every flushEvery.
func (p *pass) record(ctx context.Context, key string, until time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.earliestLocked(until)
	if p.o.Cache == nil {
		return
	}
	p.pending[key] = until
	if len(p.pending) >= flushEvery {
		p.flushLocked(ctx)
	}
}

func (p *pass) earliest(u time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.earliestLocked(u)
}

func (p *pass) earliestLocked(u time.Time) {
	if p.res.RetainedUntil.IsZero() || u.Before(p.res.RetainedUntil) {
		p.res.RetainedUntil = u
	}
}

// flushLocked writes the pending dates to the cache. A pass that is
// stopped still records what it learned.
func (p *pass) flushLocked(ctx context.Context) {
	if len(p.pending) == 0 || p.cacheEr != nil {
		return
	}
	if err := p.o.Cache.SetRetentions(context.WithoutCancel(ctx), p.pending); err != nil {
		p.cacheEr = fmt.Errorf("record retention dates in the cache: %w", err)
		return
	}
	clear(p.pending)
}

// finish writes the last dates to the cache and returns the pass's error.
func (p *pass) finish(ctx context.Context) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.o.Cache != nil {
		p.flushLocked(ctx)
	}
	switch {
	case p.stop != nil:
		return fmt.Errorf("extend Object Lock retention: stopped after %d of %d objects: %w", p.res.Checked, p.res.Needed, p.stop)
	case p.first != nil:
		return fmt.Errorf("extend Object Lock retention: %d of %d objects failed, the first: %w", p.res.Failed, p.res.Needed, p.first)
	case ctx.Err() != nil:
		return fmt.Errorf("extend Object Lock retention: %w", ctx.Err())
	}
	return p.cacheEr
}
