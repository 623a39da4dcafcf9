package vault

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"time"

	"github.com/tunesafe/tunesafe/internal/store"
)

// PrunesPrefix holds one small marker per prune run, and one per check
// that found objects lost or corrupted (a damage marker). Caches on every
// computer compare the newest marker with the one they last saw and, when
// it changed, stop trusting their list of stored objects; from a damage
// marker they also forget the objects it names, which may still be listed
// (corrupted) or be on the list they had (lost), so that their next backup
// stores those objects again from the files that hold them. A damage
// marker is deleted once every object it names is stored again and
// intact, or deleted (RetireDamageMarker); a prune's marker stays.
const PrunesPrefix = "prunes/"

// damageTag marks the name of a damage marker, so that a cache reads only
// those, not every prune's.
const damageTag = "-damaged-"

// PruneRecord is the content of a prune or damage marker (plain JSON).
// A prune writes its marker before its first delete: Deleted and Bytes
// are what it set out to delete, not what it did (the log records each
// delete).
type PruneRecord struct {
	Time    time.Time `json:"time"`
	Host    string    `json:"host"`
	Deleted int       `json:"deleted"`
	Bytes   int64     `json:"bytes"`
	// Damaged lists, in a damage marker, the IDs of the blobs, lists and
	// trees the check found lost or corrupted.
	Damaged []ID `json:"damaged,omitempty"`
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

// PrunesAfter returns the keys of the prune and damage markers after key
// (all of them for ""), oldest first.
func (v *Vault) PrunesAfter(ctx context.Context, key string) ([]string, error) {
	var out []string
	for info, err := range v.store.List(ctx, PrunesPrefix) {
		if err != nil {
			return nil, err
		}
		if info.Key > key {
			out = append(out, info.Key)
		}
	}
	return out, nil
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

// MarkDamage writes a damage marker naming ids, which a check found lost
// or corrupted, so that every computer's cache forgets them (Damaged).
func (v *Vault) MarkDamage(ctx context.Context, t time.Time, host string, ids []ID) (string, error) {
	b, err := json.Marshal(PruneRecord{Time: t, Host: host, Damaged: ids})
	if err != nil {
		return "", err
	}
	key := fmt.Sprintf("%s%s%s%s", PrunesPrefix, t.UTC().Format("20060102T150405.000000000Z"), damageTag, newKeyName())
	return key, v.store.Put(ctx, key, b)
}

// Damaged returns the IDs named by the damage markers after the marker
// key after (all of them when after is ""), in key order. A marker that
// cannot be read or parsed is an error: the cache must then not go on
// trusting what it may name.
func (v *Vault) Damaged(ctx context.Context, after string) ([]ID, error) {
	marks, err := v.DamageMarks(ctx, after)
	var ids []ID
	for _, m := range marks {
		ids = append(ids, m.ID)
	}
	return ids, err
}

// DamageMark is an object a damage marker names, with the time the
// storage gives the marker (its listing's, zero when the storage gives
// none): an object the storage lists as written after it was stored again
// since, by a repair or a backup.
type DamageMark struct {
	ID     ID
	Marked time.Time
}

// DamageMarks is Damaged with the markers' times.
func (v *Vault) DamageMarks(ctx context.Context, after string) ([]DamageMark, error) {
	markers, err := v.DamageMarkers(ctx, after)
	if err != nil {
		return nil, err
	}
	var marks []DamageMark
	for _, m := range markers {
		for _, id := range m.Damaged {
			marks = append(marks, DamageMark{ID: id, Marked: m.Written})
		}
	}
	return marks, nil
}

// DamageMarker is one damage marker: its key, the time the storage gives
// it (its listing's, zero when the storage gives none), and the IDs it
// names.
type DamageMarker struct {
	Key     string
	Written time.Time
	Damaged []ID
}

// DamageMarkers returns the damage markers after the marker key after
// (all of them when after is ""), in key order: oldest first. A marker
// that cannot be read or parsed is an error, as in Damaged; one deleted
// since it was listed is left out.
func (v *Vault) DamageMarkers(ctx context.Context, after string) ([]DamageMarker, error) {
	var infos []store.Info
	for info, err := range v.store.List(ctx, PrunesPrefix) {
		if err != nil {
			return nil, err
		}
		if info.Key > after && IsDamageMarker(info.Key) {
			infos = append(infos, info)
		}
	}
	var markers []DamageMarker
	for _, info := range infos {
		key := info.Key
		b, err := store.ReadAll(ctx, v.store, key)
		if errors.Is(err, fs.ErrNotExist) {
			continue // deleted since it was listed
		}
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", key, err)
		}
		var r PruneRecord
		if err := json.Unmarshal(b, &r); err != nil {
			return nil, &CorruptError{Key: key, Err: err}
		}
		markers = append(markers, DamageMarker{Key: key, Written: info.ModTime, Damaged: r.Damaged})
	}
	return markers, nil
}

// IsDamageMarker reports whether key names a damage marker (MarkDamage),
// not a prune's.
func IsDamageMarker(key string) bool {
	return strings.HasPrefix(key, PrunesPrefix) && strings.Contains(key, damageTag)
}

// RetireDamageMarker deletes the damage marker key, through the vault's
// store (on a logged store the DELETE is in the log, with the context's
// reason). It is for a marker whose job is done: a cache that has not
// read it yet would only forget objects that are right (docs/FORMAT.md,
// "Coordination objects"; repair.Retire decides when). It refuses any other key: a
// prune's marker is never deleted, since a cache relies on it to stop
// trusting what the prune removed.
func (v *Vault) RetireDamageMarker(ctx context.Context, key string) error {
	if !IsDamageMarker(key) {
		return fmt.Errorf("retire damage marker: %s is no damage marker", key)
	}
	return v.store.Delete(ctx, key)
}
