package auditlog

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// TestRefusedFlushDoesNotBlockOpen: a write the vault refused leaves its
// record (a failed PUT) in the journal. Later opens, with or without a
// signer, still open and verify the log while the vault refuses writes;
// the record stays in the journal and the first open that can write
// publishes it, once.
func TestRefusedFlushDoesNotBlockOpen(t *testing.T) {
	f := newFixture(t)
	fs := &faultStore{Store: f.mem}
	f.store = fs
	l := f.open()
	put(t, Wrap(fs, l), "blobs/aa", "one")
	flush(t, l)

	fs.setFail(func(op, key string) bool { return true }) // the disk is now read-only
	if err := Wrap(fs, l).Put(t.Context(), "locks/audit-1", []byte("lock")); err == nil {
		t.Fatal("Put into a read-only vault succeeded")
	}
	if err := l.Close(t.Context()); err == nil {
		t.Fatal("Close published into a read-only vault")
	}

	for range 2 {
		l, err := f.tryOpen()
		if err != nil {
			t.Fatalf("open with a signer, the vault refusing writes: %v", err)
		}
		if l.Size() != 1 || l.Pending() != 1 {
			t.Fatalf("size %d, pending %d; want 1 and 1", l.Size(), l.Pending())
		}
		if err := l.Close(t.Context()); !errors.Is(err, errInjected) {
			t.Fatalf("Close = %v, want the store's refusal", err)
		}
	}
	signer := f.signer
	f.signer = nil
	ro, err := f.tryOpen()
	if err != nil {
		t.Fatalf("read-only open with records in the journal: %v", err)
	}
	if got := keysOf(entries(t, ro)); !slices.Equal(got, []string{"put blobs/aa ok"}) {
		t.Fatalf("read-only log entries %q", got)
	}
	ro.release()

	fs.setFail(nil)
	f.signer = signer
	l = f.open()
	want := []string{"put blobs/aa ok", "put locks/audit-1 failed"}
	if got := keysOf(entries(t, l)); !slices.Equal(got, want) {
		t.Fatalf("entries %q, want %q", got, want)
	}
	if l.Pending() != 0 {
		t.Fatalf("%d records still pending", l.Pending())
	}
	rep, err := Audit(t.Context(), l, f.mem, AuditOptions{})
	if err != nil || !rep.Clean() {
		t.Fatalf("audit: %v %+v", err, rep.Counts)
	}
}

// TestOpenSettlesPublished: a run published a flush and died before
// committing it locally, with a later record journaled in a newer
// generation. An open that cannot publish (no signer, or a vault refusing
// writes) catches up with the published records and takes them out of the
// journal, keeping the later one; the next open that can write publishes
// only that one.
func TestOpenSettlesPublished(t *testing.T) {
	for _, mode := range []string{"read-only", "refused"} {
		t.Run(mode, func(t *testing.T) {
			f := newFixture(t)
			fs := &faultStore{Store: f.mem}
			f.store = fs
			l := f.open()
			s := Wrap(fs, l)
			put(t, s, "blobs/aa", "one")
			flush(t, l)
			put(t, s, "blobs/bb", "two")
			before := t.TempDir()
			copyDir(t, f.dir, before)
			flush(t, l) // published in the vault; the local commit is lost below
			l.release()
			f.dir = before

			gens, err := os.ReadDir(filepath.Join(f.dir, journalDir))
			if err != nil || len(gens) != 1 {
				t.Fatalf("journal before the flush: %v %v", gens, err)
			}
			var last uint64
			fmt.Sscan(gens[0].Name(), &last)
			rec := stamp(Snapshot{ID: "s1", Tree: "t1"}, f.clock.now(), "laptop", "")
			leaf, err := EncodeRecord(rec)
			if err != nil {
				t.Fatal(err)
			}
			line := fmt.Appendf(nil, "f 7 %s\n", leaf)
			if err := os.WriteFile(journalPath(filepath.Join(f.dir, journalDir), last+1), line, 0o600); err != nil {
				t.Fatal(err)
			}

			signer := f.signer
			if mode == "read-only" {
				f.signer = nil
			} else {
				fs.setFail(func(op, key string) bool { return true })
			}
			o, err := f.tryOpen()
			if err != nil {
				t.Fatal(err)
			}
			if o.Size() != 2 || o.Pending() != 1 {
				t.Fatalf("size %d, pending %d; want 2 and 1", o.Size(), o.Pending())
			}
			o.release()

			f.signer = signer
			fs.setFail(nil)
			l = f.open()
			want := []string{"put blobs/aa ok", "put blobs/bb ok", "snapshot s1"}
			if got := keysOf(entries(t, l)); !slices.Equal(got, want) {
				t.Fatalf("entries %q, want %q", got, want)
			}
		})
	}
}
