package auditlog

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"testing"
	"time"

	"github.com/tunesafe/tunesafe/internal/store"
	"github.com/tunesafe/tunesafe/internal/store/retry"
)

// bitrotStore answers every GET of one key with a server error, as MinIO
// does for an object whose disks fail its bitrot check, while Stat and
// everything else work.
type bitrotStore struct {
	store.Store
	key string
}

func (s bitrotStore) Get(ctx context.Context, key string, off, n int64) (io.ReadCloser, error) {
	if key == s.key {
		return nil, store.Transient(store.KindServer, errors.New("Resource requested is unreadable (S3 SlowDownRead, HTTP 503)"))
	}
	return s.Store.Get(ctx, key, off, n)
}

// TestAuditUnreadableObject: a deep audit through the retry decorator
// reports an object the storage answers for but cannot serve as
// corrupted, goes on with the others, and does not give up on the whole
// audit as "unreachable".
func TestAuditUnreadableObject(t *testing.T) {
	f := newFixture(t)
	l := f.open()
	s := Wrap(f.store, l)
	for i := range 5 {
		put(t, s, fmt.Sprintf("blobs/%d", i), fmt.Sprint("data ", i))
	}
	flush(t, l)

	var mu sync.Mutex
	now := time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	sleep := func(ctx context.Context, d time.Duration) error {
		mu.Lock()
		now = now.Add(d)
		mu.Unlock()
		return ctx.Err()
	}
	rs := retry.Wrap(bitrotStore{Store: f.mem, key: "blobs/2"}, retry.Policy{Now: clock, Sleep: sleep})
	rep, err := Audit(t.Context(), l, rs, AuditOptions{Deep: true})
	if err != nil {
		t.Fatalf("deep audit gave up: %v", err)
	}
	got := classes(rep)
	if len(got) != 1 || got["blobs/2"] != Corrupted {
		t.Fatalf("findings %v, want blobs/2 corrupted and nothing else", got)
	}
	if rep.Counts.OK != 4 || rep.Clean() {
		t.Errorf("counts %+v: want 4 intact and a failed audit", rep.Counts)
	}
}
