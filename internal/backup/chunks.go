package backup

import (
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

	hp := makePlan(splitter, rebuilders, path, f, size, state.Stat{})
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
	sum, layout, err := cutFile(hp, f, size, rebuilders, &Progress{}, chunk, func() { fb = fileBlobs{} })
	if errors.Is(err, errChanged) {
		return nil, fmt.Errorf("%s: %w", path, errChanged)
	}
	if err != nil {
		return nil, err
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
		if vault.RootName(p) == name {
			return p
		}
	}
	return rootPrefix(name) + name
}
