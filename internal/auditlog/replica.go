package auditlog

import (
	"context"
	"encoding/hex"
	"slices"
	"strconv"
	"strings"
)

// What a replica needs from the log: a byte-identical copy of a vault (see
// internal/vaultcopy) holds exactly the objects the log says the vault
// holds at one checkpoint, and that checkpoint's log. Expect says what
// every key must hold; Published names the log's own objects.

// Content is one acceptable stored state of an object: the size and
// SHA-256 of the bytes handed to the store (the ciphertext in an encrypted
// vault).
type Content struct {
	Size   int64
	SHA256 [32]byte
}

// Expected is what the log says one key holds at its current checkpoint.
type Expected struct {
	// Contents are the states the object may be in. Usually one; more
	// when a PUT whose outcome is unknown may or may not have replaced it.
	Contents []Content
	// AbsentOK is true when the object may be absent: it was deleted, or
	// its only PUTs failed.
	AbsentOK bool
	// LastPut is the index of the key's last PUT record, or -1.
	LastPut int64
	// Last is the index of the key's last record, PUT or DELETE.
	Last int64
}

// Matches reports whether an object of this size and SHA-256 is one of the
// states the log allows.
func (e Expected) Matches(size int64, sum [32]byte) bool {
	return slices.Contains(e.Contents, Content{size, sum})
}

// Expect replays the first size records of the log (a size it has
// published, such as Published().Size) into what every key they mention
// should hold: the same replay an audit compares the store with. A log
// that does not match its signed tree is a *TamperError.
func Expect(ctx context.Context, l *Log, size int64) (map[string]Expected, error) {
	keys := map[string]*keyState{}
	for e, err := range l.Entries(ctx) {
		if err != nil {
			return nil, err
		}
		if e.Index >= size {
			break
		}
		if key, ok := recordKey(e.Record); ok {
			k := keys[key]
			if k == nil {
				k = &keyState{absentOK: true}
				keys[key] = k
			}
			k.apply(e)
		}
	}
	out := make(map[string]Expected, len(keys))
	for key, k := range keys {
		e := Expected{AbsentOK: k.absentOK, LastPut: -1}
		for _, c := range k.want {
			e.Contents = append(e.Contents, Content{c.size, c.sum})
		}
		if k.put != nil {
			e.LastPut = k.put.Index
		}
		e.Last = e.LastPut
		if k.del != nil && k.del.Index > e.Last {
			e.Last = k.del.Index
		}
		out[key] = e
	}
	return out, nil
}

// LogObject is one of the log's own objects in the vault.
type LogObject struct {
	Key  string
	Size int64
	// SHA256 of the stored bytes, as this computer read them when it
	// verified the object; nil when unknown.
	SHA256 []byte
}

// Published describes the log as the current checkpoint covers it: the
// objects a copy of the log consists of.
type Published struct {
	// Size is the number of records.
	Size int64
	// Checkpoint is the signed checkpoint, the content of both
	// CheckpointKey and CheckpointArchiveKey(Size). Nil for an empty log.
	Checkpoint []byte
	// Entries are the entries objects holding records [0, Size), in order.
	Entries []LogObject
}

// CheckpointKey is the key of the latest checkpoint, the one object of the
// log that is replaced rather than added.
const CheckpointKey = checkpointKey

// CheckpointArchiveKey names the immutable copy of the checkpoint of size n.
func CheckpointArchiveKey(n int64) string { return checkpointArchiveKey(n) }

// ParseCheckpointArchiveKey is the inverse of CheckpointArchiveKey.
func ParseCheckpointArchiveKey(key string) (int64, bool) {
	name, ok := strings.CutPrefix(key, checkpointsPrefix)
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseInt(name, 10, 64)
	if err != nil || n <= 0 || checkpointArchiveKey(n) != key {
		return 0, false
	}
	return n, true
}

// Published returns the log's objects at its current checkpoint.
func (l *Log) Published() Published {
	l.flushMu.Lock()
	defer l.flushMu.Unlock()
	cp := l.cp.Load()
	p := Published{Size: cp.Size}
	if cp.Size > 0 {
		p.Checkpoint = slices.Clone(cp.note)
	}
	for _, s := range l.segments {
		o := LogObject{Key: s.key(), Size: s.Size}
		if b, err := hex.DecodeString(s.SHA256); err == nil && len(b) == 32 {
			o.SHA256 = b
		}
		p.Entries = append(p.Entries, o)
	}
	return p
}
