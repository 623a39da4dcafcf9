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
	"math"
	"slices"
	"strings"

	"github.com/tunesafe/tunesafe/internal/store"
)

// AuditOptions choose how much of the vault's content an audit reads.
// Without Deep or Sample an audit reads no object: it compares the
// listing's sizes, and the provider's SHA-256 when the listing has one.
type AuditOptions struct {
	// Deep downloads and hashes every object the log describes.
	Deep bool
	// Sample, in (0, 1], downloads and hashes a rotating share of the
	// objects: with B = floor(1/Sample) hash buckets, run r checks the keys
	// whose bucket is r mod B, and r advances after each sampled audit
	// (the counter lives in the state directory), so B runs cover every
	// object once. Ignored when Deep is set.
	Sample float64
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

	keys, err := replay(ctx, l, &rep)
	if err != nil {
		return Report{}, err
	}
	if rep.Complete {
		if err := compare(ctx, s, keys, &rep, func(key string) bool {
			return buckets > 0 && keyBucket(key, buckets) == bucket
		}); err != nil {
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
	if err := l.Flush(ctx); err != nil {
		return rep, err
	}
	rep.Recorded = true
	if rep.Mode == "sample" {
		ast.SampleRun++
		if err := saveAuditState(l.dir, ast); err != nil {
			return rep, fmt.Errorf("auditlog: %w", err)
		}
	}
	return rep, nil
}

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

// replay reads the log into the expected state of every key.
func replay(ctx context.Context, l *Log, rep *Report) (map[string]*keyState, error) {
	keys := map[string]*keyState{}
	for e, err := range l.Entries(ctx) {
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

// compare lists the store and classifies every key present or expected.
func compare(ctx context.Context, s store.Store, keys map[string]*keyState, rep *Report, download func(string) bool) error {
	seen := map[string]bool{}
	for info, err := range s.List(ctx, "") {
		if err != nil {
			return fmt.Errorf("auditlog: list %s: %w", s, err)
		}
		if strings.HasPrefix(info.Key, Prefix) {
			continue
		}
		seen[info.Key] = true
		rep.Objects++
		if err := rep.present(ctx, s, info, keys[info.Key], download(info.Key)); err != nil {
			return err
		}
	}
	for key, k := range keys {
		if seen[key] {
			continue
		}
		rep.Objects++
		rep.absent(key, k)
	}
	return nil
}

// present classifies an object the store has.
func (rep *Report) present(ctx context.Context, s store.Store, info store.Info, k *keyState, download bool) error {
	got := &Object{Size: info.Size}
	if info.SHA256 != nil {
		got.SHA256 = hex.EncodeToString(info.SHA256)
	}
	if k == nil || len(k.want) == 0 {
		f := Finding{Class: Foreign, Key: info.Key, Record: -1, Got: got, Detail: "no PUT in the log"}
		if k != nil && k.del != nil {
			f.fromDelete(k.del)
			f.Detail = "present after a logged DELETE"
		}
		rep.add(f)
		return nil
	}
	want := k.want[len(k.want)-1]
	corrupted := func(detail string) {
		f := Finding{Class: Corrupted, Key: info.Key, Want: want.object(), Got: got, Detail: detail}
		f.fromPut(k.put)
		rep.add(f)
	}
	match := func(ok func(content) bool) bool { return slices.ContainsFunc(k.want, ok) }
	if !match(func(c content) bool { return c.size == info.Size }) {
		corrupted("size differs")
		return nil
	}
	if info.SHA256 != nil {
		rep.Hashed++
		if !match(func(c content) bool { return bytes.Equal(c.sum[:], info.SHA256) }) {
			corrupted("the provider's SHA-256 differs")
			return nil
		}
	}
	if download {
		sum, n, err := hashObject(ctx, s, info.Key)
		rep.Bytes += n
		if isNotExist(err) {
			rep.absent(info.Key, k)
			return nil
		}
		if err != nil {
			return fmt.Errorf("auditlog: %w", err)
		}
		if info.SHA256 == nil {
			rep.Hashed++
		}
		got.Size, got.SHA256 = n, hex.EncodeToString(sum[:])
		if !match(func(c content) bool { return c.sum == sum && c.size == n }) {
			corrupted("content differs")
			return nil
		}
	}
	rep.Counts.OK++
	return nil
}

// absent classifies a key the log knows and the store does not have.
func (rep *Report) absent(key string, k *keyState) {
	switch {
	case k.absentOK && k.del != nil:
		f := Finding{Class: DeletedByUser, Key: key}
		f.fromDelete(k.del)
		rep.add(f)
	case k.absentOK:
		rep.Counts.OK++ // only failed PUTs: it was never stored
	default:
		want := k.want[len(k.want)-1]
		f := Finding{Class: Lost, Key: key, Want: want.object(), Detail: "logged PUT, no DELETE, object missing"}
		f.fromPut(k.put)
		rep.add(f)
	}
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
	}
	rep.Findings = append(rep.Findings, f)
}

func (rep *Report) sort() {
	slices.SortFunc(rep.Findings, func(a, b Finding) int {
		return cmp.Or(cmp.Compare(a.Class.rank(), b.Class.rank()), strings.Compare(a.Key, b.Key))
	})
}
