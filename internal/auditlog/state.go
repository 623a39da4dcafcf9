package auditlog

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
)

// The local state directory (one per vault) holds:
//
//	state.json    the commit point: last verified checkpoint, the journal
//	              generation already published, the segment manifest
//	tree          the Merkle tree's stored hashes (hashFile)
//	journal/<gen> records not yet published (journal.go)
//	audit.json    the sampling counter of Audit
//
// state.json is replaced atomically (temp file, fsync, rename, fsync of the
// directory), so after a crash it describes either the state before a flush
// or the state after it; the tree file is cut back to what it covers.
const (
	stateFile  = "state.json"
	treeFile   = "tree"
	journalDir = "journal"
	auditFile  = "audit.json"
)

// localState is the content of state.json.
type localState struct {
	// Checkpoint is the last checkpoint verified or published by this
	// computer, as the signed note; "" when it has none.
	Checkpoint string `json:"checkpoint"`
	// Journal: journal files with this generation or lower are published.
	Journal uint64 `json:"journal"`
	// Segments lists the entries objects that make up the log, in order,
	// covering records [0, checkpoint size).
	Segments []segment `json:"segments"`
}

// segment describes one immutable entries object in the vault.
type segment struct {
	First int64 `json:"first"`
	Count int64 `json:"count"`
	// Size and SHA256 are those of the stored object (after the Codec),
	// checked cheaply against the provider's listing.
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

func (s segment) key() string { return segmentKey(s.First, s.Count) }

func loadState(dir string) (localState, error) {
	var st localState
	b, err := os.ReadFile(filepath.Join(dir, stateFile))
	if errors.Is(err, fs.ErrNotExist) {
		return st, nil
	}
	if err != nil {
		return st, err
	}
	if err := json.Unmarshal(b, &st); err != nil {
		return st, fmt.Errorf("%s: %w", filepath.Join(dir, stateFile), err)
	}
	return st, nil
}

func saveState(dir string, st localState) error {
	b, err := json.MarshalIndent(st, "", "\t")
	if err != nil {
		return err
	}
	return writeFileAtomic(filepath.Join(dir, stateFile), append(b, '\n'))
}

// auditState is the content of audit.json.
type auditState struct {
	// SampleRun counts sampled audits; run r checks hash bucket r mod B.
	SampleRun uint64 `json:"sample_run"`
}

func loadAuditState(dir string) (auditState, error) {
	var st auditState
	b, err := os.ReadFile(filepath.Join(dir, auditFile))
	if errors.Is(err, fs.ErrNotExist) {
		return st, nil
	}
	if err != nil {
		return st, err
	}
	if err := json.Unmarshal(b, &st); err != nil {
		return st, fmt.Errorf("%s: %w", filepath.Join(dir, auditFile), err)
	}
	return st, nil
}

func saveAuditState(dir string, st auditState) error {
	b, err := json.Marshal(st)
	if err != nil {
		return err
	}
	return writeFileAtomic(filepath.Join(dir, auditFile), append(b, '\n'))
}

// writeFileAtomic replaces path with data: a reader, or the next run after
// a crash, sees the old content or the new, never a mix.
func writeFileAtomic(path string, data []byte) (err error) {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if _, err = f.Write(data); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	if err = os.Rename(f.Name(), path); err != nil {
		return err
	}
	return syncDir(dir)
}

// syncDir makes a directory's entries (a rename, a new file) durable.
// Windows has no way to fsync a directory; NTFS journals renames.
func syncDir(dir string) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
