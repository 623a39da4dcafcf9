package auditlog

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"

	"github.com/tunesafe/tunesafe/internal/store"
)

// recoverJournal loads the journal files left unpublished by earlier runs
// into the ready list. Intents without an outcome are settled by asking
// the store whether the operation took effect.
func (l *Log) recoverJournal(ctx context.Context) error {
	dir := filepath.Join(l.dir, journalDir)
	ents, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	l.gen = l.consumed
	type intent struct {
		op      pendingOp
		outcome Outcome
	}
	intents := map[uint64]*intent{}
	var order []uint64 // intents in order of first appearance
	for _, e := range ents {
		gen, err := strconv.ParseUint(e.Name(), 10, 64)
		if err != nil || e.Name() != fmt.Sprintf("%016d", gen) {
			continue // a temporary file or something a user put there
		}
		path := filepath.Join(dir, e.Name())
		if gen <= l.consumed {
			if err := os.Remove(path); err != nil {
				return err
			}
			continue
		}
		l.gen = max(l.gen, gen)
		l.files = append(l.files, &journalFile{gen: gen, path: path, closed: true})
		lines, err := readJournal(path)
		if err != nil {
			return fmt.Errorf("journal %s: %w", path, err)
		}
		for _, ln := range lines {
			switch ln.op {
			case 'f':
				l.ready = append(l.ready, pendingOp{rec: ln.rec, leaf: ln.leaf})
			case 'i':
				if _, dup := intents[ln.id]; !dup {
					intents[ln.id] = &intent{op: pendingOp{rec: ln.rec, leaf: ln.leaf}}
					order = append(order, ln.id)
				}
			case 'd':
				in, ok := intents[ln.id]
				if !ok || in.outcome != "" {
					continue
				}
				in.outcome = ln.outcome
				rec := withOutcome(in.op.rec, ln.outcome)
				leaf, err := EncodeRecord(rec)
				if err != nil {
					return err
				}
				l.ready = append(l.ready, pendingOp{rec: rec, leaf: leaf})
			}
		}
	}
	for _, id := range order {
		in := intents[id]
		if in.outcome != "" {
			continue
		}
		o, err := observe(ctx, l.store, in.op.rec)
		if err != nil {
			return fmt.Errorf("settle an interrupted operation: %w", err)
		}
		rec := withOutcome(in.op.rec, o)
		leaf, err := EncodeRecord(rec)
		if err != nil {
			return err
		}
		l.ready = append(l.ready, pendingOp{rec: rec, leaf: leaf})
	}
	return nil
}

type journalLine struct {
	op      byte
	id      uint64
	rec     Record
	leaf    []byte
	outcome Outcome
}

// readJournal parses a journal file up to its first incomplete or
// malformed line. Lines are appended in order and every acknowledged line
// was fsynced with all lines before it, so damage can only be in a tail
// that nobody was promised.
func readJournal(path string) ([]journalLine, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r := bufio.NewReader(f)
	var lines []journalLine
	for {
		b, err := r.ReadBytes('\n')
		if err == io.EOF {
			return lines, nil // empty, or a torn last line
		}
		if err != nil {
			return nil, err
		}
		ln, ok := parseJournalLine(b[:len(b)-1])
		if !ok {
			return lines, nil
		}
		lines = append(lines, ln)
	}
}

func parseJournalLine(b []byte) (journalLine, bool) {
	op, rest, ok1 := bytes.Cut(b, []byte(" "))
	idText, arg, ok2 := bytes.Cut(rest, []byte(" "))
	id, err := strconv.ParseUint(string(idText), 10, 64)
	if !ok1 || !ok2 || len(op) != 1 || err != nil {
		return journalLine{}, false
	}
	ln := journalLine{op: op[0], id: id}
	switch ln.op {
	case 'i', 'f':
		rec, err := ParseRecord(arg)
		if err != nil {
			return journalLine{}, false
		}
		_, keyed := rec.(Put)
		if _, del := rec.(Delete); del {
			keyed = true
		}
		if keyed != (ln.op == 'i') {
			return journalLine{}, false
		}
		ln.rec, ln.leaf = rec, bytes.Clone(arg)
	case 'd':
		ln.outcome = Outcome(arg)
		if ln.outcome != OutcomeOK && ln.outcome != OutcomeFailed {
			return journalLine{}, false
		}
	default:
		return journalLine{}, false
	}
	return ln, true
}

// observe asks the store whether an interrupted Put or Delete took effect.
func observe(ctx context.Context, s store.Store, r Record) (Outcome, error) {
	switch r := r.(type) {
	case Put:
		info, err := s.Stat(ctx, r.Key)
		if isNotExist(err) {
			return OutcomeFailed, nil
		}
		if err != nil {
			return "", err
		}
		if info.Size != r.Size {
			return OutcomeFailed, nil
		}
		if info.SHA256 != nil {
			if bytes.Equal(info.SHA256, r.SHA256[:]) {
				return OutcomeOK, nil
			}
			return OutcomeFailed, nil
		}
		sum, _, err := hashObject(ctx, s, r.Key, nil)
		if isNotExist(err) {
			return OutcomeFailed, nil
		}
		if err != nil {
			return "", err
		}
		if sum == r.SHA256 {
			return OutcomeOK, nil
		}
		return OutcomeFailed, nil
	case Delete:
		_, err := s.Stat(ctx, r.Key)
		if isNotExist(err) {
			return OutcomeOK, nil
		}
		if err != nil {
			return "", err
		}
		return OutcomeFailed, nil
	}
	return OutcomeOK, nil
}

// progressWriter reports the length of every write.
type progressWriter struct {
	io.Writer
	progress func(int64)
}

func (w progressWriter) Write(p []byte) (int, error) {
	n, err := w.Writer.Write(p)
	w.progress(int64(n))
	return n, err
}

// hashObject reads an object through SHA-256, telling progress (if not
// nil) of every piece read.
func hashObject(ctx context.Context, s store.Store, key string, progress func(int64)) ([32]byte, int64, error) {
	rc, err := s.Get(ctx, key, 0, -1)
	if err != nil {
		return [32]byte{}, 0, err
	}
	defer rc.Close()
	h := sha256.New()
	var w io.Writer = h
	if progress != nil {
		w = progressWriter{h, progress}
	}
	n, err := io.Copy(w, rc)
	if err != nil {
		return [32]byte{}, n, fmt.Errorf("read %s: %w", key, err)
	}
	var sum [32]byte
	h.Sum(sum[:0])
	return sum, n, nil
}
