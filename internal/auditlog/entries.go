package auditlog

import (
	"context"
	"fmt"
	"iter"
	"slices"

	"golang.org/x/mod/sumdb/tlog"
)

// Entry is one record of the log and its index.
type Entry struct {
	Index  int64
	Record Record
}

// Entries reads the log's records, in order, up to the current checkpoint,
// checking each against the verified tree: an entry whose hash differs ends
// the sequence with a *TamperError. Records not yet flushed are not
// included.
//
// Entries objects this computer verified before are read from its local
// copy (segcache.go); the others are downloaded. A long-lived vault has
// thousands of entries objects, each a round trip to the provider: up to
// readAhead of them are downloaded at once, ahead of the records being
// yielded.
func (l *Log) Entries(ctx context.Context) iter.Seq2[Entry, error] {
	return l.entries(ctx, false)
}

// FreshEntries is Entries with every entries object downloaded from the
// vault, none taken from the local copy: what a check of the vault's own
// log reads.
func (l *Log) FreshEntries(ctx context.Context) iter.Seq2[Entry, error] {
	return l.entries(ctx, true)
}

func (l *Log) entries(ctx context.Context, fresh bool) iter.Seq2[Entry, error] {
	return func(yield func(Entry, error) bool) {
		l.flushMu.Lock()
		segs := slices.Clip(l.segments)
		l.flushMu.Unlock()
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		for s, r := range l.readAhead(ctx, segs, fresh) {
			if r.err != nil {
				yield(Entry{}, r.err)
				return
			}
			leaves := r.leaves
			indexes := make([]int64, len(leaves))
			for i := range leaves {
				indexes[i] = tlog.StoredHashIndex(0, s.First+int64(i))
			}
			want, err := l.tree.ReadHashes(indexes)
			if err != nil {
				yield(Entry{}, fmt.Errorf("auditlog: %w", err))
				return
			}
			for i, leaf := range leaves {
				n := s.First + int64(i)
				if tlog.RecordHash(leaf) != want[i] {
					e := tamper(TamperEdited, s.key(), n, "entry does not match its hash in the signed tree", nil)
					e.Known = l.CurrentCheckpoint()
					yield(Entry{}, e)
					return
				}
				r, err := ParseRecord(leaf)
				if err != nil {
					yield(Entry{}, tamper(TamperMalformed, s.key(), n, "", err))
					return
				}
				if !yield(Entry{Index: n, Record: r}, nil) {
					return
				}
			}
		}
	}
}

// readAhead is how many entries objects Entries downloads at once.
const readAhead = 16

// segmentRead is one entries object read: its leaves and its description
// as stored, or why not.
type segmentRead struct {
	leaves [][]byte
	seg    segment
	err    error
}

// readAhead reads segs in order (loadSegment), up to readAhead of them at
// once; at most readAhead are held, read and not yet consumed. The
// caller cancels ctx when it stops early.
func (l *Log) readAhead(ctx context.Context, segs []segment, fresh bool) iter.Seq2[segment, segmentRead] {
	return func(yield func(segment, segmentRead) bool) {
		results := make([]chan segmentRead, len(segs))
		for i := range results {
			results[i] = make(chan segmentRead, 1)
		}
		slots := make(chan struct{}, readAhead)
		go func() {
			for i, s := range segs {
				select {
				case slots <- struct{}{}:
				case <-ctx.Done():
					return
				}
				go func() {
					leaves, seg, err := l.loadSegment(ctx, s, fresh)
					results[i] <- segmentRead{leaves, seg, err}
				}()
			}
		}()
		for i, s := range segs {
			var r segmentRead
			select {
			case r = <-results[i]:
				<-slots
			case <-ctx.Done():
				// The reader may never have started this one.
				yield(s, segmentRead{err: context.Cause(ctx)})
				return
			}
			if !yield(s, r) || r.err != nil {
				return
			}
		}
	}
}
