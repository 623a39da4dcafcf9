package auditlog

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/tunesafe/tunesafe/internal/store"
)

// Options configure Open.
type Options struct {
	// Store is the vault's backend. The log keeps its objects under
	// "log/" and uses Stat to settle operations a crash left unresolved.
	Store store.Store
	// Verifier checks checkpoints; its name is the log's origin.
	Verifier note.Verifier
	// Signer signs new checkpoints. Without one the log is read-only: it
	// can be verified and audited but records nothing.
	Signer note.Signer
	// Codec, if set, seals entries objects (encrypted vaults).
	// Checkpoints stay in clear: they are signed, hold no names, and must
	// be checkable without the vault's keys.
	Codec Codec
	// StateDir is this computer's directory for the log of this vault
	// (one directory per vault, used by one process at a time).
	StateDir string
	// Host is written in every record; os.Hostname() when empty.
	Host string
	// Now returns the time for records; time.Now when nil.
	Now func() time.Time
	// FlushEvery makes the audited store publish the waiting records by
	// itself once this many wait (0: DefaultFlushEvery; negative: only
	// on Flush), so that a long run holds a bounded number in memory.
	FlushEvery int
}

// DefaultFlushEvery is Options.FlushEvery when zero: a backup of many
// small files publishes an entries object every thousand writes.
const DefaultFlushEvery = 1000

// Log is a vault's tamper-evident log of store operations. It is safe for
// concurrent use.
type Log struct {
	store    store.Store
	verifier note.Verifier
	signer   note.Signer
	codec    Codec
	dir      string
	host     string
	now      func() time.Time
	// flushEvery and nextFlush: see flushIfDue.
	flushEvery int
	nextFlush  atomic.Int64
	writerWait time.Duration // 0: the default (writer.go)

	// flushMu serialises everything that reads the vault's log or changes
	// the local tree: Flush, Verify, VerifyCheckpoint.
	flushMu  sync.Mutex
	tree     *hashFile
	segments []segment // guarded by flushMu
	consumed uint64    // journal generation published; guarded by flushMu
	cp       atomic.Pointer[signedCheckpoint]

	// mu guards the journal: records waiting for their operation (inflight)
	// or for the next flush (ready), and the files holding them.
	mu       sync.Mutex
	cur      *journalFile   // nil when read-only, closed or broken
	files    []*journalFile // unpublished journal files, oldest first
	gen      uint64         // generation of the newest journal file
	ids      idSource
	inflight map[uint64]*pendingOp
	ready    []pendingOp
	jerr     error // why cur is nil, when it broke
	closed   bool
	// damage is why the vault's log did not open, for a log opened by
	// OpenDamaged; nil otherwise.
	damage *TamperError
}

type signedCheckpoint struct {
	Checkpoint
	note []byte
}

// Open opens the log of the vault in opts.Store, creating it if the vault
// has none. It verifies the vault's checkpoint against the last one this
// computer verified (a *TamperError if they are inconsistent), catches up
// with records another computer added, and publishes what an earlier run
// left in the local journal if the vault accepts it now (see open.go).
func Open(ctx context.Context, opts Options) (*Log, error) {
	if opts.Store == nil || opts.Verifier == nil || opts.StateDir == "" {
		return nil, errors.New("auditlog: Open needs a Store, a Verifier and a StateDir")
	}
	if opts.Signer != nil && (opts.Signer.Name() != opts.Verifier.Name() || opts.Signer.KeyHash() != opts.Verifier.KeyHash()) {
		return nil, errors.New("auditlog: signer and verifier are not the same key")
	}
	l := &Log{
		store:      opts.Store,
		verifier:   opts.Verifier,
		signer:     opts.Signer,
		codec:      opts.Codec,
		dir:        opts.StateDir,
		host:       opts.Host,
		now:        opts.Now,
		inflight:   make(map[uint64]*pendingOp),
		flushEvery: opts.FlushEvery,
	}
	if l.flushEvery == 0 {
		l.flushEvery = DefaultFlushEvery
	}
	l.nextFlush.Store(int64(l.flushEvery))
	if l.now == nil {
		l.now = time.Now
	}
	if l.host == "" {
		l.host, _ = os.Hostname()
	}
	if err := l.loadLocal(); err != nil {
		return nil, fmt.Errorf("auditlog: local state %s: %w", l.dir, err)
	}
	ok := false
	defer func() {
		if !ok {
			l.release()
		}
	}()
	if err := l.recoverJournal(ctx); err != nil {
		return nil, fmt.Errorf("auditlog: %w", err)
	}
	l.flushMu.Lock()
	err := l.start(ctx)
	l.flushMu.Unlock()
	if err != nil {
		return nil, err
	}
	ok = true
	return l, nil
}

// OpenDamaged opens the log as this computer last verified it (its
// local state), read-only, for an audit of a vault whose log Open found
// damaged (damage, the *TamperError Open returned): rolled back, an
// entries object missing. The vault's checkpoint is not read again, and
// the local journal is left for a later Open. Audit then reports the
// damage first and classifies the objects against the records this
// computer verified, none on a computer that never verified this log.
func OpenDamaged(opts Options, damage *TamperError) (*Log, error) {
	if opts.Store == nil || opts.Verifier == nil || opts.StateDir == "" || damage == nil {
		return nil, errors.New("auditlog: OpenDamaged needs a Store, a Verifier, a StateDir and the damage")
	}
	l := &Log{
		store: opts.Store, verifier: opts.Verifier, codec: opts.Codec, dir: opts.StateDir,
		host: opts.Host, now: opts.Now, inflight: make(map[uint64]*pendingOp), damage: damage,
	}
	if l.now == nil {
		l.now = time.Now
	}
	if err := l.loadLocal(); err != nil {
		return nil, fmt.Errorf("auditlog: local state %s: %w", l.dir, err)
	}
	return l, nil
}

// Damage returns why the vault's log did not open, for a log opened by
// OpenDamaged; nil otherwise.
func (l *Log) Damage() *TamperError { return l.damage }

// start verifies the vault's log and publishes recovered records.
func (l *Log) start(ctx context.Context) error {
	l.mu.Lock()
	recovered := len(l.ready)
	l.mu.Unlock()
	if recovered > 0 {
		return l.startRecovered(ctx) // open.go
	}
	if _, err := l.sync(ctx, nil); err != nil {
		return err
	}
	if l.signer == nil {
		return nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.rotateLocked()
}

// loadLocal reads the state directory: the commit point, then the tree it
// covers.
func (l *Log) loadLocal() error {
	if err := os.MkdirAll(filepath.Join(l.dir, journalDir), 0o700); err != nil {
		return err
	}
	st, err := loadState(l.dir)
	if err != nil {
		return err
	}
	var cp signedCheckpoint
	if st.Checkpoint != "" {
		c, err := OpenCheckpoint([]byte(st.Checkpoint), l.verifier)
		if err != nil {
			return fmt.Errorf("saved checkpoint: %w", err)
		}
		cp = signedCheckpoint{c, []byte(st.Checkpoint)}
	} else {
		cp.Origin = l.verifier.Name()
	}
	var next int64
	for _, s := range st.Segments {
		if s.First != next || s.Count <= 0 {
			return fmt.Errorf("segment manifest has a gap at record %d", next)
		}
		next += s.Count
	}
	if next != cp.Size {
		return fmt.Errorf("segment manifest covers %d records, the checkpoint %d", next, cp.Size)
	}
	tree, err := openHashFile(filepath.Join(l.dir, treeFile), tlog.StoredHashCount(cp.Size))
	if err != nil {
		return err
	}
	if cp.Size > 0 {
		root, err := tlog.TreeHash(cp.Size, tree)
		if err != nil || root != cp.Hash {
			tree.close()
			return fmt.Errorf("local tree does not match the saved checkpoint (%v)", err)
		}
	}
	l.tree = tree
	l.segments = st.Segments
	l.consumed = st.Journal
	l.cp.Store(&cp)
	return nil
}

// Close publishes what is ready and closes the log. Records of operations
// still running stay in the journal and are settled by the next Open.
func (l *Log) Close(ctx context.Context) error {
	l.flushMu.Lock()
	err := l.flushLocked(ctx)
	l.flushMu.Unlock()
	l.release()
	return err
}

// release closes files without publishing anything.
func (l *Log) release() {
	l.mu.Lock()
	l.closed = true
	files := l.files
	l.cur = nil
	l.mu.Unlock()
	for _, f := range files {
		f.close()
	}
	if l.tree != nil {
		l.tree.close()
	}
}

// ReadOnly reports whether the log was opened without a signer.
func (l *Log) ReadOnly() bool { return l.signer == nil }

// Origin returns the log's origin, the name of its key.
func (l *Log) Origin() string { return l.verifier.Name() }

// Size returns the number of records covered by the current checkpoint.
func (l *Log) Size() int64 { return l.cp.Load().Size }

// Checkpoint returns the current checkpoint as a signed note, ready to be
// embedded in a snapshot; nil while the log is empty. Call Flush first so
// that it covers the records written so far.
func (l *Log) Checkpoint() []byte { return bytes.Clone(l.cp.Load().note) }

// Waiting returns how many records wait for the next flush, leaving out
// those skip accepts (nil: none).
func (l *Log) Waiting(skip func(Record) bool) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, p := range l.ready {
		if skip == nil || !skip(p.rec) {
			n++
		}
	}
	return n
}

// Unpublished returns the records waiting in this computer's journal for
// the next flush, oldest first, including those an earlier run left there
// that this log could not publish (it cannot sign, or the vault refused
// them). What they record happened, or may have: a reader that replays only
// the published log (Expect) consults them before it calls an object lost.
func (l *Log) Unpublished() []Record {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]Record, len(l.ready))
	for i, p := range l.ready {
		out[i] = p.rec
	}
	return out
}

// CurrentCheckpoint returns the parsed current checkpoint.
func (l *Log) CurrentCheckpoint() Checkpoint { return l.cp.Load().Checkpoint }

// VerifyCheckpoint checks a signed checkpoint (one embedded in a snapshot,
// or held by a witness) against the log: its signature, and a consistency
// proof that the current log extends it. It returns a *TamperError when
// the log does not.
func (l *Log) VerifyCheckpoint(signed []byte) (Checkpoint, error) {
	c, err := OpenCheckpoint(signed, l.verifier)
	if err != nil {
		kind := TamperMalformed
		if errors.Is(err, errSignature) {
			kind = TamperBadSignature
		}
		return Checkpoint{}, tamper(kind, "", -1, "checkpoint to verify", err)
	}
	l.flushMu.Lock()
	defer l.flushMu.Unlock()
	cur := l.cp.Load().Checkpoint
	te := func(kind TamperKind, detail string, err error) error {
		e := tamper(kind, "", -1, detail, err)
		e.Known, e.Found = c, cur
		return e
	}
	switch {
	case c.Size > cur.Size:
		return c, te(TamperRolledBack, fmt.Sprintf("the log has %d records, the checkpoint %d", cur.Size, c.Size), nil)
	case c.Size == 0:
		return c, nil
	}
	proof, err := tlog.ProveTree(cur.Size, c.Size, l.tree)
	if err != nil {
		return c, fmt.Errorf("auditlog: %w", err)
	}
	if err := tlog.CheckTree(proof, cur.Size, cur.Hash, c.Size, c.Hash); err != nil {
		return c, te(TamperForked, "the log does not extend the checkpoint", err)
	}
	return c, nil
}

func isNotExist(err error) bool { return errors.Is(err, fs.ErrNotExist) }
