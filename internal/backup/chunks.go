package backup

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/tunesafe/tunesafe/internal/chunker"
	"github.com/tunesafe/tunesafe/internal/split"
	"github.com/tunesafe/tunesafe/internal/state"
	"github.com/tunesafe/tunesafe/internal/vault"
)

// FileChunks reads the file at path and cuts it into blobs exactly as a
// backup pass does: the same plan (splitter and rebuilders as in Options,
// including the check that a stored-stream layout rebuilds the file and the
// fallback to plain chunking when it does not), the vault's chunker
// parameters, a fresh chunker state for every region, and the vault's
// content IDs. It calls fn with every blob in order, each list after the
// blobs it names; data is valid only
// during the call, and an error from fn stops the reading. It returns the
// file's node as a backup records it, without name, mode and time.
//
// Repairs rely on it: a blob a tree names can be re-created, byte for byte,
// from a local file that still holds the same bytes in the same region.
func FileChunks(v *vault.Vault, splitter split.Splitter, rebuilders map[string]split.Rebuilder, path string, fn func(id vault.ID, data []byte) error) (*vault.Node, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: not a regular file", path)
	}
	size := fi.Size()
	changed := fmt.Errorf("%s: %w", path, errChanged)

	hp := makePlan(splitter, rebuilders, path, f, size, state.Stat{})
	p := hp.plan
	ch := chunker.New(nil, v.Config().Chunker)
	h := v.Hasher()
	var fb fileBlobs
	chunk := func(reg split.Region, src io.Reader) error {
		var ids []vault.ID
		err := cutRegion(ch, reg.Kind, reg.Length, src, func(data []byte) error {
			id := h.Sum(data)
			if err := fn(id, data); err != nil {
				return err
			}
			ids = append(ids, id)
			return nil
		})
		if err != nil {
			return err
		}
		return fb.add(h, reg.Kind, ids, fn)
	}
	var sum []byte
	layout := ""
	if p.Layout != "" {
		// Check, while chunking the stored stream, that it rebuilds the
		// file.
		sum = hp.sum
		if sum == nil {
			if sum, err = hashFile(f, size, &Progress{}); errors.Is(err, errChanged) {
				return nil, changed
			} else if err != nil {
				return nil, err
			}
		}
		ok, err := chunkStream(p, rebuilders[p.Layout], sum, chunk)
		if err != nil {
			return nil, err
		}
		if ok {
			layout = p.Layout
		} else {
			fb = fileBlobs{}
			p = split.Whole(size, split.Data)
		}
	}
	if layout == "" {
		fileHash := sha256.New()
		counted := &countingReader{r: io.NewSectionReader(f, 0, size), p: &Progress{}}
		src := io.TeeReader(counted, fileHash)
		for _, reg := range p.Regions {
			if err := chunk(reg, io.LimitReader(src, reg.Length)); err != nil {
				return nil, err
			}
		}
		if counted.n != size {
			return nil, changed
		}
		var one [1]byte
		if n, _ := f.ReadAt(one[:], size); n > 0 {
			return nil, changed
		}
		sum = fileHash.Sum(nil)
	}
	return &vault.Node{
		Type: vault.TypeFile, Size: size,
		SHA256: hex.EncodeToString(sum),
		Layout: layout, Blobs: fb.blobs, Lists: fb.lists,
	}, nil
}

// SourcePath returns the local path that the root-tree entry called name
// of snap was backed up from: the snapshot's source path of that name, or,
// for files backed up on their own from outside every source path
// (Options.Files), the folder of that name at the filesystem root.
func SourcePath(snap *vault.Snapshot, name string) string {
	for _, p := range snap.Paths {
		if rootName(p) == name {
			return p
		}
	}
	return rootPrefix(name) + name
}
