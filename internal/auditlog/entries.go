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

// Entries reads the log's records from the vault, in order, up to the
// current checkpoint, checking each against the verified tree: an entry
// whose hash differs ends the sequence with a *TamperError. Records not yet
// flushed are not included.
func (l *Log) Entries(ctx context.Context) iter.Seq2[Entry, error] {
	return func(yield func(Entry, error) bool) {
		l.flushMu.Lock()
		segs := slices.Clip(l.segments)
		l.flushMu.Unlock()
		for _, s := range segs {
			leaves, _, err := l.readSegment(ctx, s.First, s.Count)
			if err != nil {
				yield(Entry{}, err)
				return
			}
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
