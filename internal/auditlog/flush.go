package auditlog

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"slices"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/tunesafe/tunesafe/internal/store"
)

// Flush publishes the records waiting in the journal: it checks the
// vault's log (as Open does), writes them as one entries object, signs a
// new checkpoint, writes it, then commits locally and drops the journal
// files it published. Records whose operation is still running wait for
// the next Flush.
func (l *Log) Flush(ctx context.Context) error {
	l.flushMu.Lock()
	defer l.flushMu.Unlock()
	return l.flushLocked(ctx)
}

// flushIfDue publishes the waiting records once Options.FlushEvery of them
// wait, unless a flush is already running. A failure leaves them waiting,
// and the next try comes FlushEvery records later: the caller's own Flush,
// at the end of its work, publishes them or reports why it cannot.
func (l *Log) flushIfDue(ctx context.Context) {
	if l.flushEvery < 0 {
		return
	}
	l.mu.Lock()
	n := int64(len(l.ready))
	l.mu.Unlock()
	if n < l.nextFlush.Load() || !l.flushMu.TryLock() {
		return
	}
	defer l.flushMu.Unlock()
	l.flushLocked(ctx)
	l.mu.Lock()
	l.nextFlush.Store(int64(len(l.ready) + l.flushEvery))
	l.mu.Unlock()
}

func (l *Log) flushLocked(ctx context.Context) error {
	l.mu.Lock()
	if len(l.ready) == 0 {
		l.mu.Unlock()
		return nil
	}
	if l.signer == nil {
		l.mu.Unlock()
		return ErrReadOnly
	}
	if l.closed {
		l.mu.Unlock()
		return ErrClosed
	}
	if err := l.rotateLocked(); err != nil {
		l.mu.Unlock()
		return err
	}
	batch := slices.Clone(l.ready)
	consumed := l.gen - 1
	l.mu.Unlock()

	err := l.exclusive(ctx, func() error { // writer.go
		// A record may already be in the vault: a run that crashed
		// after publishing and before committing locally. Recognise it
		// by its encoding, outcome aside (the outcome line may have
		// been lost).
		want := byIdentity(batch)
		published := make([]bool, len(batch))
		orphans, err := l.sync(ctx, func(r Record) {
			id := identity(r)
			if is := want[id]; len(is) > 0 {
				published[is[0]] = true
				want[id] = is[1:]
			}
		})
		if err != nil {
			return err
		}
		var leaves [][]byte
		for i, p := range batch {
			if !published[i] {
				leaves = append(leaves, p.leaf)
			}
		}
		return l.publish(ctx, leaves, orphans, consumed)
	})
	if err != nil {
		return err
	}

	return l.retireJournals(consumed, func() {
		l.ready = append([]pendingOp(nil), l.ready[len(batch):]...)
	})
}

// retireJournals closes and removes the journal files up to generation
// gen, whose records are published; locked, if not nil, runs under l.mu
// as they leave l.files.
func (l *Log) retireJournals(gen uint64, locked func()) error {
	l.mu.Lock()
	if locked != nil {
		locked()
	}
	var done []*journalFile
	l.files = slices.DeleteFunc(l.files, func(j *journalFile) bool {
		if j.gen <= gen {
			done = append(done, j)
			return true
		}
		return false
	})
	l.mu.Unlock()
	var errs []error
	for _, j := range done {
		j.close()
		if err := removeIfExists(j.path); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// byIdentity indexes a batch by its records' identities, to recognise
// those the vault's log already holds.
func byIdentity(batch []pendingOp) map[string][]int {
	want := map[string][]int{}
	for i, p := range batch {
		id := identity(p.rec)
		want[id] = append(want[id], i)
	}
	return want
}

// identity is a record's encoding with the outcome left out.
func identity(r Record) string {
	b, _ := EncodeRecord(withOutcome(r, OutcomeUnknown))
	return string(b)
}

// publish appends leaves to the vault's log and commits the new state
// locally, with journal generation consumed marked as published.
func (l *Log) publish(ctx context.Context, leaves [][]byte, orphans []string, consumed uint64) (err error) {
	known := l.cp.Load()
	n, k := known.Size, int64(len(leaves))
	st := localState{Checkpoint: string(known.note), Journal: consumed, Segments: l.segments}
	if k == 0 {
		if err := saveState(l.dir, st); err != nil {
			return fmt.Errorf("auditlog: %w", err)
		}
		l.consumed = consumed
		return nil
	}
	// Entries objects that no checkpoint covers are leftovers of a flush
	// that did not finish; the new segment may overlap them.
	for _, key := range orphans {
		if err := l.store.Delete(ctx, key); err != nil {
			return fmt.Errorf("auditlog: remove unfinished %s: %w", key, err)
		}
	}
	defer func() {
		if err != nil {
			l.tree.reset(tlog.StoredHashCount(n))
		}
	}()
	for i, leaf := range leaves {
		if err := l.tree.add(n+int64(i), leaf); err != nil {
			return fmt.Errorf("auditlog: %w", err)
		}
	}
	root, err := tlog.TreeHash(n+k, l.tree)
	if err != nil {
		return fmt.Errorf("auditlog: %w", err)
	}
	next := Checkpoint{Origin: l.Origin(), Size: n + k, Hash: root}
	signed, err := SignCheckpoint(next, l.signer)
	if err != nil {
		return fmt.Errorf("auditlog: sign checkpoint: %w", err)
	}
	plain := encodeSegment(leaves)
	sealed, err := l.seal(plain)
	if err != nil {
		return fmt.Errorf("auditlog: seal entries: %w", err)
	}
	// Order matters: the entries before any checkpoint that covers them,
	// the immutable copy before the pointer to the latest.
	key := segmentKey(n, k)
	for _, o := range []struct {
		key  string
		data []byte
	}{{key, sealed}, {checkpointArchiveKey(n + k), signed}, {checkpointKey, signed}} {
		if err := l.store.Put(ctx, o.key, o.data); err != nil {
			return fmt.Errorf("auditlog: write %s: %w", o.key, err)
		}
	}
	sum := sha256.Sum256(sealed)
	seg := segment{First: n, Count: k, Size: int64(len(sealed)), SHA256: hex.EncodeToString(sum[:])}
	if err := l.commit(signedCheckpoint{next, signed}, consumed, append(slices.Clip(l.segments), seg)); err != nil {
		return err
	}
	l.keepSegment(n, k, sealed, plain)
	return nil
}

// commit makes a new verified state durable locally: the tree first, then
// state.json, the commit point.
func (l *Log) commit(cp signedCheckpoint, consumed uint64, segs []segment) error {
	if err := l.tree.sync(); err != nil {
		return fmt.Errorf("auditlog: %w", err)
	}
	st := localState{Checkpoint: string(cp.note), Journal: consumed, Segments: segs}
	if err := saveState(l.dir, st); err != nil {
		return fmt.Errorf("auditlog: %w", err)
	}
	l.segments = segs
	l.consumed = consumed
	l.cp.Store(&cp)
	return nil
}

// sync verifies the vault's log against the local state and catches up
// with records added by another computer, calling seen for each. It
// returns the entries objects no checkpoint covers.
func (l *Log) sync(ctx context.Context, seen func(Record)) (orphans []string, err error) {
	known := l.cp.Load()
	te := func(e *TamperError) *TamperError {
		e.Known = known.Checkpoint
		return e
	}
	raw, err := store.ReadAll(ctx, l.store, checkpointKey)
	missing := isNotExist(err)
	if err != nil && !missing {
		return nil, fmt.Errorf("auditlog: read %s: %w", checkpointKey, err)
	}
	listed, err := l.listSegments(ctx)
	if err != nil {
		return nil, err
	}
	var found Checkpoint
	if missing {
		if known.Size > 0 {
			return nil, te(tamper(TamperMissing, checkpointKey, -1, fmt.Sprintf("this computer verified %d records", known.Size), nil))
		}
		found = known.Checkpoint
	} else {
		found, err = OpenCheckpoint(raw, l.verifier)
		if err != nil {
			kind := TamperMalformed
			if errors.Is(err, errSignature) {
				kind = TamperBadSignature
			}
			return nil, te(tamper(kind, checkpointKey, -1, "", err))
		}
	}
	// log/checkpoint may be older than a checkpoint the archive holds: a
	// flush stopped between its two copies, or a provider serves an old
	// log/checkpoint. Entries objects beyond it would then look like the
	// leftovers of an unfinished flush, and be deleted. So where entries
	// go beyond it, or this computer knows nothing yet, the newest signed
	// checkpoint of the archive wins.
	if known.Size == 0 || beyond(listed, found.Size) {
		newer, err := l.newestArchived(ctx, found.Size)
		if err != nil {
			return nil, err
		}
		if newer != nil {
			found, raw = newer.Checkpoint, newer.note
		}
	}
	fe := func(e *TamperError) *TamperError {
		e = te(e)
		e.Found = found
		return e
	}
	switch {
	case found.Size < known.Size:
		return nil, fe(tamper(TamperRolledBack, checkpointKey, -1,
			fmt.Sprintf("the vault's checkpoint covers %d records, this computer verified %d", found.Size, known.Size), nil))
	case found.Size == known.Size && found.Hash != known.Hash:
		return nil, fe(tamper(TamperForked, checkpointKey, -1,
			fmt.Sprintf("same size %d, different root", found.Size), nil))
	}
	if err := l.checkSegments(listed, found.Size); err != nil {
		return nil, fe(err)
	}
	if found.Size > known.Size {
		if err := l.catchUp(ctx, known, signedCheckpoint{found, raw}, listed, seen); err != nil {
			var t *TamperError
			if errors.As(err, &t) {
				fe(t)
			}
			return nil, err
		}
	}
	for _, s := range listed {
		if s.First >= found.Size {
			orphans = append(orphans, s.Key)
		}
	}
	return orphans, nil
}

// beyond reports whether an entries object holds records from size on.
func beyond(listed []listedSegment, size int64) bool {
	for _, s := range listed {
		if s.First+s.Count > size {
			return true
		}
	}
	return false
}

// newestArchived returns the newest checkpoint under log/checkpoints/
// larger than size whose signature verifies, or nil. One that does not
// verify is not the vault's (the audit reports it as foreign) and is
// passed over.
func (l *Log) newestArchived(ctx context.Context, size int64) (*signedCheckpoint, error) {
	var sizes []int64
	for info, err := range l.store.List(ctx, checkpointsPrefix) {
		if err != nil {
			return nil, fmt.Errorf("auditlog: list %s: %w", checkpointsPrefix, err)
		}
		if n, ok := parseArchiveKey(info.Key); ok && n > size {
			sizes = append(sizes, n)
		}
	}
	slices.Sort(sizes)
	for i := len(sizes) - 1; i >= 0; i-- {
		raw, err := store.ReadAll(ctx, l.store, checkpointArchiveKey(sizes[i]))
		if err != nil {
			if isNotExist(err) {
				continue
			}
			return nil, fmt.Errorf("auditlog: read %s: %w", checkpointArchiveKey(sizes[i]), err)
		}
		c, err := OpenCheckpoint(raw, l.verifier)
		if err != nil || c.Size != sizes[i] {
			continue
		}
		return &signedCheckpoint{c, raw}, nil
	}
	return nil, nil
}

// listedSegment is an entries object as the store lists it.
type listedSegment struct {
	store.Info
	First, Count int64
}

func (l *Log) listSegments(ctx context.Context) ([]listedSegment, error) {
	var out []listedSegment
	for info, err := range l.store.List(ctx, entriesPrefix) {
		if err != nil {
			return nil, fmt.Errorf("auditlog: list %s: %w", entriesPrefix, err)
		}
		first, count, ok := parseSegmentKey(info.Key)
		if !ok {
			continue // not a name the log writes, so not part of it
		}
		out = append(out, listedSegment{info, first, count})
	}
	return out, nil
}

// checkSegments compares the listing with the segments this computer
// verified: each must be there with the same size (and SHA-256, when the
// provider reports one), and nothing else may start inside the log's
// records [0, size).
func (l *Log) checkSegments(listed []listedSegment, size int64) *TamperError {
	byKey := make(map[string]listedSegment, len(listed))
	for _, s := range listed {
		byKey[s.Key] = s
	}
	verified := int64(0)
	for _, want := range l.segments {
		key := want.key()
		got, ok := byKey[key]
		if !ok {
			return tamper(TamperMissing, key, -1, "entries object is gone", nil)
		}
		if got.Size != want.Size {
			return tamper(TamperEdited, key, -1, fmt.Sprintf("size %d, was %d", got.Size, want.Size), nil)
		}
		if got.SHA256 != nil && hex.EncodeToString(got.SHA256) != want.SHA256 {
			return tamper(TamperEdited, key, -1, "the provider's SHA-256 differs from the one written", nil)
		}
		delete(byKey, key)
		verified = want.First + want.Count
	}
	for _, s := range listed {
		if _, extra := byKey[s.Key]; extra && s.First < verified {
			return tamper(TamperUnexpected, s.Key, -1, "entries object overlaps the verified log", nil)
		}
	}
	return nil
}

// catchUp reads the records [known.Size, found.Size) from the vault,
// checks that together with the verified records they hash to the signed
// root and that the new tree extends the old one, and commits.
func (l *Log) catchUp(ctx context.Context, known *signedCheckpoint, found signedCheckpoint, listed []listedSegment, seen func(Record)) (err error) {
	base := tlog.StoredHashCount(known.Size)
	defer func() {
		if err != nil {
			l.tree.reset(base)
		}
	}()
	byFirst := map[int64][]listedSegment{}
	for _, s := range listed {
		if s.First >= known.Size && s.First+s.Count <= found.Size {
			byFirst[s.First] = append(byFirst[s.First], s)
		}
	}
	// The listing names the entries objects to read, one after the other;
	// they are downloaded several at a time.
	var chain []segment
	for pos := known.Size; pos < found.Size; {
		cands := byFirst[pos]
		switch len(cands) {
		case 0:
			return tamper(TamperMissing, "", pos, fmt.Sprintf("no entries object starts at record %d", pos), nil)
		case 1:
		default:
			return tamper(TamperUnexpected, cands[1].Key, pos, "two entries objects start at the same record", nil)
		}
		chain = append(chain, segment{First: pos, Count: cands[0].Count})
		pos += cands[0].Count
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	segs := slices.Clip(l.segments)
	for _, r := range l.readAhead(ctx, chain, true) {
		if r.err != nil {
			return r.err
		}
		seg, pos := r.seg, r.seg.First
		for i, leaf := range r.leaves {
			rec, err := ParseRecord(leaf)
			if err != nil {
				return tamper(TamperMalformed, seg.key(), pos+int64(i), "", err)
			}
			if err := l.tree.add(pos+int64(i), leaf); err != nil {
				return fmt.Errorf("auditlog: %w", err)
			}
			if seen != nil {
				seen(rec)
			}
		}
		if err := l.tree.sync(); err != nil {
			return fmt.Errorf("auditlog: %w", err)
		}
		segs = append(segs, seg)
	}
	root, err := tlog.TreeHash(found.Size, l.tree)
	if err != nil {
		return fmt.Errorf("auditlog: %w", err)
	}
	if root != found.Hash {
		return tamper(TamperEdited, "", -1, fmt.Sprintf("records %d to %d do not hash to the vault's checkpoint", known.Size, found.Size), nil)
	}
	if known.Size > 0 {
		proof, err := tlog.ProveTree(found.Size, known.Size, l.tree)
		if err != nil {
			return fmt.Errorf("auditlog: %w", err)
		}
		if err := tlog.CheckTree(proof, found.Size, found.Hash, known.Size, known.Hash); err != nil {
			return tamper(TamperForked, checkpointKey, -1, "the vault's checkpoint does not extend the verified one", err)
		}
	}
	return l.commit(found, l.consumed, segs)
}

// Verify checks the whole vault log: the checkpoint (as Open does), then
// every entry, downloaded and hashed against the verified tree. It finds
// edits that keep an object's size, which Open's cheap listing check
// cannot see unless the provider reports SHA-256s.
func (l *Log) Verify(ctx context.Context) error {
	l.flushMu.Lock()
	_, err := l.sync(ctx, nil)
	l.flushMu.Unlock()
	if err != nil {
		return err
	}
	for _, err := range l.FreshEntries(ctx) {
		if err != nil {
			return err
		}
	}
	return nil
}

func removeIfExists(path string) error {
	if err := os.Remove(path); err != nil && !isNotExist(err) {
		return err
	}
	return nil
}
