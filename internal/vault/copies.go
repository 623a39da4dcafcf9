package vault

import "context"

// Copies keeps the plaintext of trees, lists and snapshots a computer has
// read. They are named by the IDs of their content and never change, so a
// copy is as good as the object: commands that walk every snapshot (prune,
// the retention pass, repair, restore) then read each object once per
// computer rather than once per run. A copy is only kept after the object
// was checked against its ID. Failures are the cache's business: a lookup
// that fails is a miss.
type Copies interface {
	Copy(ctx context.Context, key string) ([]byte, bool, error)
	PutCopy(ctx context.Context, key string, plain []byte) error
}

// WithCopies returns the same open vault reading trees, lists and
// snapshots through c.
func (v *Vault) WithCopies(c Copies) *Vault {
	w := *v
	w.copies = c
	return &w
}

// getCopied is getVerified through the copies, for immutable metadata.
func (v *Vault) getCopied(ctx context.Context, key string, id ID, compressed bool) ([]byte, error) {
	if v.copies != nil {
		if plain, ok, err := v.copies.Copy(ctx, key); err == nil && ok {
			return plain, nil
		}
	}
	plain, err := v.getVerified(ctx, key, id, compressed)
	if err == nil && v.copies != nil {
		v.copies.PutCopy(ctx, key, plain)
	}
	return plain, err
}

// KeptSnapshot returns the copy this computer keeps of snapshot id,
// without asking the store: the snapshot as it was read, even when the
// vault no longer holds it.
func (v *Vault) KeptSnapshot(ctx context.Context, id ID) (*Snapshot, bool) {
	if v.copies == nil {
		return nil, false
	}
	plain, ok, err := v.copies.Copy(ctx, SnapshotKey(id))
	if err != nil || !ok {
		return nil, false
	}
	s, err := decodeSnapshot(plain)
	return s, err == nil
}
