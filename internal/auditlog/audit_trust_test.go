package auditlog

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/tunesafe/tunesafe/internal/store"
)

// A key file opens the vault with its passphrase: one the log deleted
// (an old key file after a passphrase change, brought back by the
// provider, a versioned bucket or an old replica) or never wrote is
// tampering, not a stray object.
func TestAuditKeyFilesTheLogDoesNotKnow(t *testing.T) {
	f := newFixture(t)
	l := f.open()
	s := Wrap(f.store, l)
	put(t, s, "keys/old", "sealed with the old passphrase")
	put(t, s, "keys/new", "sealed with the new passphrase")
	if err := s.Delete(WithReason(t.Context(), "passwd", "tunesafe passwd"), "keys/old"); err != nil {
		t.Fatal(err)
	}
	flush(t, l)
	put(t, f.mem, "keys/old", "sealed with the old passphrase")
	put(t, f.mem, "keys/planted", "sealed with someone's passphrase")
	put(t, f.mem, "blobs/stray", "not a key")

	rep, err := Audit(t.Context(), l, f.mem, AuditOptions{})
	if err != nil {
		t.Fatal(err)
	}
	got := classes(rep)
	if got["keys/old"] != Tampered || got["keys/planted"] != Tampered || got["blobs/stray"] != Foreign || got["keys/new"] != "" {
		t.Fatalf("findings %v", got)
	}
	if rep.Failures() != 2 || rep.Counts.Tampered != 2 || !rep.Complete {
		t.Fatalf("failures %d, counts %+v, complete %v", rep.Failures(), rep.Counts, rep.Complete)
	}
	for _, fd := range rep.Of(Tampered) {
		if fd.Key == "keys/old" && (!strings.Contains(fd.Detail, "old passphrase opens this vault again") || fd.Reason != "passwd") {
			t.Errorf("resurrected key finding %+v", fd)
		}
		if !strings.Contains(fd.Detail, "delete this object") {
			t.Errorf("finding %+v does not say to delete it", fd)
		}
	}
	var text bytes.Buffer
	if err := rep.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(text.String(), "key files the log does not know") || strings.Contains(text.String(), "does not match what was signed") {
		t.Errorf("report:\n%s", text.String())
	}
}

// A lock or prune marker that goes missing is no data lost: a note, no
// failure. A lost object acknowledged with a DELETE is the user's.
func TestAuditCoordinationObjectsAndAcknowledgedLoss(t *testing.T) {
	f := newFixture(t)
	l := f.open()
	s := Wrap(f.store, l)
	put(t, s, "locks/copy-20261124T100000Z-ab", "{}")
	put(t, s, "prunes/20261124T100000.000000000Z-cd", "{}")
	put(t, s, "blobs/unneeded", "a blob no snapshot needs")
	flush(t, l)
	for _, k := range []string{"locks/copy-20261124T100000Z-ab", "prunes/20261124T100000.000000000Z-cd", "blobs/unneeded"} {
		if err := f.mem.Delete(t.Context(), k); err != nil {
			t.Fatal(err)
		}
	}
	rep, err := Audit(t.Context(), l, f.mem, AuditOptions{})
	if err != nil {
		t.Fatal(err)
	}
	got := classes(rep)
	if got["locks/copy-20261124T100000Z-ab"] != Note || got["prunes/20261124T100000.000000000Z-cd"] != Note || got["blobs/unneeded"] != Lost {
		t.Fatalf("findings %v", got)
	}
	if rep.Failures() != 1 || rep.Counts.Notes != 2 {
		t.Fatalf("failures %d, counts %+v", rep.Failures(), rep.Counts)
	}
	var text bytes.Buffer
	rep.WriteText(&text)
	if !strings.Contains(text.String(), "NOTES: coordination objects") {
		t.Errorf("report:\n%s", text.String())
	}

	ack := WithReason(t.Context(), "acknowledged-lost", "tunesafe repair --forget-unneeded")
	for _, k := range []string{"prunes/20261124T100000.000000000Z-cd", "blobs/unneeded"} {
		if err := s.Delete(ack, k); err != nil {
			t.Fatal(err)
		}
	}
	rep, err = Audit(t.Context(), l, f.mem, AuditOptions{})
	if err != nil {
		t.Fatal(err)
	}
	got = classes(rep)
	if got["blobs/unneeded"] != DeletedByUser || got["prunes/20261124T100000.000000000Z-cd"] != DeletedByUser || rep.Failures() != 0 || rep.Counts.Notes != 1 {
		t.Fatalf("after acknowledging: %v, counts %+v", got, rep.Counts)
	}
	for _, fd := range rep.Of(DeletedByUser) {
		if fd.Reason != "acknowledged-lost" {
			t.Errorf("finding %+v", fd)
		}
	}
}

// sendingStore is a store whose Puts send checksums (like S3): its
// listing carries none, and Stat shows the provider's checksum except for
// the keys in bare (rewritten by someone else without one).
type sendingStore struct {
	noSumStore
	bare  map[string]bool
	sends bool
}

func (s sendingStore) Stat(ctx context.Context, key string) (store.Info, error) {
	info, err := s.noSumStore.Store.Stat(ctx, key)
	if s.bare[key] {
		info.SHA256 = nil
	}
	return info, err
}

func (s sendingStore) SendsChecksums() bool { return s.sends }

// An object Tunesafe put with a checksum that the provider now shows
// without one was rewritten by someone else: corrupted, found without a
// download, once the provider is seen to keep Tunesafe's checksums.
func TestAuditRewrittenWithoutChecksum(t *testing.T) {
	f := newFixture(t)
	l := f.open()
	s := Wrap(f.store, l)
	for _, k := range []string{"blobs/first", "blobs/second", "blobs/third"} {
		put(t, s, k, "content of "+k)
	}
	flush(t, l)
	for _, tc := range []struct {
		name  string
		bare  []string
		sends bool
		opts  AuditOptions
		want  map[string]Class
	}{
		{"rewritten", []string{"blobs/second"}, true, AuditOptions{Checksums: true}, map[string]Class{"blobs/second": Corrupted}},
		{"provider keeps no checksums", []string{"blobs/first", "blobs/second", "blobs/third"}, true, AuditOptions{Checksums: true}, map[string]Class{}},
		{"provider kept checksums only later", []string{"blobs/first"}, true, AuditOptions{Checksums: true}, map[string]Class{}},
		{"store sends none", []string{"blobs/second"}, false, AuditOptions{Checksums: true}, map[string]Class{}},
		{"deep: content intact", []string{"blobs/second"}, true, AuditOptions{Checksums: true, Deep: true}, map[string]Class{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := sendingStore{noSumStore: noSumStore{f.mem}, bare: map[string]bool{}, sends: tc.sends}
			for _, k := range tc.bare {
				st.bare[k] = true
			}
			rep, err := Audit(t.Context(), l, st, tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			if got := classes(rep); fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Fatalf("findings %v, want %v", got, tc.want)
			}
			if rep.Counts.OK+rep.Counts.Corrupted != 3 {
				t.Errorf("counts %+v", rep.Counts)
			}
			if !tc.opts.Deep && (rep.Hashed != int64(3-len(tc.bare)) || rep.SizeOnly != int64(len(tc.bare))) {
				t.Errorf("hashed %d, size only %d", rep.Hashed, rep.SizeOnly)
			}
			for _, fd := range rep.Of(Corrupted) {
				if !strings.Contains(fd.Detail, "rewritten without the SHA-256") || fd.Record < 0 {
					t.Errorf("finding %+v", fd)
				}
			}
		})
	}
}

// A vault whose log was rolled back still gets an audit: the damage
// first, then every object classified against the records this computer
// verified, and never recorded in the damaged log.
func TestAuditDamagedLog(t *testing.T) {
	f := newFixture(t)
	l := f.open()
	s := Wrap(f.store, l)
	put(t, s, "blobs/a", "1")
	put(t, s, "blobs/b", "2")
	flush(t, l)
	old := snapshotLog(t, f.store)
	put(t, s, "blobs/c", "3")
	del(t, s, "blobs/a")
	flush(t, l)
	if err := l.Close(t.Context()); err != nil {
		t.Fatal(err)
	}
	restoreLog(t, f.store, old)
	if err := f.mem.Delete(t.Context(), "blobs/b"); err != nil {
		t.Fatal(err)
	}
	put(t, f.mem, "blobs/stray", "?")
	_, err := f.tryOpen()
	te := wantTamper(t, "open", err, TamperRolledBack)

	d, err := OpenDamaged(f.options(), te)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(d.release)
	rep, err := Audit(t.Context(), d, f.mem, AuditOptions{})
	if err != nil {
		t.Fatal(err)
	}
	got := classes(rep)
	want := map[string]Class{"log/checkpoint": Tampered, "blobs/a": DeletedByUser, "blobs/b": Lost, "blobs/stray": Foreign}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("findings %v, want %v", got, want)
	}
	if rep.Complete || rep.Recorded || rep.Failures() != 2 || !strings.Contains(rep.LogDamage, "rolled-back") || rep.Checkpoint.Size != 4 {
		t.Fatalf("report %+v", rep)
	}
	var text bytes.Buffer
	rep.WriteText(&text)
	if !strings.Contains(text.String(), "THE VAULT'S LOG IS DAMAGED: vault log tampered with (rolled-back)") ||
		!strings.Contains(text.String(), "against the 4 records this computer verified") {
		t.Errorf("report:\n%s", text.String())
	}
	// Nothing was written to the vault's log.
	if after := snapshotLog(t, f.store); fmt.Sprint(after) != fmt.Sprint(old) {
		t.Errorf("the damaged log changed")
	}
}

// A damage marker that a check retired (every object it named repaired)
// is a routine delete, like a released lock: no finding. One deleted for
// another reason is still reported as the user's.
func TestAuditRetiredDamageMarkerIsRoutine(t *testing.T) {
	f := newFixture(t)
	l := f.open()
	s := Wrap(f.store, l)
	retired, other := "prunes/20261124T100000.000000000Z-damaged-ab", "prunes/20261124T110000.000000000Z-damaged-cd"
	put(t, s, retired, "{}")
	put(t, s, other, "{}")
	if err := s.Delete(WithReason(t.Context(), ReasonDamageRepaired, "tunesafe verify"), retired); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(WithReason(t.Context(), "acknowledged-lost", "tunesafe repair"), other); err != nil {
		t.Fatal(err)
	}
	flush(t, l)
	rep, err := Audit(t.Context(), l, f.mem, AuditOptions{})
	if err != nil {
		t.Fatal(err)
	}
	got := classes(rep)
	if _, found := got[retired]; found || got[other] != DeletedByUser || rep.Counts.DeletedByUser != 1 {
		t.Fatalf("findings %v, counts %+v", got, rep.Counts)
	}
}
