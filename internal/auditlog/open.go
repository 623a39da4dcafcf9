package auditlog

import (
	"context"
	"errors"
	"slices"
)

// Records an earlier run left in the journal (it was killed, or the vault
// refused its flush) are published by the next Open or Flush that can
// write to the vault. Opening does not depend on it: a vault on a disk
// mounted read-only, or on a share this user may only read, must still be
// verified, listed and restored from, and a log opened without a signer
// cannot publish at all. So Open verifies the vault's log as always, then
// publishes the recovered records if it can. Those it cannot publish stay
// in the journal, fsynced on this computer, where every later Open finds
// them again until one publishes them. The tamper checks are the same
// either way: the vault's checkpoint is checked against the last one this
// computer verified before the log is used.
//
// A run killed after publishing a flush and before committing it locally
// leaves records that are both in the vault and in the journal. The check
// catches up with them as with another computer's records, and commits
// that; so they must leave the journal in the same step, or the flush that
// finally publishes the rest would publish them twice.

// startRecovered is start for a journal that held records at Open.
func (l *Log) startRecovered(ctx context.Context) error {
	if err := l.settlePublished(ctx); err != nil {
		return err
	}
	if l.signer == nil {
		return nil // they wait for a log that can sign
	}
	l.mu.Lock()
	waiting := len(l.ready)
	l.mu.Unlock()
	if waiting == 0 {
		l.mu.Lock()
		defer l.mu.Unlock()
		return l.rotateLocked()
	}
	err := l.flushLocked(ctx)
	var te *TamperError
	if err == nil || errors.As(err, &te) || ctx.Err() != nil {
		return err
	}
	// The vault refused the records now (it is read-only to this user,
	// the disk is full, the network dropped): they stay in the journal,
	// and the log opens, as it would have without them. Close tries
	// again and says why it could not.
	return nil
}

// settlePublished checks the vault's log, catching up with what others
// added (sync), and takes the recovered records found among those out of
// the journal. It writes only to the local state.
func (l *Log) settlePublished(ctx context.Context) error {
	l.mu.Lock()
	batch := slices.Clone(l.ready)
	l.mu.Unlock()
	want := byIdentity(batch)
	published := make([]bool, len(batch))
	found := 0
	_, err := l.sync(ctx, func(r Record) {
		id := identity(r)
		if is := want[id]; len(is) > 0 {
			published[is[0]] = true
			want[id] = is[1:]
			found++
		}
	})
	if err != nil || found == 0 {
		return err
	}
	var rest []pendingOp
	left := map[string]int{}
	for i, p := range batch {
		if !published[i] {
			rest = append(rest, p)
			left[identity(p.rec)]++
		}
	}
	l.mu.Lock()
	l.ready = rest
	l.mu.Unlock()
	gen, ok, err := l.publishedThrough(left)
	if err != nil || !ok {
		// Journals this package writes always split this way; if this
		// one does not, the records are kept out of this run's flush
		// only, and the files stay as they are.
		return err
	}
	// The local commit point now says the files up to gen are published.
	if err := l.publish(ctx, nil, nil, gen); err != nil {
		return err
	}
	return l.retireJournals(gen, nil)
}

// publishedThrough finds the newest recovered journal generation g such
// that an Open would recover from the files after g exactly the records
// left (by identity, with multiplicity): committing g as published then
// drops the published records and keeps every other. Flushes take whole
// generations, so such a g exists unless the files were edited.
func (l *Log) publishedThrough(left map[string]int) (uint64, bool, error) {
	l.mu.Lock()
	files := slices.Clone(l.files)
	l.mu.Unlock()
	lines := make([][]journalLine, len(files))
	for k, j := range files {
		var err error
		if lines[k], err = readJournal(j.path); err != nil {
			return 0, false, err
		}
	}
	for k := len(files) - 1; k >= 0; k-- {
		// What recoverJournal makes of the files after files[k]: every
		// fact, and every intent once, whatever its outcome.
		got := map[string]int{}
		intents := map[uint64]bool{}
		for _, later := range lines[k+1:] {
			for _, ln := range later {
				switch {
				case ln.op == 'f':
					got[identity(ln.rec)]++
				case ln.op == 'i' && !intents[ln.id]:
					intents[ln.id] = true
					got[identity(ln.rec)]++
				}
			}
		}
		if equalCounts(got, left) {
			return files[k].gen, true, nil
		}
	}
	return 0, false, nil
}

func equalCounts(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, n := range a {
		if b[k] != n {
			return false
		}
	}
	return true
}
