package repair

import (
	"context"
	"fmt"
	"time"

	"github.com/tunesafe/tunesafe/internal/auditlog"
	"github.com/tunesafe/tunesafe/internal/store"
	"github.com/tunesafe/tunesafe/internal/vault"
)

// A damage marker (vault.MarkDamage) tells every computer's cache to
// forget the objects a check found lost or corrupted, and makes every
// later check download and hash them. Once they are repaired it has done
// its job: a cache that has not read it yet would only forget objects that
// are right, and its backup would at most store them again. So the check
// that downloads a marker's objects retires the marker (Retire) when it
// finds each of them in one of two states:
//
//   - stored again and intact: present, written at or after the marker
//     (both times the storage's own, as the caches compare them), and
//     hashed to what the log says it holds. An object the check finds
//     intact that was not stored again since keeps its marker: the
//     storage once served it wrong, and checks go on reading it until a
//     backup or repair writes it again.
//   - gone as the log allows (a prune deleted it, or 'repair
//     --forget-unneeded'), provided a marker newer than this one stays:
//     a cache that has not read this one then lists the vault again at
//     its next backup, and no longer finds the object there.
//
// Anything else (lost, corrupted, not Tunesafe's) keeps the marker. Each
// marker is judged on its own objects: of two markers naming one object,
// one may retire and the other stay for another object it names.

// Checked is what a check found of one object a damage marker names (by
// the object's key: both an ID's blob and tree keys are looked up).
type Checked struct {
	// Intact: present, downloaded, and hashed to the content the log
	// says it holds.
	Intact bool
	// Written is the storage's time for an intact object.
	Written time.Time
	// Gone: absent, as the log allows (a logged DELETE, or never stored).
	Gone bool
}

// ReasonRetired is the log's DELETE reason for a damage marker retired
// because every object it names is stored again and intact.
const ReasonRetired = auditlog.ReasonDamageRepaired

// Retire deletes, through v's store, the damage markers among markers
// (as read before the check, vault.DamageMarkers) whose every object the
// check found as the rule above asks, and returns the keys it deleted.
// found says what the check found of a key; a key it does not know is
// neither in the log nor in the storage. ctx must carry the log's reason
// for the deletes (ReasonRetired).
//
// A marker the storage refuses to delete (access denied: an Object Lock
// retention, a key without delete permission) stays, and is no error: it
// is retired by a later check, or never, which costs downloads, not data.
func Retire(ctx context.Context, v *vault.Vault, markers []vault.DamageMarker, found func(key string) (Checked, bool)) ([]string, error) {
	if len(markers) == 0 {
		return nil, nil
	}
	// Every marker under prunes/, prunes' too: a marker retires on a
	// gone object only while a newer one stays.
	all, err := v.PrunesAfter(ctx, "")
	if err != nil {
		return nil, fmt.Errorf("list markers: %w", err)
	}
	done := map[string]bool{}    // every object stored again and intact
	ifNewer := map[string]bool{} // the rest gone: retires if a newer marker stays
	for _, m := range markers {
		switch judge(m, found) {
		case retires:
			done[m.Key] = true
		case retiresIfNewer:
			ifNewer[m.Key] = true
		}
	}
	// staying is the newest marker that stays whatever happens here; the
	// newest of the markers that need a newer one, when newer than it,
	// stays too and is the newer one for the rest.
	staying := ""
	for _, k := range all {
		if !done[k] && !ifNewer[k] && k > staying {
			staying = k
		}
	}
	newest := ""
	for k := range ifNewer {
		if k > staying && k > newest {
			newest = k
		}
	}
	delete(ifNewer, newest)
	var retired []string
	for _, m := range markers {
		if !done[m.Key] && !ifNewer[m.Key] {
			continue
		}
		err := v.RetireDamageMarker(ctx, m.Key)
		if store.KindOf(err) == store.KindAccessDenied {
			continue
		}
		if err != nil {
			return retired, fmt.Errorf("retire damage marker %s: %w", m.Key, err)
		}
		retired = append(retired, m.Key)
	}
	return retired, nil
}

// verdict is what a check's findings make of one marker.
type verdict int

const (
	stays verdict = iota
	retires
	retiresIfNewer // its objects are stored again and intact, or gone
)

// judge applies the rule to one marker.
func judge(m vault.DamageMarker, found func(key string) (Checked, bool)) verdict {
	out := retires
	for _, id := range m.Damaged {
		// A marker names an ID, not a kind: of its blob and tree keys,
		// one is the object, and the other is in neither the log nor
		// the storage.
		intact := false
		for _, key := range []string{vault.BlobKey(id), vault.TreeKey(id)} {
			c, ok := found(key)
			switch {
			case !ok || c.Gone:
			case c.Intact && storedSince(c.Written, m.Written):
				intact = true
			default:
				return stays
			}
		}
		if !intact {
			out = retiresIfNewer
		}
	}
	return out
}

// storedSince reports whether an object the storage says was written at
// written was stored again since a marker it says was written at marked.
// The same time counts: an S3 listing gives whole seconds, and a repair
// run the second after the check that marked the object must still retire
// the marker. Without times nothing counts.
func storedSince(written, marked time.Time) bool {
	return !written.IsZero() && !marked.IsZero() && !written.Before(marked)
}
