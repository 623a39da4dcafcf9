package locks

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/tunesafe/tunesafe/internal/store/memstore"
)

// FuzzList stores arbitrary bytes as a lock object and lists it. Every
// object under locks/ is a lock with a kind and a time: one that does not
// say when it was refreshed is as fresh as the object, never stale since
// year 1, so that a damaged or foreign lock blocks a prune until it is
// stale by its storage time. A lock listed and written again lists the
// same.
func FuzzList(f *testing.F) {
	t0 := time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)
	for _, li := range []Info{
		{Kind: Backup, Host: "laptop", PID: 4242, Started: t0, Refreshed: t0.Add(Refresh)},
		{Kind: Prune, Host: "nas", PID: 1, Started: t0, Refreshed: t0},
	} {
		b, err := json.Marshal(li)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	for _, s := range []string{
		`{"kind":"prune","host":"nas","pid":7}`,
		`{"kind":"","host":"h","pid":1,"started":"2026-11-24T10:00:00Z","refreshed":"2026-11-24T10:00:00Z"}`,
		`{"kind":"backup","refreshed":"0001-01-01T00:00:00Z"}`,
		`{"kind":"backup","refreshed":"2026-11-24T10:00:00+14:00","pid":-1}`,
		`{"kind":"prune","started":"2026-11-24T10:00:00+24:00","refreshed":"2026-11-24T10:00:00-24:59"}`,
		`{"kind":"backup","refreshed":"not a time"}`,
		`{}`, `null`, `{"kind":"prune"`, ``,
	} {
		f.Add([]byte(s))
	}
	const key = Prefix + "backup-20261124T100000Z-0123456789ab"
	f.Fuzz(func(t *testing.T, b []byte) {
		ctx := t.Context()
		s := new(memstore.Store)
		if err := s.Put(ctx, key, b); err != nil {
			t.Fatal(err)
		}
		ls, err := List(ctx, s)
		if err != nil {
			t.Fatal(err)
		}
		if len(ls) != 1 {
			t.Fatalf("List returned %d locks for one object", len(ls))
		}
		li := ls[0]
		if li.Key != key || li.Kind == "" {
			t.Fatalf("List(%q) = %+v", b, li)
		}
		if li.Refreshed.IsZero() || li.Started.IsZero() {
			t.Fatalf("List(%q) = %+v: a lock without a time, stale forever", b, li)
		}

		again, err := json.Marshal(li)
		var me *json.MarshalerError
		if errors.As(err, &me) {
			return // a UTC offset of 24 hours, which encoding/json reads but does not write
		}
		if err != nil {
			t.Fatalf("listed lock %+v does not encode: %v", li, err)
		}
		if err := s.Put(ctx, key, again); err != nil {
			t.Fatal(err)
		}
		ls, err = List(ctx, s)
		if err != nil || len(ls) != 1 {
			t.Fatalf("listing %s again: %v, %v", again, ls, err)
		}
		back := ls[0]
		if back.Kind != li.Kind || back.Host != li.Host || back.PID != li.PID ||
			!back.Started.Equal(li.Started) || !back.Refreshed.Equal(li.Refreshed) {
			t.Fatalf("lock %+v written as %s lists as %+v", li, again, back)
		}
	})
}
