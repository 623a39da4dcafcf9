package auditlog

import (
	"bytes"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
)

// The journal keeps records on this computer until a flush publishes them
// in the vault. It is a series of files journal/<generation>, each a list
// of lines:
//
//	i <id> <record>   intent: a Put or Delete about to be sent (fsynced
//	                  before Begin returns)
//	d <id> ok|failed  the outcome of intent <id> (not fsynced: if it is
//	                  lost, the next Open asks the store what happened)
//	f <id> <record>   a fact: a Snapshot or Verify record
//
// <record> is the canonical encoding (EncodeRecord). A flush starts a new
// generation, copying into it the intents still running, publishes the
// records of the older files, commits "generation ≤ G published" in
// state.json, and deletes those files. A crash at any point therefore
// leaves every unpublished record in a file newer than the committed
// generation, possibly also in the vault (Open recognises those).

// pendingOp is a record waiting for its operation or for publication.
type pendingOp struct {
	rec  Record
	leaf []byte
}

// Intent is a Put or Delete journaled before the operation it describes.
type Intent struct {
	l    *Log
	id   uint64
	done atomic.Bool
}

// Begin journals a Put or Delete, durably, before the caller sends the
// operation to the store; the caller must then call Done with the store's
// result. Time and Host are filled in when zero. If Begin fails the
// operation must not be sent.
func (l *Log) Begin(r Record) (*Intent, error) {
	if l.signer == nil {
		return nil, ErrReadOnly
	}
	switch r.(type) {
	case Put, Delete:
	default:
		return nil, fmt.Errorf("auditlog: Begin takes a Put or Delete, not %T", r)
	}
	r = stamp(r, l.now(), l.host, OutcomeUnknown)
	leaf, err := EncodeRecord(r)
	if err != nil {
		return nil, fmt.Errorf("auditlog: %w", err)
	}
	l.mu.Lock()
	j, err := l.journalLocked()
	if err != nil {
		l.mu.Unlock()
		return nil, err
	}
	id := l.ids.next()
	off, err := l.writeLocked(j, fmt.Appendf(nil, "i %d %s\n", id, leaf))
	if err != nil {
		l.mu.Unlock()
		return nil, err
	}
	l.inflight[id] = &pendingOp{rec: r, leaf: leaf}
	l.mu.Unlock()
	if err := j.syncTo(off); err != nil {
		l.resolve(id, OutcomeFailed)
		return nil, fmt.Errorf("auditlog: journal: %w", err)
	}
	return &Intent{l: l, id: id}, nil
}

// Done records the outcome of the operation: err is what the store
// returned. Calls after the first are ignored.
func (in *Intent) Done(err error) {
	if !in.done.CompareAndSwap(false, true) {
		return
	}
	o := OutcomeOK
	if err != nil {
		o = OutcomeFailed
	}
	in.l.resolve(in.id, o)
}

// resolve moves an intent to the ready list with its outcome.
func (l *Log) resolve(id uint64, o Outcome) {
	l.mu.Lock()
	defer l.mu.Unlock()
	op, ok := l.inflight[id]
	if !ok {
		return
	}
	delete(l.inflight, id)
	rec := withOutcome(op.rec, o)
	leaf, err := EncodeRecord(rec)
	if err != nil {
		panic(fmt.Sprintf("auditlog: re-encoding a valid record: %v", err)) // unreachable: only the outcome changed
	}
	l.ready = append(l.ready, pendingOp{rec: rec, leaf: leaf})
	if l.cur != nil {
		// A lost outcome line costs a Stat at the next Open, so a
		// failure here only retires the file.
		l.writeLocked(l.cur, fmt.Appendf(nil, "d %d %s\n", id, o))
	}
}

// Append journals a Snapshot or Verify record, durably, for the next flush.
func (l *Log) Append(r Record) error {
	if l.signer == nil {
		return ErrReadOnly
	}
	switch r.(type) {
	case Snapshot, Verify:
	default:
		return fmt.Errorf("auditlog: Append takes a Snapshot or Verify, not %T (use Begin)", r)
	}
	r = stamp(r, l.now(), l.host, "")
	leaf, err := EncodeRecord(r)
	if err != nil {
		return fmt.Errorf("auditlog: %w", err)
	}
	l.mu.Lock()
	j, err := l.journalLocked()
	if err != nil {
		l.mu.Unlock()
		return err
	}
	off, err := l.writeLocked(j, fmt.Appendf(nil, "f %d %s\n", l.ids.next(), leaf))
	if err != nil {
		l.mu.Unlock()
		return err
	}
	l.ready = append(l.ready, pendingOp{rec: r, leaf: leaf})
	l.mu.Unlock()
	if err := j.syncTo(off); err != nil {
		return fmt.Errorf("auditlog: journal: %w", err)
	}
	return nil
}

// Pending returns the number of records not yet published: those waiting
// for the next flush and those waiting for their operation.
func (l *Log) Pending() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.ready) + len(l.inflight)
}

// journalLocked returns the journal file to append to, starting a new one
// if a failed write retired the last.
func (l *Log) journalLocked() (*journalFile, error) {
	if l.closed {
		return nil, ErrClosed
	}
	if l.cur == nil {
		if err := l.rotateLocked(); err != nil {
			return nil, fmt.Errorf("%w (after %v)", err, l.jerr)
		}
	}
	return l.cur, nil
}

// writeLocked appends a line to j. After a failed write the file may end
// in a partial line, so it takes no more lines: the next append starts a
// new generation (which also holds copies of the running intents).
func (l *Log) writeLocked(j *journalFile, line []byte) (int64, error) {
	off, err := j.write(line)
	if err != nil {
		if l.cur == j {
			l.cur, l.jerr = nil, err
		}
		return 0, fmt.Errorf("auditlog: journal: %w", err)
	}
	return off, nil
}

// rotateLocked starts a new journal generation holding copies of the
// intents still running.
func (l *Log) rotateLocked() error {
	j, err := createJournal(filepath.Join(l.dir, journalDir), l.gen+1)
	if err != nil {
		return fmt.Errorf("auditlog: journal: %w", err)
	}
	ids := make([]uint64, 0, len(l.inflight))
	for id := range l.inflight {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	var buf bytes.Buffer
	for _, id := range ids {
		fmt.Fprintf(&buf, "i %d %s\n", id, l.inflight[id].leaf)
	}
	off, err := j.write(buf.Bytes())
	if err == nil {
		err = j.syncTo(off)
	}
	if err != nil {
		j.close()
		os.Remove(j.path)
		return fmt.Errorf("auditlog: journal: %w", err)
	}
	l.gen++
	l.cur, l.jerr = j, nil
	l.files = append(l.files, j)
	return nil
}

// journalFile is one generation of the journal. Appenders write under
// Log.mu and then call syncTo outside it, so that one fsync covers every
// line written by the time it starts (group commit).
type journalFile struct {
	gen  uint64
	path string
	f    *os.File // nil for a file recovered from an earlier run
	size atomic.Int64

	syncMu sync.Mutex
	synced int64
	closed bool
}

func journalPath(dir string, gen uint64) string {
	return filepath.Join(dir, fmt.Sprintf("%016d", gen))
}

func createJournal(dir string, gen uint64) (*journalFile, error) {
	path := journalPath(dir, gen)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL|os.O_APPEND, 0o600)
	if err != nil {
		return nil, err
	}
	if err := syncDir(dir); err != nil {
		f.Close()
		os.Remove(path)
		return nil, err
	}
	return &journalFile{gen: gen, path: path, f: f}, nil
}

// write appends b and returns the offset syncTo must reach.
func (j *journalFile) write(b []byte) (int64, error) {
	if j.f == nil {
		return 0, errors.New("journal file is read-only")
	}
	n, err := j.f.Write(b)
	end := j.size.Add(int64(n))
	if err != nil {
		return 0, err
	}
	return end, nil
}

// syncTo returns once the file is durable up to off.
func (j *journalFile) syncTo(off int64) error {
	j.syncMu.Lock()
	defer j.syncMu.Unlock()
	if j.closed || j.synced >= off {
		// A closed file's records were published or copied to a newer,
		// synced generation before it was closed.
		return nil
	}
	target := j.size.Load()
	if err := j.f.Sync(); err != nil {
		return err
	}
	j.synced = target
	return nil
}

func (j *journalFile) close() {
	j.syncMu.Lock()
	defer j.syncMu.Unlock()
	if !j.closed && j.f != nil {
		j.f.Close()
	}
	j.closed = true
}

// idSource hands out intent IDs unique across runs: a random prefix per
// run and a counter.
type idSource struct {
	run, n uint64
}

func (s *idSource) next() uint64 {
	if s.run == 0 {
		var b [4]byte
		rand.Read(b[:])
		s.run = uint64(binary.BigEndian.Uint32(b[:])|1) << 32
	}
	s.n++
	return s.run | s.n
}
