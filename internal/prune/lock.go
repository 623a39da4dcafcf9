package prune

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"sync"
	"time"

	"github.com/tunesafe/tunesafe/internal/store"
)

// Retained is an unreferenced object that prune keeps because S3 Object
// Lock still retains it.
type Retained struct {
	Key   string    `json:"key"`
	Until time.Time `json:"until"`
}

// LockKeeper keeps the unreferenced objects of a vault under S3 Object Lock
// whose retention has not ended yet. Its Keep method is an Options.Keep.
//
// Deleting such an object would free nothing: on a bucket with Object Lock
// a delete only writes a delete marker, and the locked version stays (and
// is paid for) until it expires. It would also hide a blob that the next
// backup could have reused, which would then upload it again.
//
// The retention of an object is taken to end at its modification time (the
// provider's LastModified, from one Stat) plus the vault's retention
// period, because that is the retention Tunesafe puts every object with.
// The provider is not asked for the retention itself: versitygw answers
// GetObjectRetention with a document minio-go cannot parse, AWS returns the
// retention in a HEAD only to callers allowed s3:GetObjectRetention, and a
// Stat works through every store decorator. The estimate is safe either
// way: an object retained longer than estimated (a bucket default
// retention, an extension by hand, a client clock ahead of the server's)
// gets a delete marker while its version stays locked, and nothing can
// delete a locked version early.
//
// An object that snapshots needed for longer than the period has had its
// retention extended by the retention pass (package retain), which
// records the dates it set. Known passes those records in: an object is
// kept until the later of its estimate and its known date, so that one
// whose last snapshot was just forgotten stays visible as long as its
// version is locked anyway.
type LockKeeper struct {
	// Store is where the objects are; Period the vault's retention.
	Store  store.Store
	Period time.Duration
	// Known holds retain-until dates known from elsewhere, by key; nil
	// for none.
	Known map[string]time.Time
	// Now is the clock; nil means time.Now.
	Now func() time.Time

	mu   sync.Mutex
	kept []Retained
	err  error
}

// Keep reports whether the unreferenced object key is still retained.
// An object whose retention cannot be checked is kept, and Err says why.
func (k *LockKeeper) Keep(ctx context.Context) func(key string) bool {
	now := time.Now
	if k.Now != nil {
		now = k.Now
	}
	return func(key string) bool {
		info, err := k.Store.Stat(ctx, key)
		if errors.Is(err, fs.ErrNotExist) {
			return false
		}
		k.mu.Lock()
		defer k.mu.Unlock()
		if err != nil {
			if k.err == nil {
				k.err = fmt.Errorf("check the Object Lock retention of %s: %w", key, err)
			}
			return true
		}
		until := info.ModTime.Add(k.Period)
		if u, ok := k.Known[key]; ok && u.After(until) {
			until = u
		}
		if !now().Before(until) {
			return false
		}
		k.kept = append(k.kept, Retained{Key: key, Until: until.UTC()})
		return true
	}
}

// Kept returns the objects kept for their retention so far.
func (k *LockKeeper) Kept() []Retained {
	k.mu.Lock()
	defer k.mu.Unlock()
	return append([]Retained(nil), k.kept...)
}

// Err returns the first failure to check a retention, or nil.
func (k *LockKeeper) Err() error {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.err
}
