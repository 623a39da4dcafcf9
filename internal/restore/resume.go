package restore

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"os"
	"path/filepath"
	"strconv"

	"github.com/tunesafe/tunesafe/internal/vault"
)

// Resumption: a file is written under a name derived from what it will
// become, so that a restore run after an interrupted one finds the part
// already downloaded and fetches only the rest.
//
// A file stored without a layout is the concatenation of its blobs, so a
// prefix of it made of whole blobs can be checked blob by blob against
// their IDs, which are keyed hashes (HMAC in an encrypted vault) of the
// plaintext: only the vault can have made such a prefix. Checking needs
// each blob's length, which the vault does not record (trees and lists
// name blobs only), and which cannot be found again from the bytes: the
// backup cut the file into regions (tags, pictures, audio) with a format
// parser before chunking each region, so re-chunking a truncated file
// would not find the region boundaries, and the stored size of an
// encrypted blob is not its length. So the restore records the lengths
// itself, as it writes: beside the partial file ".tunesafe-<key>.part" is
// ".tunesafe-<key>.blobs", one decimal length a line, a line appended after
// each blob is written. The record is only a guide: a rerun keeps the
// longest run of whole blobs that the record names and whose contents hash
// to the file's blob IDs in order, truncates the partial file after it,
// and downloads the remaining blobs. A torn record, a record ahead of the
// data after a power cut, a flipped byte or a partial file longer than
// the file all end the kept prefix early (at worst at zero). The kept
// prefix is fed to the file's SHA-256 like downloaded bytes, and nothing
// takes its final name before the whole-file check.
//
// A file with a layout (Ogg files, "ogg1") is rebuilt by a Rebuilder from
// the concatenation of its blobs; resuming it would need the rebuild's
// state at the cut, so it always restarts from zero, and its partial file
// is removed when it fails; so is a file of a single blob (resumable).
//
// The key is a hash of the file's SHA-256 and its name: the same name with
// other content is another partial, and two entries of one folder with the
// same content, restored by two workers at once, write two partial files.
//
// Partial files stay when a restore is interrupted (killed, cancelled) or
// fails on the network, and are removed when their file fails for another
// reason (damaged vault, content mismatch, the target's disk). At the start
// of a restore, the leftovers in each folder it writes to are removed,
// except the partial files of any plain file the snapshot holds in that
// folder, selected this time or not: a user who restores one part of a
// folder, is interrupted, restores another part, then the first again,
// still resumes. A partial file whose file is found already in place is
// removed then.

const (
	partSuffix, blobsSuffix = ".part", ".blobs"
	keyLen                  = 24 // hex digits of a partial file's key
)

// partialBase returns the local path, without suffix, of the partial
// files of the plain file at lp.
func partialBase(lp string, n *vault.Node) string {
	h := sha256.New()
	h.Write([]byte(n.SHA256))
	h.Write([]byte{0})
	h.Write([]byte(n.FileName()))
	return filepath.Join(filepath.Dir(lp), tempPrefix+hex.EncodeToString(h.Sum(nil))[:keyLen])
}

// notePartial marks the partial files of e, a file of a folder the
// restore reads, as not leftovers (see removeLeftovers).
func (p *plan) notePartial(e entry) {
	if !resumable(&e.node) {
		return
	}
	if p.partials == nil {
		p.partials = map[string]bool{}
	}
	p.partials[partialBase(e.lp, &e.node)] = true
}

// resumable reports whether the file of n can resume: it has no layout,
// and more than one blob (one that has a single blob, at most the chunker's
// largest, is not worth the record's cost in a library of small files).
func resumable(n *vault.Node) bool {
	return n.Layout == "" && (len(n.Blobs) > 1 || len(n.Lists) > 0)
}

// partial is a file being written under its temporary name, with the
// record of its blobs' lengths (nil when it cannot resume). Each Write
// is one whole blob: fetchBlobs writes a blob in one call.
type partial struct {
	tg         *target
	name, rec  string // local paths of the partial file and its record
	f, recFile *os.File
	kept       int64     // bytes found already written and verified
	next       int       // index in the file's blobs of the first to fetch
	sum        hash.Hash // SHA-256 of the bytes written so far
}

// openPartial opens the file n at lp is written to: the verified prefix of
// a partial file an earlier run left, for a plain file, or a new empty one.
func (tg *target) openPartial(v *vault.Vault, lp string, n *vault.Node, blobs []vault.ID) (*partial, error) {
	base := partialBase(lp, n)
	p := &partial{tg: tg, name: base + partSuffix, rec: base + blobsSuffix, sum: sha256.New()}
	if resumable(n) && p.resume(v, n, blobs) {
		return p, nil
	}
	p.sum.Reset()
	p.kept, p.next = 0, 0
	tg.root.Remove(p.name)
	tg.root.Remove(p.rec)
	// O_EXCL, here and in resume: never a file or symlink someone else put
	// there in the meantime.
	f, err := tg.root.OpenFile(p.name, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, local(err)
	}
	p.f = f
	if resumable(n) {
		if p.recFile, err = tg.root.OpenFile(p.rec, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600); err != nil {
			p.close(false)
			return nil, local(err)
		}
	}
	return p, nil
}

// resume opens the partial file of n, keeps its verified prefix (see the
// top of this file) and reports whether there was one. On false, nothing
// is open.
func (p *partial) resume(v *vault.Vault, n *vault.Node, blobs []vault.ID) bool {
	root := p.tg.root
	fi, err := root.Lstat(p.name)
	if err != nil || !fi.Mode().IsRegular() || fi.Size() == 0 {
		return false
	}
	ri, err := root.Lstat(p.rec)
	if err != nil || !ri.Mode().IsRegular() || ri.Size() > 1<<20 {
		return false
	}
	record, err := root.ReadFile(p.rec)
	if err != nil {
		return false
	}
	f, err := root.OpenFile(p.name, os.O_RDWR, 0)
	if err != nil {
		return false
	}
	// The name may have changed hands between Lstat and OpenFile (os.Root
	// follows a symlink that stays inside the target): write only into
	// the regular file that was checked.
	if oi, err := f.Stat(); err != nil || !os.SameFile(fi, oi) {
		f.Close()
		return false
	}
	var sizes []int64
	var buf []byte
	lines := bufio.NewScanner(bytes.NewReader(record))
	for i := 0; lines.Scan() && i < len(blobs); i++ {
		size, err := strconv.ParseInt(lines.Text(), 10, 64)
		if err != nil || size <= 0 || p.kept+size > n.Size || p.kept+size > fi.Size() {
			break
		}
		if int64(cap(buf)) < size {
			buf = make([]byte, size)
		}
		data := buf[:size]
		if _, err := f.ReadAt(data, p.kept); err != nil || v.Hasher().Sum(data) != blobs[i] {
			break
		}
		p.sum.Write(data)
		p.kept += size
		p.next++
		sizes = append(sizes, size)
	}
	if p.kept == 0 {
		f.Close()
		return false
	}
	p.f = f
	if _, err := f.Seek(p.kept, 0); err != nil || f.Truncate(p.kept) != nil {
		p.close(false)
		return false
	}
	// A new record, naming the kept blobs only.
	root.Remove(p.rec)
	rf, err := root.OpenFile(p.rec, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		p.close(false)
		return false
	}
	p.recFile = rf
	for _, s := range sizes {
		if err := p.record(s); err != nil {
			p.close(false)
			return false
		}
	}
	return true
}

// Write writes one blob and records its length.
func (p *partial) Write(b []byte) (int, error) {
	n, err := p.f.Write(b)
	if err != nil {
		return n, local(err)
	}
	p.sum.Write(b)
	if p.recFile != nil {
		if err := p.record(int64(len(b))); err != nil {
			return n, err
		}
	}
	return n, nil
}

func (p *partial) record(size int64) error {
	_, err := fmt.Fprintf(p.recFile, "%d\n", size)
	return local(err)
}

// close closes the partial file and its record; it removes both unless
// keep is set and the file can resume (it has a record).
func (p *partial) close(keep bool) {
	if p.f != nil {
		p.f.Close()
	}
	if p.recFile != nil {
		p.recFile.Close()
	}
	if !keep || p.recFile == nil {
		p.tg.root.Remove(p.name)
		p.tg.root.Remove(p.rec)
	}
}

// worthKeeping reports whether the partial file of a file that failed with
// err is kept for the next run: yes when the restore was interrupted or
// the vault could not be read for the moment (a dropped line); no when the
// vault's object is damaged or the content came out wrong (running again
// does not help), or the target failed, so that a full disk gets its space
// back.
func worthKeeping(ctx context.Context, err error) bool {
	var te *TargetError
	var le *localError
	var de *DamagedError
	var me *mismatchError
	switch {
	case errors.As(context.Cause(ctx), &te), errors.As(err, &te), errors.As(err, &le), errors.As(err, &de), errors.As(err, &me):
		return false
	}
	return true
}

// renamed ends p once its file has its final name: the record goes.
func (p *partial) renamed() {
	if p.recFile != nil {
		p.recFile.Close()
		p.tg.root.Remove(p.rec)
	}
}

// removePartial removes the partial files of the plain file at lp, found
// already in place.
func (tg *target) removePartial(lp string, n *vault.Node) {
	base := partialBase(lp, n)
	tg.root.Remove(base + partSuffix)
	tg.root.Remove(base + blobsSuffix)
}

// skipShared counts the blobs found in a partial file as used, so that
// sharedBlobs does not keep them for a use that never comes. (A blob named
// by a list is counted too: should it also be another file's direct blob,
// it is at worst dropped early and downloaded again.)
func skipShared(sh *sharedBlobs, blobs []vault.ID) {
	if sh == nil {
		return
	}
	for _, id := range blobs {
		sh.used(id)
	}
}
