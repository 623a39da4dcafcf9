package auditlog

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"iter"
	"math"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/tunesafe/tunesafe/internal/locks"
	"github.com/tunesafe/tunesafe/internal/store"
)

// AuditOptions choose how much of the vault's content an audit reads.
// Without Deep or Sample an audit reads no object: it compares the
// listing's sizes, and the provider's SHA-256 when the listing has one.
type AuditOptions struct {
	// Deep downloads and hashes every object the log describes, and
	// reads the log itself from the vault: every entries object is
	// downloaded (Log.FreshEntries), none taken from the local copy. A
	// quick or sampled audit checks the entries objects by the listing,
	// when the log is opened or flushed.
	Deep bool
	// Sample, in (0, 1], downloads and hashes a rotating share of the
	// objects: with B = floor(1/Sample) hash buckets, run r checks the keys
	// whose bucket is r mod B, and r advances after each sampled audit
	// (the counter lives in the state directory), so B runs cover every
	// object once. Ignored when Deep is set.
	Sample float64
	// Hash, if not nil, names further objects to download and hash
	// whatever the mode: those a check on another computer found
	// corrupted (a damage marker), which a quick audit, comparing sizes
	// and the provider's checksums, may not see. What the audit found of
	// each is in Report.Rechecked.
	Hash func(key string) bool
	// Checksums asks the store for the SHA-256 of every listed object
	// whose listing carries none (S3 listings do not), one Stat each, so
	// that a quick audit compares content checksums without downloading.
	Checksums bool
	// Workers is how many objects are checked at once: Stats and
	// downloads are round trips, and a provider far away answers each
	// after tens of milliseconds. Default 8.
	Workers int
	// Progress, if set, is called as the audit advances, from any
	// goroutine but never concurrently.
	Progress func(AuditProgress)
	// Unpublished appends the Verify record without publishing it: the
	// caller's next Flush (or Close) does, with the records that follow,
	// such as the release of the lock the caller took for the audit, in
	// one entries object and one checkpoint instead of two of each.
	// Report.Recorded is then left false, for the caller to set.
	Unpublished bool
}

// AuditProgress says how far an audit has come.
type AuditProgress struct {
	// Records is the number of log records replayed so far.
	Records int64
	// Objects of TotalObjects have been checked. TotalObjects is what the
	// log expects the vault to hold, known once the replay is done; an
	// object the log does not know adds to both.
	Objects, TotalObjects int64
	// Bytes of TotalBytes have been downloaded and hashed (deep and
	// sampled audits).
	Bytes, TotalBytes int64
}

// Audit replays the log into the state every key should be in and
// compares it with the store s, classifying every difference (see Class).
// It flushes pending records first, and afterwards appends and flushes a
// Verify record with the results (unless the log is read-only). Run it
// while no engine writes to the vault.
//
// A tampered log (an entry that does not match the signed tree) ends the
// replay: the report then holds a Tampered finding and Complete is false,
// since nothing else can be trusted. A log that fails to open does not get
// this far: Open returns the *TamperError.
func Audit(ctx context.Context, l *Log, s store.Store, opts AuditOptions) (Report, error) {
	if opts.Sample < 0 || opts.Sample > 1 || math.IsNaN(opts.Sample) {
		return Report{}, fmt.Errorf("auditlog: sample fraction %v not in [0, 1]", opts.Sample)
	}
	if !l.ReadOnly() {
		if err := l.Flush(ctx); err != nil {
			return Report{}, err
		}
	}
	rep := Report{Vault: s.String(), Mode: "quick", Time: l.now().UTC(), Checkpoint: l.CurrentCheckpoint(), Complete: true}
	if d := l.Damage(); d != nil {
		// What follows rests on the records this computer verified,
		// not on the vault's log: no verdict is complete.
		rep.Complete, rep.LogDamage = false, d.Error()
		rep.add(Finding{Class: Tampered, Key: d.Object, Record: d.Index, Detail: d.Error()})
	}
	buckets, bucket := uint64(0), uint64(0)
	var ast auditState
	switch {
	case opts.Deep:
		rep.Mode, buckets = "deep", 1
	case opts.Sample > 0:
		var err error
		if ast, err = loadAuditState(l.dir); err != nil {
			return Report{}, fmt.Errorf("auditlog: %w", err)
		}
		buckets = uint64(math.Floor(1 / opts.Sample))
		bucket = ast.SampleRun % buckets
		rep.Mode = "sample"
		rep.Sample = &SampleInfo{Buckets: buckets, Bucket: bucket}
	}

	keys, err := replay(ctx, l, &rep, opts.Deep, opts.Progress)
	if err != nil {
		return Report{}, err
	}
	if keys != nil {
		c := &comparison{s: s, keys: keys, rep: &rep, opts: opts, partial: rep.LogDamage != "", download: func(key string) bool {
			if opts.Hash != nil && opts.Hash(key) {
				return true
			}
			return buckets > 0 && keyBucket(key, buckets) == bucket
		}}
		if err := c.run(ctx); err != nil {
			return Report{}, err
		}
	}
	rep.sort()

	if l.ReadOnly() {
		return rep, nil
	}
	v := Verify{Mode: rep.Mode, Objects: rep.Objects, Bytes: rep.Bytes, Failures: rep.Failures()}
	if err := l.Append(v); err != nil {
		return rep, err
	}
	if !opts.Unpublished {
		if err := l.Flush(ctx); err != nil {
			return rep, err
		}
		rep.Recorded = true
	}
	if rep.Mode == "sample" {
		ast.SampleRun++
		if err := saveAuditState(l.dir, ast); err != nil {
			return rep, fmt.Errorf("auditlog: %w", err)
		}
	}
	return rep, nil
}

// KeysPrefix is where a vault keeps its key files (docs/FORMAT.md,
// "Encryption and keys"). Each opens the vault with its passphrase, so an
// audit reports one the log does not know as Tampered, not Foreign.
const KeysPrefix = "keys/"

// keyBucket spreads keys over n buckets by their SHA-256.
func keyBucket(key string, n uint64) uint64 {
	h := sha256.Sum256([]byte(key))
	return binary.BigEndian.Uint64(h[:8]) % n
}

// content is one acceptable state of an object.
type content struct {
	size int64
	sum  [32]byte
}

// keyState is what the log says about one key: the contents it may have
// and whether it may be absent. A confirmed Put or Delete decides the
// state; a failed one (which may or may not have taken effect) widens it.
type keyState struct {
	absentOK bool
	want     []content
	put      *Entry // the last Put
	del      *Entry // the last Delete
}

func (k *keyState) apply(e Entry) {
	switch r := e.Record.(type) {
	case Put:
		c := content{r.Size, r.SHA256}
		if r.Outcome == OutcomeOK {
			k.absentOK, k.want = false, []content{c}
		} else if !slices.Contains(k.want, c) {
			k.want = append(k.want, c)
		}
		k.put = &e
	case Delete:
		k.absentOK = true
		if r.Outcome == OutcomeOK {
			k.want = nil
		}
		k.del = &e
	}
}

// replay reads the log into the expected state of every key; fresh reads
// every entries object from the vault.
func replay(ctx context.Context, l *Log, rep *Report, fresh bool, progress func(AuditProgress)) (map[string]*keyState, error) {
	keys := map[string]*keyState{}
	for e, err := range l.entries(ctx, fresh) {
		if progress != nil && rep.Records%4096 == 0 {
			progress(AuditProgress{Records: rep.Records})
		}
		if err != nil {
			var t *TamperError
			if !errors.As(err, &t) {
				return nil, err
			}
			rep.Complete = false
			rep.add(Finding{Class: Tampered, Key: t.Object, Record: t.Index, Detail: t.Error()})
			return nil, nil
		}
		rep.Records++
		key, ok := recordKey(e.Record)
		if !ok {
			continue
		}
		k := keys[key]
		if k == nil {
			k = &keyState{absentOK: true}
			keys[key] = k
		}
		k.apply(e)
	}
	return keys, nil
}

// recordKey returns the key a Put or Delete record is about.
func recordKey(r Record) (string, bool) {
	switch r := r.(type) {
	case Put:
		return r.Key, true
	case Delete:
		return r.Key, true
	}
	return "", false
}

// comparison lists the store and classifies every key present or
// expected. Objects are checked by Workers goroutines; what they find is
// added to the report under mu.
type comparison struct {
	s        store.Store
	keys     map[string]*keyState // read-only here
	rep      *Report
	opts     AuditOptions
	download func(key string) bool
	// partial: keys is what part of a damaged log says (OpenDamaged),
	// which may not know the newest objects.
	partial bool

	mu   sync.Mutex // guards rep, prog, unsummed and firstSummed
	prog AuditProgress
	// unsummed are the objects, expected and of an expected size, whose
	// Stat showed no provider checksum, and firstSummed the earliest PUT
	// time of an object whose Stat showed one (see settleUnsummed).
	unsummed    []unsummed
	firstSummed time.Time
}

// unsummed is an object put through a store that sends checksums, which
// the provider now shows without one.
type unsummed struct {
	key string
	k   *keyState
	got *Object
}

// checksumSender is a store whose every Put hands the provider the
// object's SHA-256 to keep (s3store: x-amz-checksum-sha256).
type checksumSender interface{ SendsChecksums() bool }

func (c *comparison) run(ctx context.Context) error {
	c.prog = AuditProgress{Records: c.rep.Records}
	for key, k := range c.keys {
		if len(k.want) == 0 {
			continue
		}
		c.prog.TotalObjects++
		if c.download(key) {
			c.prog.TotalBytes += k.want[len(k.want)-1].size
		}
	}
	c.report()

	workers := cmp.Or(c.opts.Workers, 8)
	g, gctx := errgroup.WithContext(ctx)
	listed := make(chan store.Info, workers)
	seen := map[string]bool{} // written by the lister, read after Wait
	g.Go(func() error {
		defer close(listed)
		for info, err := range c.s.List(gctx, "") {
			if err != nil {
				return fmt.Errorf("auditlog: list %s: %w", c.s, err)
			}
			if strings.HasPrefix(info.Key, Prefix) {
				continue
			}
			seen[info.Key] = true
			select {
			case listed <- info:
			case <-gctx.Done():
				return context.Cause(gctx)
			}
		}
		return c.strays(gctx)
	})
	for range workers {
		g.Go(func() error {
			for info := range listed {
				k := c.keys[info.Key]
				v, err := c.check(gctx, info, k)
				if err != nil {
					return err
				}
				c.mu.Lock()
				c.rep.Objects++
				c.rep.Bytes += v.bytes
				if v.hashed {
					c.rep.Hashed++
				} else if !v.absent && k != nil && len(k.want) > 0 {
					c.rep.SizeOnly++
				}
				if v.downloaded {
					c.rep.Downloaded++
				}
				if v.summed && k.put != nil {
					if t := k.put.Record.(Put).Time; c.firstSummed.IsZero() || t.Before(c.firstSummed) {
						c.firstSummed = t
					}
				}
				c.recheck(info, k, v)
				switch {
				case v.absent:
					c.rep.absent(info.Key, k)
				case v.finding != nil:
					c.rep.add(*v.finding)
				case v.unsummed != nil:
					c.unsummed = append(c.unsummed, *v.unsummed)
				default:
					c.rep.Counts.OK++
				}
				if k == nil || len(k.want) == 0 {
					c.prog.TotalObjects++ // not expected, yet checked
				}
				c.prog.Objects++
				c.report()
				c.mu.Unlock()
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	c.settleUnsummed()
	for key, k := range c.keys {
		if seen[key] {
			continue
		}
		c.rep.Objects++
		c.rep.absent(key, k)
		c.recheck(store.Info{Key: key}, k, verdict{absent: true})
		if len(k.want) > 0 {
			c.prog.Objects++
		}
	}
	c.report()
	return nil
}

// recheck records in Report.Rechecked what the check of an object
// AuditOptions.Hash names found (v; k is what the log says of it, or nil).
// The caller holds mu (or runs alone).
func (c *comparison) recheck(info store.Info, k *keyState, v verdict) {
	if c.opts.Hash == nil || !c.opts.Hash(info.Key) {
		return
	}
	var r Recheck
	switch {
	case v.absent:
		r.Gone = k == nil || k.absentOK
	case v.finding == nil && v.downloaded:
		r.Intact, r.Written = true, info.ModTime
	}
	if c.rep.Rechecked == nil {
		c.rep.Rechecked = map[string]Recheck{}
	}
	c.rep.Rechecked[info.Key] = r
}

// report passes the progress on; the caller holds mu (or runs alone).
func (c *comparison) report() {
	if c.opts.Progress != nil {
		c.opts.Progress(c.prog)
	}
}

// countBytes adds downloaded bytes to the progress.
func (c *comparison) countBytes(n int64) {
	c.mu.Lock()
	c.prog.Bytes += n
	c.report()
	c.mu.Unlock()
}

// strayLister is a store that holds files its listing cannot show (a
// folder: names that are no key); see folder.Store.Strays.
type strayLister interface {
	Strays(ctx context.Context) iter.Seq2[store.Info, error]
}

// strays reports as foreign every file of the store that its listing
// cannot show, when the store can tell.
func (c *comparison) strays(ctx context.Context) error {
	sl, ok := store.Find[strayLister](c.s)
	if !ok {
		return nil
	}
	for info, err := range sl.Strays(ctx) {
		if err != nil {
			return fmt.Errorf("auditlog: look for files that are no objects in %s: %w", c.s, err)
		}
		c.mu.Lock()
		c.rep.Objects++
		c.rep.add(Finding{Class: Foreign, Key: info.Key, Record: -1, Got: &Object{Size: info.Size},
			Detail: "not an object: a file whose name or type no object has"})
		c.prog.TotalObjects++
		c.prog.Objects++
		c.report()
		c.mu.Unlock()
	}
	return nil
}

// settleUnsummed classifies the objects whose Stat showed no provider
// checksum although the store sends one with every Put. The log does not
// say whether a provider kept the checksum of a PUT: a provider may not
// keep checksums at all (then no object has one), may have started to
// keep them at some date, and a vault may have been copied there by
// another tool before Tunesafe wrote to it directly. So an object counts
// as rewritten by someone else only when the provider shows a checksum
// for an object Tunesafe put no later than this one's PUT: from then on
// it kept the checksums of Tunesafe's PUTs, and a rewrite without one
// (same size, other content or not) is how this one lost its.
func (c *comparison) settleUnsummed() {
	for _, u := range c.unsummed {
		put := u.k.put.Record.(Put)
		if c.firstSummed.IsZero() || put.Time.Before(c.firstSummed) {
			c.rep.Counts.OK++
			continue
		}
		f := Finding{Class: Corrupted, Key: u.key, Want: u.k.want[len(u.k.want)-1].object(), Got: u.got,
			Detail: "rewritten without the SHA-256 checksum Tunesafe's PUT gave it (same size; not downloaded: 'verify --deep' compares the content)"}
		f.fromPut(u.k.put)
		c.rep.add(f)
	}
	c.unsummed = nil
}

// verdict is what checking one listed object found.
type verdict struct {
	finding *Finding // nil when intact (or absent)
	absent  bool     // gone by the time it was read
	// summed: the provider showed a checksum for it; unsummed: it was
	// put through a store that sends checksums, and the provider shows
	// none (settled by settleUnsummed).
	summed   bool
	unsummed *unsummed
	hashed   bool // its content hash was compared
	// downloaded: its content was read and hashed, bytes of it.
	downloaded bool
	bytes      int64
}

// check classifies an object the listing shows, with a Stat for its
// checksum (Checksums) and a download (download) as the options ask.
func (c *comparison) check(ctx context.Context, info store.Info, k *keyState) (verdict, error) {
	var v verdict
	if k == nil || len(k.want) == 0 {
		got := &Object{Size: info.Size}
		if info.SHA256 != nil {
			got.SHA256 = hex.EncodeToString(info.SHA256)
		}
		f := Finding{Class: Foreign, Key: info.Key, Record: -1, Got: got, Detail: "no PUT in the log"}
		if k != nil && k.del != nil {
			f.fromDelete(k.del)
			f.Detail = "present after a logged DELETE"
		}
		if c.partial {
			f.Detail = "not in the part of the log this computer verified"
		} else if strings.HasPrefix(info.Key, KeysPrefix) {
			// A key file opens the whole vault to whoever knows its
			// passphrase: one the log does not know is not a stray.
			f.Class = Tampered
			f.Detail = "a key file Tunesafe never wrote: its passphrase, whoever knows it, opens this vault; delete this object unless you put it there"
			if k != nil && k.del != nil {
				f.Detail = fmt.Sprintf("a key file Tunesafe deleted (%s) is back: the old passphrase opens this vault again; delete this object", k.del.Record.(Delete).Reason)
			}
		}
		v.finding = &f
		return v, nil
	}
	stated := info.SHA256 != nil // the checksum, if any, is known
	if c.opts.Checksums && info.SHA256 == nil {
		// A Stat that fails leaves the listing's size to compare; one
		// that finds nothing means the object went after the listing.
		full, err := c.s.Stat(ctx, info.Key)
		switch {
		case err == nil:
			info, stated = full, true
		case isNotExist(err):
			v.absent = true
			return v, nil
		case ctx.Err() != nil:
			return v, context.Cause(ctx)
		}
	}
	got := &Object{Size: info.Size}
	if info.SHA256 != nil {
		got.SHA256 = hex.EncodeToString(info.SHA256)
	}
	want := k.want[len(k.want)-1]
	corrupted := func(detail string) (verdict, error) {
		f := Finding{Class: Corrupted, Key: info.Key, Want: want.object(), Got: got, Detail: detail}
		f.fromPut(k.put)
		v.finding = &f
		return v, nil
	}
	match := func(ok func(content) bool) bool { return slices.ContainsFunc(k.want, ok) }
	if !match(func(c content) bool { return c.size == info.Size }) {
		return corrupted("size differs")
	}
	if info.SHA256 != nil {
		v.hashed = true
		if !match(func(c content) bool { return bytes.Equal(c.sum[:], info.SHA256) }) {
			return corrupted("the provider's SHA-256 differs")
		}
	}
	v.summed = info.SHA256 != nil
	if c.download(info.Key) {
		sum, n, err := hashObject(ctx, c.s, info.Key, c.countBytes)
		v.bytes = n
		if isNotExist(err) {
			v.absent = true
			return v, nil
		}
		if store.KindOf(err) == store.KindUnreadable {
			// The provider answers for it and cannot serve it: damaged
			// in its keeping, and stored again by repair --deep.
			got.SHA256 = ""
			return corrupted("the storage cannot serve its content")
		}
		if err != nil {
			return v, fmt.Errorf("auditlog: %w", err)
		}
		v.hashed, v.downloaded = true, true
		got.Size, got.SHA256 = n, hex.EncodeToString(sum[:])
		if !match(func(c content) bool { return c.sum == sum && c.size == n }) {
			return corrupted("content differs")
		}
		return v, nil
	}
	if cs, ok := store.Find[checksumSender](c.s); ok && cs.SendsChecksums() && stated && info.SHA256 == nil && k.put != nil && k.put.Record.(Put).Outcome == OutcomeOK {
		v.unsummed = &unsummed{key: info.Key, k: k, got: got}
	}
	return v, nil
}

// absent classifies a key the log knows and the store does not have.
func (rep *Report) absent(key string, k *keyState) {
	switch {
	case k.absentOK && k.del != nil && routineDelete(key, k.del):
		// Every command that takes a lock puts and deletes one, and
		// removes stale ones; a check retires the damage markers whose
		// objects are repaired. Routine, not deletions to report.
		rep.Counts.OK++
	case k.absentOK && k.del != nil:
		f := Finding{Class: DeletedByUser, Key: key}
		f.fromDelete(k.del)
		rep.add(f)
	case k.absentOK:
		rep.Counts.OK++ // only failed PUTs: it was never stored
	default:
		want := k.want[len(k.want)-1]
		f := Finding{Class: Lost, Key: key, Want: want.object(), Detail: "logged PUT, no DELETE, object missing"}
		if coordination(key) {
			f.Class = Note
			f.Detail = "a coordination object, not data: logged PUT, no DELETE, object missing (removed by hand, or lost by the provider); no restore needs it"
		}
		f.fromPut(k.put)
		rep.add(f)
	}
}

// ReasonDamageRepaired is the DELETE reason of a damage marker retired
// because every object it names is stored again and intact.
const ReasonDamageRepaired = "damage-repaired"

// ReasonStaleLock is the reason of a logged DELETE that removed another
// command's lock, left by a command that died (see package locks).
const ReasonStaleLock = "stale-lock"

// ReasonUnfinishedInit is the reason of a logged DELETE that removed a
// key file left by a vault creation killed part way, once a new vault
// was made at its location.
const ReasonUnfinishedInit = "unfinished-init"

// routineDelete reports whether del, the last DELETE of key, is one that
// commands make in their course: a lock's, a retired damage marker's, or
// a dead creation's key file's.
func routineDelete(key string, del *Entry) bool {
	if strings.HasPrefix(key, locks.Prefix) {
		return true
	}
	r, ok := del.Record.(Delete)
	switch {
	case !ok:
		return false
	case strings.HasPrefix(key, "prunes/"):
		return r.Reason == ReasonDamageRepaired
	case strings.HasPrefix(key, "keys/"):
		return r.Reason == ReasonUnfinishedInit
	}
	return false
}

// coordinationPrefixes hold the vault's coordination objects (docs/FORMAT.md,
// "Coordination objects"): locks and prune markers. They hold no data, so
// one that goes missing is a Note, not a loss.
var coordinationPrefixes = []string{locks.Prefix, "prunes/"}

func coordination(key string) bool {
	return slices.ContainsFunc(coordinationPrefixes, func(p string) bool { return strings.HasPrefix(key, p) })
}

func (c content) object() *Object {
	return &Object{Size: c.size, SHA256: hex.EncodeToString(c.sum[:])}
}

func (f *Finding) fromPut(e *Entry) {
	f.Record = -1
	if e == nil {
		return
	}
	r := e.Record.(Put)
	f.Record, f.Time, f.Host, f.Outcome = e.Index, r.Time, r.Host, r.Outcome
}

func (f *Finding) fromDelete(e *Entry) {
	r := e.Record.(Delete)
	f.Record, f.Time, f.Host, f.Outcome = e.Index, r.Time, r.Host, r.Outcome
	f.Reason, f.Command = r.Reason, r.Command
}

func (rep *Report) add(f Finding) {
	switch f.Class {
	case Lost:
		rep.Counts.Lost++
	case Corrupted:
		rep.Counts.Corrupted++
	case DeletedByUser:
		rep.Counts.DeletedByUser++
	case Foreign:
		rep.Counts.Foreign++
	case Tampered:
		rep.Counts.Tampered++
	case Note:
		rep.Counts.Notes++
	}
	rep.Findings = append(rep.Findings, f)
}

func (rep *Report) sort() {
	slices.SortFunc(rep.Findings, func(a, b Finding) int {
		return cmp.Or(cmp.Compare(a.Class.rank(), b.Class.rank()), strings.Compare(a.Key, b.Key))
	})
}
