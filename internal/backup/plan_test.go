package backup

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"

	"github.com/tunesafe/tunesafe/internal/split"
	"github.com/tunesafe/tunesafe/internal/vault"
)

// xorLayout is a stored-stream layout for tests: the stream is the file
// with every byte XORed with 0x5a, its first 100 bytes a Tag region and
// the rest Audio. Like oggsplit, its splitter reads the whole file, in
// order, through the io.ReaderAt it is given, and the stream reads the
// file through that same io.ReaderAt.
const xorLayout = "xor1"

type xorSplitter struct {
	mu    sync.Mutex
	calls map[string]int
	// afterSplit, when set, runs after the first split of each file.
	afterSplit func(name string)
}

func (s *xorSplitter) Split(name string, f io.ReaderAt, size int64) (split.Plan, error) {
	s.mu.Lock()
	if s.calls == nil {
		s.calls = map[string]int{}
	}
	s.calls[filepath.Base(name)]++
	first := s.calls[filepath.Base(name)] == 1
	s.mu.Unlock()
	if size <= 100 {
		return split.Plan{}, errors.New("too small")
	}
	buf := make([]byte, 4096)
	for off := int64(0); off < size; off += int64(len(buf)) {
		n := min(int64(len(buf)), size-off)
		if _, err := f.ReadAt(buf[:n], off); err != nil {
			return split.Plan{}, err
		}
	}
	if first && s.afterSplit != nil {
		s.afterSplit(name)
	}
	return split.Plan{
		Layout:  xorLayout,
		Stream:  xorStream{f},
		Size:    size,
		Regions: []split.Region{{Kind: split.Tag, Offset: 0, Length: 100}, {Kind: split.Audio, Offset: 100, Length: size - 100}},
	}, nil
}

func (s *xorSplitter) count(name string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[name]
}

type xorStream struct{ f io.ReaderAt }

func (x xorStream) ReadAt(p []byte, off int64) (int, error) {
	n, err := x.f.ReadAt(p, off)
	for i := range p[:n] {
		p[i] ^= 0x5a
	}
	return n, err
}

func (xorStream) MemSize() int64 { return 64 }

// xorRebuilder rebuilds an xor1 stream; its faults make tests of the
// rebuild check.
type xorRebuilder struct {
	flip  bool // damage one byte of the output
	short bool // write half the file, then succeed
	fail  bool // write nothing, then fail
}

func (x xorRebuilder) Rebuild(stream io.Reader, w io.Writer) error {
	data, err := io.ReadAll(stream)
	if err != nil {
		return err
	}
	if x.short {
		data = data[:len(data)/2]
	}
	for i := range data {
		data[i] ^= 0x5a
	}
	if x.flip {
		data[len(data)/2] ^= 1
	}
	if x.fail {
		return errors.New("broken stream")
	}
	_, err = w.Write(data)
	return err
}

// earlyRebuilder really stops reading half-way, leaving the rest of the
// stream unread, and reports success.
type earlyRebuilder struct{}

func (earlyRebuilder) Rebuild(stream io.Reader, w io.Writer) error {
	buf := make([]byte, 1000)
	if _, err := io.ReadFull(stream, buf); err != nil {
		return err
	}
	for i := range buf {
		buf[i] ^= 0x5a
	}
	_, err := w.Write(buf)
	return err
}

// fileNode returns the node of Music/name in the snapshot.
func fileNode(t *testing.T, f *fixture, snapshot, name string) vault.Node {
	t.Helper()
	ctx := context.Background()
	id, err := vault.ParseID(snapshot)
	if err != nil {
		t.Fatal(err)
	}
	s, err := f.vault.GetSnapshot(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	tree, err := f.vault.GetTree(ctx, s.Tree)
	if err != nil {
		t.Fatal(err)
	}
	for _, dir := range []string{"Music", name} {
		var found *vault.Node
		for i := range tree.Nodes {
			if tree.Nodes[i].Name == dir {
				found = &tree.Nodes[i]
			}
		}
		if found == nil {
			t.Fatalf("no %s in the snapshot", dir)
		}
		if dir == name {
			return *found
		}
		if tree, err = f.vault.GetTree(ctx, *found.Subtree); err != nil {
			t.Fatal(err)
		}
	}
	panic("unreachable")
}

// A stored-stream layout is split once per pass: the plan the metadata
// phase made, with the file's SHA-256 taken while it read, serves the data
// phase, and the file restores exactly.
func TestStoredStreamPlannedOnce(t *testing.T) {
	f := newFixture(t, true)
	src := filepath.Join(f.dir, "Music")
	p := filepath.Join(src, "a.xor")
	writeFile(t, p, randomBytes(31, 300<<10))
	sp := &xorSplitter{}
	rb := map[string]split.Rebuilder{xorLayout: xorRebuilder{}}
	res := f.backupClean(Options{Paths: []string{src}, Splitter: sp, Rebuilders: rb})
	if n := sp.count("a.xor"); n != 1 {
		t.Errorf("the file was split %d times in one pass, want 1", n)
	}
	if res.BytesRead != 300<<10 {
		t.Errorf("BytesRead = %d, want the file's %d", res.BytesRead, 300<<10)
	}
	node := fileNode(t, f, res.SnapshotID, "a.xor")
	if node.Layout != xorLayout {
		t.Fatalf("stored with layout %q, want %q", node.Layout, xorLayout)
	}
	if sum := sha256.Sum256(randomBytes(31, 300<<10)); node.SHA256 != hex.EncodeToString(sum[:]) {
		t.Fatalf("node SHA-256 %s, want %x", node.SHA256, sum)
	}
	f.restoreSame(res.SnapshotID, src, rb)

	// FileChunks (repairs) cuts the same blobs and finds the same node.
	want := map[vault.ID]bool{}
	got, err := FileChunks(f.vault, sp, rb, p, func(id vault.ID, data []byte) error {
		want[id] = true
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if got.Layout != xorLayout || got.SHA256 != node.SHA256 || !slices.Equal(got.Blobs, node.Blobs) || !slices.Equal(got.Lists, node.Lists) {
		t.Fatalf("FileChunks node %+v, backup node %+v", got, node)
	}
}

// A stream that does not rebuild the file, however the rebuild goes wrong,
// leaves the file stored by plain chunking, exact, with no warning; the
// check never blocks the chunking it runs beside.
func TestRebuildCheckFallsBack(t *testing.T) {
	cases := map[string]split.Rebuilder{
		"damaged output": xorRebuilder{flip: true},
		"short output":   xorRebuilder{short: true},
		"error":          xorRebuilder{fail: true},
		"stops reading":  earlyRebuilder{},
	}
	for name, rebuilder := range cases {
		t.Run(name, func(t *testing.T) {
			f := newFixture(t, false)
			src := filepath.Join(f.dir, "Music")
			writeFile(t, filepath.Join(src, "a.xor"), randomBytes(32, 400<<10))
			rb := map[string]split.Rebuilder{xorLayout: rebuilder}
			res := f.backupClean(Options{Paths: []string{src}, Splitter: &xorSplitter{}, Rebuilders: rb})
			if node := fileNode(t, f, res.SnapshotID, "a.xor"); node.Layout != "" {
				t.Fatalf("stored with layout %q after a failed rebuild check", node.Layout)
			}
			f.restoreSame(res.SnapshotID, src, nil)
		})
	}
}

// A file that changes after the metadata phase planned it is planned
// again: the kept plan, and the SHA-256 taken with it, describe bytes that
// are gone.
func TestKeptPlanNotUsedForChangedFile(t *testing.T) {
	f := newFixture(t, false)
	src := filepath.Join(f.dir, "Music")
	p := filepath.Join(src, "a.xor")
	writeFile(t, p, randomBytes(33, 200<<10))
	sp := &xorSplitter{afterSplit: func(string) {
		if err := os.WriteFile(p, randomBytes(34, 250<<10), 0o644); err != nil {
			t.Error(err)
		}
	}}
	rb := map[string]split.Rebuilder{xorLayout: xorRebuilder{}}
	res := f.backupClean(Options{Paths: []string{src}, Splitter: sp, Rebuilders: rb, Readers: 1})
	if n := sp.count("a.xor"); n != 2 {
		t.Errorf("split %d times, want 2 (the kept plan is stale)", n)
	}
	node := fileNode(t, f, res.SnapshotID, "a.xor")
	if sum := sha256.Sum256(randomBytes(34, 250<<10)); node.SHA256 != hex.EncodeToString(sum[:]) || node.Size != 250<<10 {
		t.Fatalf("node %s (%d bytes), want the new content", node.SHA256, node.Size)
	}
	f.restoreSame(res.SnapshotID, src, rb)
}

// planSource hashes exactly the prefix a splitter read in order.
func TestPlanSourceHashesInOrderReads(t *testing.T) {
	data := randomBytes(35, 10000)
	read := func(s *planSource, off, n int) {
		buf := make([]byte, n)
		if _, err := s.ReadAt(buf, int64(off)); err != nil && err != io.EOF {
			t.Fatal(err)
		}
	}
	full := sha256.Sum256(data)

	s := newPlanSource(bytes.NewReader(data))
	read(s, 9000, 1000) // a look at the end first
	read(s, 0, 4000)
	read(s, 1000, 1000) // a re-read
	read(s, 3000, 7000) // overlapping, to the end
	if got := s.done(int64(len(data))); !bytes.Equal(got, full[:]) {
		t.Fatalf("in-order reads: sum %x, want %x", got, full)
	}
	// After done the source only reads.
	read(s, 0, 10)

	s = newPlanSource(bytes.NewReader(data))
	read(s, 0, 4000)
	read(s, 5000, 5000) // a gap
	if got := s.done(int64(len(data))); got != nil {
		t.Fatalf("reads with a gap: sum %x, want none", got)
	}
	s = newPlanSource(bytes.NewReader(data))
	read(s, 0, 100)
	if got := s.done(int64(len(data))); got != nil {
		t.Fatal("a partial read gave a sum")
	}
}

// The cache keeps plans within its budget, for stored streams with a sum
// only, and hands each out once.
func TestPlanCacheBudget(t *testing.T) {
	mk := func(layout string, sum []byte) hashedPlan {
		p := split.Plan{Layout: layout, Size: 10, Regions: []split.Region{{Offset: 0, Length: 10}}}
		if layout != "" {
			p.Stream = xorStream{}
		}
		return hashedPlan{plan: p, sum: sum}
	}
	c := newPlanCache(64 + 24 + 10) // one plan
	a, b, d, e := &entry{}, &entry{}, &entry{}, &entry{}
	c.put(a, mk(xorLayout, []byte{1}))
	c.put(b, mk(xorLayout, []byte{2})) // over the budget
	c.put(d, mk("", []byte{3}))        // no layout: cheap to redo
	c.put(e, mk(xorLayout, nil))       // no sum
	if _, ok := c.take(a); !ok {
		t.Error("the first plan was not kept")
	}
	if _, ok := c.take(a); ok {
		t.Error("a plan was handed out twice")
	}
	for i, x := range []*entry{b, d, e} {
		if _, ok := c.take(x); ok {
			t.Errorf("plan %d was kept", i+2)
		}
	}
}
