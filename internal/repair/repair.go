// Package repair puts back what a storage provider lost or corrupted, from
// a copy of the vault (a replica made by package vaultcopy) or from the
// local files it was cut from.
//
// A copy gives back any object, byte for byte as first stored, and is
// never trusted: the vault's log records the SHA-256 of every object's
// stored bytes, and a copy's object is written back only when its bytes
// hash to that record (Options.Copies). What no copy gives back is looked
// for in the local files.
//
// Content IDs make this safe. A blob is named by the hash of its plaintext,
// so bytes that hash to a damaged blob's ID are that blob, wherever they
// come from. Repair finds the files whose tree entries name a damaged blob
// (walking the trees of every readable snapshot, and mapping each snapshot's
// root entries back to the source folders it was taken from), cuts every
// such file that still exists exactly as a backup does (backup.FileChunks),
// and stores each piece whose ID is damaged, over whatever the provider
// holds under its key. A file edited since the backup still gives back the
// regions the edit left alone: a retagged track its audio.
//
// Only blobs are cut from files. Trees and snapshots describe a backup, not
// a file: a new backup writes again the tree of every folder that has not
// changed since (once the local cache forgets that the tree was stored),
// and a lost snapshot is gone. Key files, the log and anything else are
// reported, never guessed at. FORMAT.md, which every program version can
// write, and tunesafe.json, which the caller can make again, are written
// again whole from Options.Rewrite.
//
// Repair writes through the vault's store, so on a logged store every PUT it
// makes is in the tamper-evident log and the next audit finds the object
// intact again.
package repair

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"strings"

	"github.com/tunesafe/tunesafe/internal/backup"
	"github.com/tunesafe/tunesafe/internal/locks"
	"github.com/tunesafe/tunesafe/internal/split"
	"github.com/tunesafe/tunesafe/internal/store"
	"github.com/tunesafe/tunesafe/internal/vault"
)

// Damage is one object to repair, as an audit found it.
type Damage struct {
	Key string `json:"key"`
	// Class is how the object is damaged ("lost", "corrupted"); repair
	// treats all classes alike and carries this into the result.
	Class string `json:"class"`
	// SHA256 is the hex SHA-256 of the bytes the log records as stored
	// under Key, or "" when it records none: with it, a copy's object
	// (Options.Copies) is known to be the one lost.
	SHA256 string `json:"-"`
}

// Options configure a repair. Splitter and Rebuilders must be the ones the
// backups used (backup.Options), or files are cut differently and give
// nothing back.
type Options struct {
	Splitter   split.Splitter
	Rebuilders map[string]split.Rebuilder
	// DryRun reads and cuts the files but stores nothing: the result says
	// what would be repaired.
	DryRun bool
	// Rewrite holds, by key, objects written again whole when they are
	// lost or corrupted: FORMAT.md, and tunesafe.json rebuilt after the
	// provider lost it.
	Rewrite map[string]Rewrite
	// Forget, if set, records as gone a lost object that nothing needs
	// (the caller writes a logged DELETE, which the audit then shows as the
	// user's): a coordination object (a lock, a prune marker; damage of
	// class "note" or "lost"), and a lost blob or tree that no readable
	// snapshot references, once every snapshot and tree could be read. A
	// lost snapshot is a backup, and is never forgotten. Not called in a
	// dry run.
	Forget func(ctx context.Context, key string) error
	// Copies are other locations holding the vault's objects as stored:
	// replicas made by 'tunesafe copy'. A damaged object whose stored
	// bytes the log records (Damage.SHA256) is put back from the first
	// copy holding exactly those bytes, whatever it is: a tree, a snapshot
	// or a key file as well as a blob. Local files are cut only for the
	// blobs no copy gives back.
	Copies []Copy
}

// Copy is a location holding the vault's objects as stored, read only.
type Copy struct {
	// Name says where it is, for the report.
	Name  string
	Store store.Store
}

// Rewrite is the content of an object repair writes again whole.
type Rewrite struct {
	Data []byte
	// From says where Data comes from, for the report; it may be empty.
	From string
}

// Result says what was repaired and what could not be, sorted by key.
type Result struct {
	Damaged    int          `json:"damaged"`
	Repaired   []Repaired   `json:"repaired"`   // never nil, so an empty list in JSON
	Unrepaired []Unrepaired `json:"unrepaired"` // never nil
	// Forgotten are the lost objects recorded as gone (Options.Forget),
	// or that would be, in a dry run.
	Forgotten []Forgotten `json:"forgotten,omitempty"`
	// Unreadable names the snapshots and trees that could not be read:
	// the files below them could not be looked for.
	Unreadable []string `json:"unreadable,omitempty"`
	DryRun     bool     `json:"dry_run"`
}

// Repaired is an object stored again (or that would be, in a dry run).
type Repaired struct {
	Key   string `json:"key"`
	Class string `json:"class"`
	// From is the local file the blob was cut from again, the copy it
	// was copied back from (Options.Copies), or for an object rewritten
	// whole (Options.Rewrite) where its content came from; it may be
	// empty.
	From string `json:"from,omitempty"`
	// Size is the object's plaintext size; for an object copied back, its
	// size as stored.
	Size int `json:"size"`
}

// Forgotten is a lost object that nothing needs, recorded as gone.
type Forgotten struct {
	Key    string `json:"key"`
	Class  string `json:"class"`
	Reason string `json:"reason"`
}

// Unrepaired is an object that stays damaged, and why.
type Unrepaired struct {
	Key    string `json:"key"`
	Class  string `json:"class"`
	Reason string `json:"reason"`
	// Files are the local files that held the blob when it was backed
	// up, each with why it could not give it back.
	Files []Attempt `json:"files,omitempty"`
	// Copies are the copies looked at (Options.Copies), each with why it
	// could not give the object back.
	Copies []Attempt `json:"copies,omitempty"`
}

// Attempt is one local file that was looked at for a blob.
type Attempt struct {
	Path    string `json:"path"`
	Problem string `json:"problem"`
}

// Reasons for objects that stay damaged.
const (
	ReasonTree = "trees are not cut from files: a new backup ('tunesafe backup') writes the tree of every folder that has not changed since, " +
		"from this computer or from any other that has run 'tunesafe verify' since; snapshots that need a tree of a folder that has changed stay damaged"
	ReasonSnapshot = "a lost snapshot cannot be re-created: make a new one with 'tunesafe backup'"
	ReasonKeys     = "a key file cannot be re-created from local files; while the passphrase opens another key file, 'tunesafe passwd' writes a new one"
	ReasonLog      = "part of the tamper-evident log, which cannot be re-created; the audit keeps reporting it"
	ReasonOther    = "not an object repair can re-create"
	ReasonLibrary  = "part of a snapshot's music-library view, which is not cut from a file: the next 'tunesafe backup --library' writes a new one"
	ReasonNoFile   = "no file on this computer holds it any more"
	ReasonNoRef    = "no snapshot references it, so no restore needs it"
	ReasonHidden   = "no readable snapshot references it: it may belong to a file below an unreadable snapshot or tree"
)

// Why a lost object was forgotten (Options.Forget).
const (
	ForgetCoordination = "a coordination object (a lock or prune marker), which holds no data"
	ForgetUnreferenced = "no snapshot references it"
)

// Problems of a copy.
const (
	ProblemNotInCopy   = "the copy does not hold it"
	ProblemCopyDiffers = "the copy holds other bytes than the log records"
	ProblemNoRecord    = "the log records no SHA-256 for it, so no copy can be trusted for it"
)

// Problems of a local file.
const (
	ProblemMissing   = "the file is not on this computer (any more)"
	ProblemChanged   = "the file changed since the backup and no longer holds this piece"
	ProblemDifferent = "the file is unchanged, but this version of Tunesafe cuts it differently from the one that backed it up"
)

// blobState tracks one damaged blob.
type blobState struct {
	d        Damage
	library  bool
	files    []Attempt
	repaired bool
}

// candidate is a local file that held damaged blobs when it was backed up.
type candidate struct {
	path string
	// ids are the damaged blobs its nodes name.
	ids map[vault.ID]struct{}
	// sums are the SHA-256s its nodes record.
	sums map[string]struct{}
}

// Run repairs the damaged objects of v. An error from the vault's store
// (other than an unreadable snapshot or tree) stops the repair and is
// returned with what was done until then.
func Run(ctx context.Context, v *vault.Vault, damaged []Damage, o Options) (*Result, error) {
	res := &Result{Damaged: len(damaged), DryRun: o.DryRun, Repaired: []Repaired{}, Unrepaired: []Unrepaired{}}
	blobs := map[vault.ID]*blobState{}
	forgettable := func(d Damage) bool { return o.Forget != nil && (d.Class == "lost" || d.Class == "note") }
	forget := func(d Damage, why string) error {
		if !o.DryRun {
			if err := o.Forget(ctx, d.Key); err != nil {
				return fmt.Errorf("record %s as gone: %w", d.Key, err)
			}
		}
		res.Forgotten = append(res.Forgotten, Forgotten{Key: d.Key, Class: d.Class, Reason: why})
		return nil
	}
	var lostTrees []Damage
	tried := map[string][]Attempt{}
	for _, d := range damaged {
		// A lock is a running command's, never a copy's to give back.
		if len(o.Copies) > 0 && !strings.HasPrefix(d.Key, locks.Prefix) {
			from, size, attempts, err := fromCopies(ctx, v, d, o)
			if err != nil {
				return res.sorted(), err
			}
			if from != "" {
				res.Repaired = append(res.Repaired, Repaired{Key: d.Key, Class: d.Class, From: from, Size: size})
				continue
			}
			tried[d.Key] = attempts
		}
		if id, ok := blobID(d.Key); ok {
			blobs[id] = &blobState{d: d}
			continue
		}
		if forgettable(d) && coordination(d.Key) {
			if err := forget(d, ForgetCoordination); err != nil {
				return res.sorted(), err
			}
			continue
		}
		if _, tree, ok := vault.ParseObjectKey(d.Key); ok && tree && forgettable(d) {
			lostTrees = append(lostTrees, d)
			continue
		}
		if rw, ok := o.Rewrite[d.Key]; ok && len(rw.Data) > 0 {
			if !o.DryRun {
				if err := v.Store().Put(ctx, d.Key, rw.Data); err != nil {
					return res.sorted(), fmt.Errorf("write %s: %w", d.Key, err)
				}
			}
			res.Repaired = append(res.Repaired, Repaired{Key: d.Key, Class: d.Class, From: rw.From, Size: len(rw.Data)})
			continue
		}
		res.Unrepaired = append(res.Unrepaired, Unrepaired{Key: d.Key, Class: d.Class, Reason: reasonFor(d.Key)})
	}
	r := refs{trees: map[vault.ID]bool{}}
	if len(blobs) > 0 || len(lostTrees) > 0 {
		cands, err := find(ctx, v, blobs, res, &r)
		if err != nil {
			return res.sorted(), err
		}
		for _, c := range cands {
			if err := repairFrom(ctx, v, c, blobs, o, res); err != nil {
				return res.sorted(), err
			}
		}
	}
	// Nothing needs a tree no readable snapshot names, when every
	// snapshot and tree could be read (one that could not may name it).
	for _, d := range lostTrees {
		id, _, _ := vault.ParseObjectKey(d.Key)
		if !r.trees[id] && len(res.Unreadable) == 0 {
			if err := forget(d, ForgetUnreferenced); err != nil {
				return res.sorted(), err
			}
			continue
		}
		res.Unrepaired = append(res.Unrepaired, Unrepaired{Key: d.Key, Class: d.Class, Reason: ReasonTree})
	}
	for _, b := range blobs {
		if b.repaired {
			continue
		}
		u := Unrepaired{Key: b.d.Key, Class: b.d.Class, Files: b.files}
		switch {
		case len(b.files) > 0:
			u.Reason = ReasonNoFile
		case b.library:
			u.Reason = ReasonLibrary
		case len(res.Unreadable) > 0:
			u.Reason = ReasonHidden
		default:
			u.Reason = ReasonNoRef
			if forgettable(b.d) && !r.listUnreadable {
				if err := forget(b.d, ForgetUnreferenced); err != nil {
					return res.sorted(), err
				}
				continue
			}
		}
		res.Unrepaired = append(res.Unrepaired, u)
	}
	for i := range res.Unrepaired {
		res.Unrepaired[i].Copies = tried[res.Unrepaired[i].Key]
	}
	return res.sorted(), nil
}

// fromCopies puts back d from the first copy that holds the bytes the log
// records, and returns the copy's name and the object's size; or "" and
// why each copy could not give it back. Only an error writing to the vault
// is returned as an error: a copy that cannot be read is one attempt.
func fromCopies(ctx context.Context, v *vault.Vault, d Damage, o Options) (from string, size int, attempts []Attempt, err error) {
	if d.SHA256 == "" {
		for _, c := range o.Copies {
			attempts = append(attempts, Attempt{Path: c.Name, Problem: ProblemNoRecord})
		}
		return "", 0, attempts, nil
	}
	for _, c := range o.Copies {
		data, err := store.ReadAll(ctx, c.Store, d.Key)
		switch {
		case ctx.Err() != nil:
			return "", 0, attempts, ctx.Err()
		case errors.Is(err, fs.ErrNotExist):
			attempts = append(attempts, Attempt{Path: c.Name, Problem: ProblemNotInCopy})
			continue
		case err != nil:
			attempts = append(attempts, Attempt{Path: c.Name, Problem: err.Error()})
			continue
		}
		if sum := sha256.Sum256(data); hex.EncodeToString(sum[:]) != d.SHA256 {
			attempts = append(attempts, Attempt{Path: c.Name, Problem: ProblemCopyDiffers})
			continue
		}
		if !o.DryRun {
			if err := v.Store().Put(ctx, d.Key, data); err != nil {
				return "", 0, attempts, fmt.Errorf("write %s: %w", d.Key, err)
			}
		}
		return c.Name, len(data), nil, nil
	}
	return "", 0, attempts, nil
}

func (r *Result) sorted() *Result {
	slices.SortFunc(r.Repaired, func(a, b Repaired) int { return strings.Compare(a.Key, b.Key) })
	slices.SortFunc(r.Unrepaired, func(a, b Unrepaired) int { return strings.Compare(a.Key, b.Key) })
	slices.SortFunc(r.Forgotten, func(a, b Forgotten) int { return strings.Compare(a.Key, b.Key) })
	slices.Sort(r.Unreadable)
	r.Unreadable = slices.Compact(r.Unreadable)
	return r
}

// blobID returns the ID of a blob key "blobs/<xx>/<id>".
func blobID(key string) (vault.ID, bool) {
	id, tree, ok := vault.ParseObjectKey(key)
	return id, ok && !tree
}

// coordination reports whether key is a coordination object: a lock or a
// prune marker (docs/FORMAT.md, "Coordination objects").
func coordination(key string) bool {
	return strings.HasPrefix(key, locks.Prefix) || strings.HasPrefix(key, vault.PrunesPrefix)
}

func reasonFor(key string) string {
	switch {
	case strings.HasPrefix(key, "trees/"):
		return ReasonTree
	case strings.HasPrefix(key, "snapshots/"):
		return ReasonSnapshot
	case strings.HasPrefix(key, vault.KeysPrefix):
		return ReasonKeys
	case strings.HasPrefix(key, "log/"):
		return ReasonLog
	}
	return ReasonOther
}

// repairFrom cuts one local file and stores the damaged blobs it yields.
func repairFrom(ctx context.Context, v *vault.Vault, c *candidate, blobs map[vault.ID]*blobState, o Options, res *Result) error {
	pending := false
	for id := range c.ids {
		if !blobs[id].repaired {
			pending = true
		}
	}
	if !pending {
		return nil
	}
	attempt := func(problem string) {
		for id := range c.ids {
			if b := blobs[id]; !b.repaired {
				b.files = append(b.files, Attempt{Path: c.path, Problem: problem})
			}
		}
	}
	if _, err := os.Stat(c.path); errors.Is(err, fs.ErrNotExist) {
		attempt(ProblemMissing)
		return nil
	}
	var storeErr error
	node, err := backup.FileChunks(v, o.Splitter, o.Rebuilders, c.path, func(id vault.ID, data []byte) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		b := blobs[id]
		if b == nil || b.repaired {
			return nil
		}
		if !o.DryRun {
			if _, err := v.PutBlob(ctx, id, data); err != nil {
				storeErr = fmt.Errorf("store %s: %w", b.d.Key, err)
				return storeErr
			}
		}
		b.repaired = true
		res.Repaired = append(res.Repaired, Repaired{Key: b.d.Key, Class: b.d.Class, From: c.path, Size: len(data)})
		return nil
	})
	switch {
	case storeErr != nil:
		return storeErr
	case ctx.Err() != nil:
		return ctx.Err()
	case errors.Is(err, fs.ErrNotExist):
		attempt(ProblemMissing)
	case err != nil:
		attempt(err.Error())
	default:
		if _, same := c.sums[node.SHA256]; same {
			attempt(ProblemDifferent)
		} else {
			attempt(ProblemChanged)
		}
	}
	return nil
}
