package vault

import (
	"context"
	"encoding/json"
	"fmt"
	"time"
)

// PrunesPrefix holds one small marker per prune run. Caches on every
// computer compare the newest marker with the one they last saw and, when
// it changed, stop trusting their list of stored objects.
const PrunesPrefix = "prunes/"

// PruneRecord is the content of a prune marker (plain JSON).
type PruneRecord struct {
	Time    time.Time `json:"time"`
	Host    string    `json:"host"`
	Deleted int       `json:"deleted"`
	Bytes   int64     `json:"bytes"`
}

// LastPrune returns the key of the newest prune marker, or "".
func (v *Vault) LastPrune(ctx context.Context) (string, error) {
	last := ""
	for info, err := range v.store.List(ctx, PrunesPrefix) {
		if err != nil {
			return "", err
		}
		last = info.Key // lexical order: keys start with a fixed-width time
	}
	return last, nil
}

// MarkPrune writes a prune marker. It is written before the first delete,
// so that no cache trusts an object a prune may be removing.
func (v *Vault) MarkPrune(ctx context.Context, r PruneRecord) (string, error) {
	b, err := json.Marshal(r)
	if err != nil {
		return "", err
	}
	key := fmt.Sprintf("%s%s-%s", PrunesPrefix, r.Time.UTC().Format("20060102T150405.000000000Z"), newKeyName())
	return key, v.store.Put(ctx, key, b)
}
