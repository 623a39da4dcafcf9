package vaultcopy_test

import (
	"encoding/json"
	"testing"

	"github.com/tunesafe/tunesafe/internal/store/memstore"
	"github.com/tunesafe/tunesafe/internal/vaultcopy"
)

// FuzzReadMarker stores arbitrary bytes as a vault's replica mark. ReadMarker
// must call the vault a replica exactly when the mark says so, refuse what
// is not a mark with an error, and read back a mark it accepted when that
// mark is written again.
func FuzzReadMarker(f *testing.F) {
	mark, err := json.Marshal(vaultcopy.Marker{Format: "tunesafe-replica", Of: "s3://music/vault", Note: "This vault is a replica made by 'tunesafe copy'."})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(mark)
	for _, s := range []string{
		`{"format":"tunesafe-replica"}`,
		`{"FORMAT":"tunesafe-replica","replica_of":"/media/usb/tunesafe","replica_of":"dup"}`,
		`{"format":"tunesafe-replica","replica_of":7}`,
		`{"format":"tunesafe-vault","replica_of":"x"}`,
		`{"format":"tunesafe-replica"} trailing`,
		`null`, `[]`, ``,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		ctx := t.Context()
		s := new(memstore.Store)
		if err := s.Put(ctx, vaultcopy.ReplicaKey, b); err != nil {
			t.Fatal(err)
		}
		m, ok, err := vaultcopy.ReadMarker(ctx, s)
		if err != nil {
			if ok {
				t.Fatalf("ReadMarker(%q): a replica and error %v", b, err)
			}
			return
		}
		if !ok || m.Format != "tunesafe-replica" {
			t.Fatalf("ReadMarker(%q) = %+v, %v, nil", b, m, ok)
		}
		again, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Put(ctx, vaultcopy.ReplicaKey, again); err != nil {
			t.Fatal(err)
		}
		back, ok, err := vaultcopy.ReadMarker(ctx, s)
		if err != nil || !ok || back != m {
			t.Fatalf("mark %+v written as %s reads back as %+v, %v, %v", m, again, back, ok, err)
		}
	})
}
