package auditlog

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"sync/atomic"
	"testing"

	"github.com/tunesafe/tunesafe/internal/store"
)

// listNoSumStore hides the provider's SHA-256 in listings only, like S3,
// whose HEAD returns the checksum and whose LIST does not.
type listNoSumStore struct {
	store.Store
	stats atomic.Int64
}

func (s *listNoSumStore) List(ctx context.Context, prefix string) iter.Seq2[store.Info, error] {
	return noSumStore{s.Store}.List(ctx, prefix)
}

func (s *listNoSumStore) Stat(ctx context.Context, key string) (store.Info, error) {
	s.stats.Add(1)
	return s.Store.Stat(ctx, key)
}

// TestAuditChecksums: with Checksums, a quick audit asks for the SHA-256 the
// listing lacks and so finds the flipped byte; without, it trusts sizes.
func TestAuditChecksums(t *testing.T) {
	for _, checksums := range []bool{false, true} {
		t.Run(fmt.Sprint("checksums=", checksums), func(t *testing.T) {
			f, l := auditFixture(t)
			s := &listNoSumStore{Store: f.mem}
			rep, err := Audit(t.Context(), l, s, AuditOptions{Checksums: checksums})
			if err != nil {
				t.Fatal(err)
			}
			flipped := classes(rep)["blobs/flipped"]
			if checksums && flipped != Corrupted {
				t.Errorf("with checksums the flipped blob is %q, want corrupted", flipped)
			}
			if !checksums && flipped != "" {
				t.Errorf("without checksums the flipped blob is %q, want unnoticed", flipped)
			}
			// One Stat per listed object the log expects (not the
			// foreign one, not the log's own objects).
			if want := int64(0); !checksums && s.stats.Load() != want {
				t.Errorf("%d Stats without checksums", s.stats.Load())
			}
			if checksums && s.stats.Load() != 3 { // flipped, replaced, ok
				t.Errorf("%d Stats, want 3", s.stats.Load())
			}
		})
	}
}

// TestAuditWorkersAgree: the report does not depend on how many objects
// are checked at once.
func TestAuditWorkersAgree(t *testing.T) {
	var reports []string
	for _, workers := range []int{1, 3, 32} {
		f, l := auditFixture(t)
		s := Wrap(f.store, l)
		for i := range 50 {
			put(t, s, fmt.Sprintf("blobs/more-%02d", i), fmt.Sprint("more data ", i))
		}
		flush(t, l)
		for i := range 5 {
			if err := f.mem.Delete(t.Context(), fmt.Sprintf("blobs/more-%02d", i*7)); err != nil {
				t.Fatal(err)
			}
		}
		rep, err := Audit(t.Context(), l, &listNoSumStore{Store: f.mem}, AuditOptions{Deep: true, Checksums: true, Workers: workers})
		if err != nil {
			t.Fatal(err)
		}
		if rep.Counts.Lost != 6 || rep.Counts.OK != 46 || rep.Objects != 56 {
			t.Fatalf("workers %d: counts %+v, objects %d", workers, rep.Counts, rep.Objects)
		}
		// Times and record numbers are the fixture's; compare all else.
		rep.Time, rep.Checkpoint = rep.Time.UTC().Truncate(0), Checkpoint{}
		for i := range rep.Findings {
			rep.Findings[i].Time = rep.Findings[i].Time.Truncate(0)
		}
		b, err := json.Marshal(struct {
			Findings []Finding
			Counts   Counts
			Objects  int64
			Hashed   int64
			Bytes    int64
		}{rep.Findings, rep.Counts, rep.Objects, rep.Hashed, rep.Bytes})
		if err != nil {
			t.Fatal(err)
		}
		reports = append(reports, string(b))
	}
	for i := 1; i < len(reports); i++ {
		if reports[i] != reports[0] {
			t.Fatalf("reports differ:\n%s\n%s", reports[0], reports[i])
		}
	}
}

// TestAuditProgress: progress is never reported concurrently, only grows,
// and ends with everything expected checked and downloaded.
func TestAuditProgress(t *testing.T) {
	f := newFixture(t)
	l := f.open()
	s := Wrap(f.store, l)
	var size int64
	for i := range 40 {
		data := fmt.Sprintf("object %d %0*d", i, i*10, 0)
		size += int64(len(data))
		put(t, s, fmt.Sprintf("blobs/%02d", i), data)
	}
	var (
		in    atomic.Bool
		calls int
		last  AuditProgress
	)
	progress := func(p AuditProgress) {
		if !in.CompareAndSwap(false, true) {
			t.Error("progress reported concurrently")
		}
		defer in.Store(false)
		calls++
		if p.Objects < last.Objects || p.Bytes < last.Bytes || p.Records < last.Records {
			t.Errorf("progress went back: %+v after %+v", p, last)
		}
		last = p
	}
	rep, err := Audit(t.Context(), l, f.store, AuditOptions{Deep: true, Workers: 4, Progress: progress})
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Clean() || calls < 2 {
		t.Fatalf("clean %v, %d progress calls", rep.Clean(), calls)
	}
	if last.TotalObjects != 40 || last.Objects != 40 || last.TotalBytes != size || last.Bytes != size || last.Records != 40 {
		t.Fatalf("last progress %+v, want 40 objects and %d bytes", last, size)
	}
}

// failGetStore fails every download after the first few.
type failGetStore struct {
	store.Store
	n atomic.Int64
}

var errReadInjected = errors.New("injected read failure")

func (s *failGetStore) Get(ctx context.Context, key string, off, n int64) (io.ReadCloser, error) {
	if s.n.Add(1) > 3 {
		return nil, errReadInjected
	}
	return s.Store.Get(ctx, key, off, n)
}

// TestAuditReadFails: a download that fails ends the audit with the error,
// and nothing is recorded as if the vault had been checked.
func TestAuditReadFails(t *testing.T) {
	f := newFixture(t)
	l := f.open()
	s := Wrap(f.store, l)
	for i := range 30 {
		put(t, s, fmt.Sprintf("blobs/%02d", i), fmt.Sprint("data ", i))
	}
	flush(t, l)
	before := len(entries(t, l))
	_, err := Audit(t.Context(), l, &failGetStore{Store: f.store}, AuditOptions{Deep: true, Workers: 4})
	if !errors.Is(err, errReadInjected) {
		t.Fatalf("err = %v, want the injected failure", err)
	}
	if after := len(entries(t, l)); after != before {
		t.Fatalf("a failed audit appended %d records", after-before)
	}
}
