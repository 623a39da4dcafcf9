package auditlog

import (
	"strings"
	"testing"
)

// A quick audit downloads the objects Hash names, and says of each what
// it found: intact (with the storage's time), gone as the log allows, or
// neither. A key neither the log nor the storage knows is not in the
// report, nor is one Hash does not name.
func TestAuditRechecksWhatHashNames(t *testing.T) {
	f, l := auditFixture(t)
	rep, err := Audit(t.Context(), l, noSumStore{f.mem}, AuditOptions{Hash: func(key string) bool {
		return strings.HasPrefix(key, "blobs/") && key != "blobs/replaced"
	}})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Downloaded != 2 { // ok and flipped: the others are gone, foreign, or another size
		t.Errorf("downloaded %d objects, want 2", rep.Downloaded)
	}
	if r := rep.Rechecked["blobs/ok"]; !r.Intact || r.Gone || r.Written.IsZero() {
		t.Errorf("blobs/ok: %+v, want intact with the storage's time", r)
	}
	if r := rep.Rechecked["blobs/pruned"]; !r.Gone || r.Intact {
		t.Errorf("blobs/pruned: %+v, want gone", r)
	}
	for _, k := range []string{"blobs/lost", "blobs/flipped", "blobs/foreign"} {
		if r, ok := rep.Rechecked[k]; !ok || r.Intact || r.Gone {
			t.Errorf("%s: %+v (in the report: %v), want neither intact nor gone", k, r, ok)
		}
	}
	for _, k := range []string{"blobs/replaced", "blobs/unknown"} {
		if r, ok := rep.Rechecked[k]; ok {
			t.Errorf("%s: %+v, want not in the report", k, r)
		}
	}
	if c := classes(rep)["blobs/flipped"]; c != Corrupted {
		t.Errorf("blobs/flipped: %q, want corrupted: downloaded though the audit is quick", c)
	}
}
