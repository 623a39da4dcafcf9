package auditlog

import (
	"fmt"
	"os"
	"sync"

	"golang.org/x/mod/sumdb/tlog"
)

// hashFile is this computer's copy of the Merkle tree: the hashes tlog
// stores for each record (tlog.StoredHashes), 32 bytes each, in
// tlog.StoredHashIndex order. It lets the log compute roots and proofs
// without reading entries back from the vault.
//
// The file may hold more hashes than the local checkpoint covers (a flush
// that did not commit); openHashFile and reset cut it back. Hashes being
// added are kept in memory (tail) until sync writes them.
type hashFile struct {
	mu   sync.RWMutex
	f    *os.File
	disk int64       // hashes written to the file
	tail []tlog.Hash // hashes [disk, disk+len(tail)) not yet written
}

func openHashFile(path string, want int64) (*hashFile, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if fi.Size() < want*tlog.HashSize {
		f.Close()
		return nil, fmt.Errorf("local tree %s holds %d hashes, the local checkpoint needs %d", path, fi.Size()/tlog.HashSize, want)
	}
	if err := f.Truncate(want * tlog.HashSize); err != nil {
		f.Close()
		return nil, err
	}
	return &hashFile{f: f, disk: want}, nil
}

// count returns the number of hashes available.
func (h *hashFile) count() int64 {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return h.disk + int64(len(h.tail))
}

// ReadHashes implements tlog.HashReader.
func (h *hashFile) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	h.mu.RLock()
	defer h.mu.RUnlock()
	out := make([]tlog.Hash, len(indexes))
	for i, x := range indexes {
		switch {
		case x < 0 || x >= h.disk+int64(len(h.tail)):
			return nil, fmt.Errorf("local tree: no hash %d (have %d)", x, h.disk+int64(len(h.tail)))
		case x >= h.disk:
			out[i] = h.tail[x-h.disk]
		default:
			if _, err := h.f.ReadAt(out[i][:], x*tlog.HashSize); err != nil {
				return nil, fmt.Errorf("local tree: %w", err)
			}
		}
	}
	return out, nil
}

// add appends the stored hashes for record n, whose leaf is data. The
// hashes must be present for records [0, n).
func (h *hashFile) add(n int64, data []byte) error {
	if got, want := h.count(), tlog.StoredHashIndex(0, n); got != want {
		return fmt.Errorf("local tree: adding record %d to %d hashes", n, got)
	}
	hs, err := tlog.StoredHashes(n, data, h)
	if err != nil {
		return err
	}
	h.mu.Lock()
	h.tail = append(h.tail, hs...)
	h.mu.Unlock()
	return nil
}

// sync writes the hashes kept in memory and fsyncs the file.
func (h *hashFile) sync() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.tail) == 0 {
		return nil
	}
	buf := make([]byte, 0, len(h.tail)*tlog.HashSize)
	for _, x := range h.tail {
		buf = append(buf, x[:]...)
	}
	if _, err := h.f.WriteAt(buf, h.disk*tlog.HashSize); err != nil {
		return fmt.Errorf("local tree: %w", err)
	}
	if err := h.f.Sync(); err != nil {
		return fmt.Errorf("local tree: %w", err)
	}
	h.disk += int64(len(h.tail))
	h.tail = h.tail[:0]
	return nil
}

// reset cuts the tree back to n hashes, dropping anything after them.
func (h *hashFile) reset(n int64) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.tail = nil
	if n > h.disk {
		return fmt.Errorf("local tree: cannot grow from %d to %d hashes", h.disk, n)
	}
	if err := h.f.Truncate(n * tlog.HashSize); err != nil {
		return fmt.Errorf("local tree: %w", err)
	}
	h.disk = n
	return nil
}

func (h *hashFile) close() error { return h.f.Close() }
