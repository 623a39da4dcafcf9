package restore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tunesafe/tunesafe/internal/split"
	"github.com/tunesafe/tunesafe/internal/store"
	"github.com/tunesafe/tunesafe/internal/store/memstore"
	"github.com/tunesafe/tunesafe/internal/vault"
)

// dropLine fails the download of one blob as a dropped connection would:
// not damage, so the file fails and the restore goes on.
type dropLine struct {
	store.Store
	key atomic.Value // string: the blob key whose Get fails
}

func (d *dropLine) Get(ctx context.Context, key string, off, n int64) (io.ReadCloser, error) {
	if k, _ := d.key.Load().(string); k == key {
		return nil, errors.New("connection reset by peer")
	}
	return d.Store.Get(ctx, key, off, n)
}

// pieces returns n distinct pieces of a file, one blob each.
func pieces(n int) []string {
	var out []string
	for i := range n {
		out = append(out, strings.Repeat(fmt.Sprintf("<piece %d>", i), 100+i))
	}
	return out
}

func lenOf(ps []string) int64 {
	n := 0
	for _, p := range ps {
		n += len(p)
	}
	return int64(n)
}

// partials lists the partial files and records in dir.
func partials(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	for _, e := range entries(t, dir) {
		if strings.HasPrefix(path.Base(e), ".tunesafe-") {
			out = append(out, e)
		}
	}
	return out
}

// resumeFixture is a vault holding Music/a.flac in six blobs, whose
// downloads are counted and can be made to fail.
type resumeFixture struct {
	*fixture
	gets  *blobGets
	drop  *dropLine
	file  vault.Node
	snap  *vault.Snapshot
	out   string
	parts []string
}

func newResumeFixture(t *testing.T, encrypt bool, layout string) *resumeFixture {
	t.Helper()
	r := &resumeFixture{gets: &blobGets{Store: &memstore.Store{}}, parts: pieces(6), out: t.TempDir()}
	r.drop = &dropLine{Store: r.gets}
	r.fixture = newFixtureIn(t, r.drop, encrypt)
	r.file = r.fixture.file("a.flac", 0o644, r.parts...)
	r.file.Layout = layout
	r.snap = r.snapshot(r.dir("Music", 0o755, r.file))
	return r
}

// interrupt runs a restore whose line drops at blob k of a.flac.
func (r *resumeFixture) interrupt(k int, o Options) {
	r.t.Helper()
	r.drop.key.Store(vault.BlobKey(r.file.Blobs[k]))
	defer r.drop.key.Store("")
	o.To = r.out
	if _, err := r.restore(r.snap, o); err == nil {
		r.t.Fatal("restore with a dropped line succeeded")
	}
	if _, err := os.Lstat(filepath.Join(r.out, "Music", "a.flac")); err == nil {
		r.t.Fatal("a.flac is under its final name after a failed restore")
	}
	r.gets.fetched(nil)
}

// rerun restores again and checks that a.flac is exact, that only the
// blobs from the kth were downloaded, and that the rest counts as resumed
// and done.
func (r *resumeFixture) rerun(k int) {
	r.t.Helper()
	p := &Progress{}
	res, err := r.restore(r.snap, Options{To: r.out, Workers: 1, Rebuilders: identity, Progress: p})
	if err != nil || res.Restored != 1 {
		r.t.Fatalf("rerun: %+v, %v", res, err)
	}
	if got := readFile(r.t, filepath.Join(r.out, "Music", "a.flac")); got != strings.Join(r.parts, "") {
		r.t.Fatalf("a.flac is not exact after the rerun (%d bytes)", len(got))
	}
	var want []int
	for i := k; i < len(r.parts); i++ {
		want = append(want, i)
	}
	if got := r.gets.fetched(r.file.Blobs); !slices.Equal(got, want) {
		r.t.Errorf("rerun downloaded blobs %v, want %v", got, want)
	}
	if resumed := lenOf(r.parts[:k]); res.BytesResumed != resumed {
		r.t.Errorf("BytesResumed %d, want %d", res.BytesResumed, resumed)
	}
	if p.BytesDone.Load() != p.BytesTotal.Load() {
		r.t.Errorf("BytesDone %d, want %d", p.BytesDone.Load(), p.BytesTotal.Load())
	}
	if left := partials(r.t, r.out); len(left) > 0 {
		r.t.Errorf("left after the rerun: %v", left)
	}
}

// A restore whose line drops in the middle of a file keeps the blobs it
// wrote; the next run downloads only the rest and restores the file
// exactly, in unencrypted and encrypted vaults.
func TestResumeAfterDroppedLine(t *testing.T) {
	for _, encrypt := range []bool{false, true} {
		t.Run(map[bool]string{false: "plain", true: "encrypted"}[encrypt], func(t *testing.T) {
			r := newResumeFixture(t, encrypt, "")
			r.interrupt(3, Options{Workers: 1})
			if got := partials(t, r.out); len(got) != 2 {
				t.Fatalf("after the interruption: %v, want a partial file and its record", got)
			}
			r.rerun(3)
		})
	}
}

// cancelAt cancels the restore when blob key is fetched, once the bytes
// before it are written (Progress counts them after the partial file).
type cancelAt struct {
	store.Store
	key    atomic.Value // string
	before int64
	p      *Progress
	cancel context.CancelFunc
}

func (c *cancelAt) Get(ctx context.Context, key string, off, n int64) (io.ReadCloser, error) {
	if k, _ := c.key.Load().(string); k == key {
		for c.p.BytesDone.Load() < c.before && ctx.Err() == nil {
			time.Sleep(time.Millisecond)
		}
		c.cancel()
		return nil, context.Canceled
	}
	return c.Store.Get(ctx, key, off, n)
}

// A restore cancelled (Ctrl-C) in the middle of a file resumes it.
func TestResumeAfterCancel(t *testing.T) {
	gets := &blobGets{Store: &memstore.Store{}}
	ca := &cancelAt{Store: gets, p: &Progress{}}
	r := &resumeFixture{gets: gets, parts: pieces(6), out: t.TempDir(), fixture: newFixtureIn(t, ca, false)}
	r.file = r.fixture.file("a.flac", 0o644, r.parts...)
	r.snap = r.snapshot(r.dir("Music", 0o755, r.file))
	ctx, cancel := context.WithCancel(r.ctx)
	defer cancel()
	ca.before, ca.cancel = lenOf(r.parts[:2]), cancel
	ca.key.Store(vault.BlobKey(r.file.Blobs[2]))
	if _, err := Run(ctx, r.v, r.snap, Options{To: r.out, Workers: 1, Progress: ca.p}); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled restore: %v", err)
	}
	ca.key.Store("")
	gets.fetched(nil)
	r.rerun(2)
}

// A partial file that does not hold what its record says is kept only up
// to its last good blob (or not at all), and the file comes out exact.
func TestResumeDamagedPartial(t *testing.T) {
	for _, tc := range []struct {
		name   string
		damage func(part, rec string, parts []string) error
		from   int // first blob downloaded again
	}{
		{"flipped byte in the first blob", func(part, _ string, _ []string) error { return flip(part, 5) }, 0},
		{"flipped byte in the second blob", func(part, _ string, parts []string) error { return flip(part, lenOf(parts[:1])+7) }, 1},
		{"record longer than the data", func(_, rec string, parts []string) error {
			return appendTo(rec, fmt.Sprintf("%d\n%d\n", len(parts[3]), len(parts[4])))
		}, 3},
		{"junk after the record's blobs", func(part, rec string, _ []string) error {
			if err := appendTo(part, "junk"); err != nil {
				return err
			}
			return appendTo(rec, "4\n")
		}, 3},
		{"record too long for the file", func(_, rec string, _ []string) error { return os.WriteFile(rec, []byte("99999999\n"), 0o600) }, 0},
		{"record not numbers", func(_, rec string, _ []string) error { return os.WriteFile(rec, []byte("x\n"), 0o600) }, 0},
		{"no record", func(_, rec string, _ []string) error { return os.Remove(rec) }, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newResumeFixture(t, true, "")
			r.interrupt(3, Options{Workers: 1})
			part, rec := partialPaths(t, filepath.Join(r.out, "Music"))
			if err := tc.damage(part, rec, r.parts); err != nil {
				t.Fatal(err)
			}
			r.rerun(tc.from)
		})
	}
}

// partialPaths returns the one partial file in dir and its record.
func partialPaths(t *testing.T, dir string) (part, rec string) {
	t.Helper()
	m, _ := filepath.Glob(filepath.Join(dir, ".tunesafe-*.part"))
	if len(m) != 1 {
		t.Fatalf("partial files in %s: %v, want one", dir, m)
	}
	return m[0], strings.TrimSuffix(m[0], ".part") + ".blobs"
}

func flip(name string, at int64) error {
	b, err := os.ReadFile(name)
	if err != nil {
		return err
	}
	b[at] ^= 0x01
	return os.WriteFile(name, b, 0o600)
}

func appendTo(name, s string) error {
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		return err
	}
	_, err = f.WriteString(s)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// copyRebuilder rebuilds a test layout: the stream is the file.
type copyRebuilder struct{}

func (copyRebuilder) Rebuild(stream io.Reader, w io.Writer) error {
	_, err := io.Copy(w, stream)
	return err
}

var identity = map[string]split.Rebuilder{"ogg1": copyRebuilder{}}

// A file with a layout cannot resume (its rebuild has state): an
// interrupted one leaves no partial file, and restarts from zero.
func TestLayoutRestartsFromZero(t *testing.T) {
	r := newResumeFixture(t, false, "ogg1")
	r.interrupt(3, Options{Workers: 1, Rebuilders: identity})
	if got := partials(t, r.out); len(got) != 0 {
		t.Fatalf("after the interruption: %v, want nothing", got)
	}
	r.rerun(0)
}

// Two files of one folder with the same content, restored at once, each
// have their own partial file, and both resume.
func TestResumeIdenticalFilesApart(t *testing.T) {
	r := newResumeFixture(t, false, "")
	twin := r.file
	twin.SetName("twin.flac")
	r.snap = r.snapshot(r.dir("Music", 0o755, r.file, twin))
	r.drop.key.Store(vault.BlobKey(r.file.Blobs[3]))
	if _, err := r.restore(r.snap, Options{To: r.out, Workers: 2}); err == nil {
		t.Fatal("restore with a dropped line succeeded")
	}
	r.drop.key.Store("")
	if got := partials(t, r.out); len(got) != 4 {
		t.Fatalf("after the interruption: %v, want two partial files and their records", got)
	}
	res, err := r.restore(r.snap, Options{To: r.out, Workers: 2})
	if err != nil || res.Restored != 2 || res.BytesResumed != 2*lenOf(r.parts[:3]) {
		t.Fatalf("rerun: %+v, %v; want 2 files restored, %d bytes resumed", res, err, 2*lenOf(r.parts[:3]))
	}
	for _, name := range []string{"a.flac", "twin.flac"} {
		if got := readFile(t, filepath.Join(r.out, "Music", name)); got != strings.Join(r.parts, "") {
			t.Errorf("%s is not exact", name)
		}
	}
}

// The partial file of a file the snapshot holds survives a restore of
// other files of its folder, which removes other leftovers; restoring the
// file then resumes it. A partial file whose file is found in place is
// removed.
func TestPartialSurvivesOtherSelections(t *testing.T) {
	r := newResumeFixture(t, false, "")
	other := r.fixture.file("b.flac", 0o644, "other track")
	r.snap = r.snapshot(r.dir("Music", 0o755, r.file, other))
	r.interrupt(3, Options{Workers: 1, Patterns: []string{"Music/a.flac"}})
	part, rec := partialPaths(t, filepath.Join(r.out, "Music"))
	stale := []string{".tunesafe-0123456789ab.tmp", ".tunesafe-0123456789abcdef01234567.part", ".tunesafe-0123456789abcdef01234567.blobs"}
	for _, s := range stale {
		os.WriteFile(filepath.Join(r.out, "Music", s), []byte("stale"), 0o600)
	}
	res, err := r.restore(r.snap, Options{To: r.out, Patterns: []string{"Music/b.flac"}})
	if err != nil || res.Restored != 1 {
		t.Fatalf("restore of b.flac: %+v, %v", res, err)
	}
	want := []string{filepath.Base(rec), filepath.Base(part)}
	slices.Sort(want)
	if got := partials(t, filepath.Join(r.out, "Music")); !slices.Equal(got, want) {
		t.Fatalf("after restoring b.flac: %v, want %v", got, want)
	}
	r.gets.fetched(nil)
	r.rerun(3)

	// Found in place, a.flac needs no partial file.
	if err := os.WriteFile(part, []byte(r.parts[0]), 0o600); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(rec, []byte(fmt.Sprintf("%d\n", len(r.parts[0]))), 0o600)
	res, err = r.restore(r.snap, Options{To: r.out})
	if err != nil || res.Unchanged != 2 {
		t.Fatalf("third run: %+v, %v", res, err)
	}
	if got := partials(t, r.out); len(got) != 0 {
		t.Errorf("left: %v", got)
	}
}
