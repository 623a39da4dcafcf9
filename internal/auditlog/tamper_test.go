package auditlog

import (
	"bytes"
	"fmt"
	"testing"

	"golang.org/x/mod/sumdb/note"

	"github.com/tunesafe/tunesafe/internal/store"
)

// tamperFixture builds a log of two flushes (records 0-2 and 3-5) and
// closes it. The state directory knows all six records.
func tamperFixture(t *testing.T) *fixture {
	t.Helper()
	f := newFixture(t)
	l := f.open()
	s := Wrap(f.store, l)
	for i := range 3 {
		put(t, s, fmt.Sprintf("blobs/a%d", i), "first")
	}
	flush(t, l)
	for i := range 3 {
		put(t, s, fmt.Sprintf("blobs/b%d", i), "second")
	}
	del(t, s, "blobs/a0")
	if err := l.Close(t.Context()); err != nil {
		t.Fatal(err)
	}
	return f
}

func TestTamperTruncate(t *testing.T) {
	t.Run("last entries object deleted", func(t *testing.T) {
		f := tamperFixture(t)
		if err := f.store.Delete(t.Context(), segmentKey(3, 4)); err != nil {
			t.Fatal(err)
		}
		_, err := f.tryOpen()
		te := wantTamper(t, "open", err, TamperMissing)
		if te.Object != segmentKey(3, 4) {
			t.Errorf("object %q", te.Object)
		}
	})
	t.Run("checkpoint deleted", func(t *testing.T) {
		f := tamperFixture(t)
		if err := f.store.Delete(t.Context(), checkpointKey); err != nil {
			t.Fatal(err)
		}
		_, err := f.tryOpen()
		wantTamper(t, "open", err, TamperMissing)
	})
	t.Run("whole log deleted", func(t *testing.T) {
		f := tamperFixture(t)
		restoreLog(t, f.store, nil)
		_, err := f.tryOpen()
		wantTamper(t, "open", err, TamperMissing)
	})
}

func TestTamperRollBack(t *testing.T) {
	f := newFixture(t)
	l := f.open()
	s := Wrap(f.store, l)
	put(t, s, "blobs/a", "1")
	put(t, s, "blobs/b", "2")
	flush(t, l)
	old := snapshotLog(t, f.store)
	del(t, s, "blobs/a")
	flush(t, l)
	if err := l.Close(t.Context()); err != nil {
		t.Fatal(err)
	}
	// The provider restores an older copy of every log object: a
	// consistent, correctly signed log without the DELETE.
	restoreLog(t, f.store, old)
	_, err := f.tryOpen()
	te := wantTamper(t, "open", err, TamperRolledBack)
	if te.Known.Size != 3 || te.Found.Size != 2 {
		t.Errorf("known %d found %d, want 3 and 2", te.Known.Size, te.Found.Size)
	}
}

func TestTamperEditEntry(t *testing.T) {
	edit := func(t *testing.T, s store.Store, from, to string) {
		t.Helper()
		key := segmentKey(0, 3)
		b, err := store.ReadAll(t.Context(), s, key)
		if err != nil {
			t.Fatal(err)
		}
		nb := bytes.Replace(b, []byte(from), []byte(to), 1)
		if bytes.Equal(nb, b) {
			t.Fatalf("%q not in %s", from, key)
		}
		if err := s.Put(t.Context(), key, nb); err != nil {
			t.Fatal(err)
		}
	}
	t.Run("size changes", func(t *testing.T) {
		f := tamperFixture(t)
		edit(t, f.store, `"key":"blobs/a1"`, `"key":"blobs/a1-renamed"`)
		_, err := f.tryOpen()
		te := wantTamper(t, "open", err, TamperEdited)
		if te.Object != segmentKey(0, 3) {
			t.Errorf("object %q", te.Object)
		}
	})
	t.Run("provider reports SHA-256", func(t *testing.T) {
		f := tamperFixture(t)
		edit(t, f.store, `"outcome":"ok"`, `"outcome":"no"`)
		_, err := f.tryOpen()
		wantTamper(t, "open", err, TamperEdited)
	})
	t.Run("same size, no provider SHA-256", func(t *testing.T) {
		f := tamperFixture(t)
		f.store = noSumStore{f.mem}
		edit(t, f.store, `"key":"blobs/a1"`, `"key":"blobs/a9"`)
		l := f.open() // the listing cannot show this edit
		te := wantTamper(t, "Verify", l.Verify(t.Context()), TamperEdited)
		if te.Index != 1 || te.Object != segmentKey(0, 3) {
			t.Errorf("found at %s record %d, want record 1", te.Object, te.Index)
		}
		rep, err := Audit(t.Context(), l, f.store, AuditOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if rep.Complete || rep.Counts.Tampered != 1 || len(rep.Of(Tampered)) != 1 {
			t.Fatalf("audit of an edited log: %+v", rep)
		}
	})
	t.Run("new computer", func(t *testing.T) {
		f := tamperFixture(t)
		edit(t, f.store, `"key":"blobs/a1"`, `"key":"blobs/a9"`)
		f.dir = t.TempDir() // trusts the vault's checkpoint, not the edited entries
		_, err := f.tryOpen()
		wantTamper(t, "open", err, TamperEdited)
	})
}

func TestTamperOtherKey(t *testing.T) {
	resign := func(t *testing.T, f *fixture, s note.Signer) {
		t.Helper()
		raw, err := store.ReadAll(t.Context(), f.store, checkpointKey)
		if err != nil {
			t.Fatal(err)
		}
		c, err := OpenCheckpoint(raw, f.verifier)
		if err != nil {
			t.Fatal(err)
		}
		signed, err := note.Sign(&note.Note{Text: string(c.Text())}, s)
		if err != nil {
			t.Fatal(err)
		}
		if err := f.store.Put(t.Context(), checkpointKey, signed); err != nil {
			t.Fatal(err)
		}
	}
	t.Run("same name, other key", func(t *testing.T) {
		f := tamperFixture(t)
		other, _ := TestKey(t, "attacker") // also named tunesafe-vault-test
		s, _, err := NewSigner(other)
		if err != nil {
			t.Fatal(err)
		}
		resign(t, f, s)
		_, err = f.tryOpen()
		wantTamper(t, "open", err, TamperBadSignature)
	})
	t.Run("bad signature bytes", func(t *testing.T) {
		f := tamperFixture(t)
		raw, _ := store.ReadAll(t.Context(), f.store, checkpointKey)
		i := bytes.LastIndexByte(raw, ' ') + 20 // past the key hash, in the signature
		raw[i] ^= 'A' ^ 'B'
		if err := f.store.Put(t.Context(), checkpointKey, raw); err != nil {
			t.Fatal(err)
		}
		_, err := f.tryOpen()
		wantTamper(t, "open", err, TamperBadSignature)
	})
}

// TestTamperFork: the log is replaced by another history of the same
// length, correctly signed (a stolen key, or a second computer writing
// from a stale copy of the log).
func TestTamperFork(t *testing.T) {
	f := newFixture(t)
	l := f.open()
	s := Wrap(f.store, l)
	put(t, s, "blobs/a", "1")
	flush(t, l)
	base := snapshotLog(t, f.store)
	stale := t.TempDir()
	copyDir(t, f.dir, stale)
	put(t, s, "blobs/b", "2")
	flush(t, l)
	if err := l.Close(t.Context()); err != nil {
		t.Fatal(err)
	}

	restoreLog(t, f.store, base)
	g := *f
	g.dir = stale
	l2 := g.open()
	put(t, Wrap(f.store, l2), "blobs/other", "x")
	if err := l2.Close(t.Context()); err != nil {
		t.Fatal(err)
	}
	_, err := f.tryOpen()
	wantTamper(t, "open", err, TamperForked)
}

// TestUnexpectedSegment: an entries object slipped in among the verified
// ones.
func TestUnexpectedSegment(t *testing.T) {
	f := tamperFixture(t)
	if err := f.store.Put(t.Context(), segmentKey(1, 1), []byte("{}\n")); err != nil {
		t.Fatal(err)
	}
	_, err := f.tryOpen()
	wantTamper(t, "open", err, TamperUnexpected)
}
