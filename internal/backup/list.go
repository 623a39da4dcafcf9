package backup

import (
	"github.com/tunesafe/tunesafe/internal/split"
	"github.com/tunesafe/tunesafe/internal/vault"
)

// minListBlobs is the number of blobs from which a data region (a file no
// splitter understood, or bytes of unknown meaning in one it did) is
// stored through a list (vault/list.go): its blob IDs then sit in one
// small blob, and the file's tree entry, sent again on every edit in its
// folder, names the list alone.
const minListBlobs = 2

// fileBlobs collects a file's blobs region by region, as a node names them.
type fileBlobs struct {
	blobs []vault.ID
	lists []int
}

// add appends the blobs of one region, replacing them by a list when the
// region qualifies; emit stores the list blob. Backup and repair both cut
// through here, so that a file always gives the same blobs.
//
// An audio region is always stored through a list, even a list of one
// blob: a file's lists are then exactly its audio, which a tag edit leaves
// alone, and that is how a diff tells a tag edit from new audio
// (internal/snapdiff). It costs a short track one small blob, stored once.
// Tag, picture and database regions are named directly: they are small,
// and an edit changes them anyway.
func (f *fileBlobs) add(h vault.Hasher, kind split.Kind, ids []vault.ID, emit func(id vault.ID, data []byte) error) error {
	if kind.Metadata() || (kind != split.Audio && len(ids) < minListBlobs) || len(ids) == 0 {
		f.blobs = append(f.blobs, ids...)
		return nil
	}
	list := vault.EncodeList(ids)
	id := h.Sum(list)
	if err := emit(id, list); err != nil {
		return err
	}
	f.lists = append(f.lists, len(f.blobs))
	f.blobs = append(f.blobs, id)
	return nil
}
