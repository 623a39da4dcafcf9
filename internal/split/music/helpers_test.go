package music

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/tunesafe/tunesafe/internal/split"
	"github.com/tunesafe/tunesafe/internal/split/oggsplit"
	"github.com/tunesafe/tunesafe/internal/testenv"
)

// boundedReader is an io.ReaderAt over data that fails any read larger
// than maxRead, proving that no parser sizes a read (or a buffer) by a
// number found in the file.
type boundedReader struct {
	data  []byte
	reads atomic.Int64
}

func (r *boundedReader) ReadAt(p []byte, off int64) (int, error) {
	r.reads.Add(1)
	if len(p) > maxRead {
		return 0, fmt.Errorf("read of %d bytes exceeds maxRead", len(p))
	}
	if off < 0 {
		return 0, fmt.Errorf("negative offset %d", off)
	}
	if off >= int64(len(r.data)) {
		return 0, io.EOF
	}
	n := copy(p, r.data[off:])
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

// splitBytes splits data through a boundedReader.
func splitBytes(name string, data []byte) (split.Plan, error) {
	return Splitter{}.Split(name, &boundedReader{data: data}, int64(len(data)))
}

// checkPlan fails t unless p is a well-formed plan of data: Check passes,
// the layout is the file itself, and the regions concatenate to data.
func checkPlan(t testing.TB, p split.Plan, data []byte) {
	t.Helper()
	if err := p.Check(); err != nil {
		t.Fatalf("plan does not check: %v\n%s", err, describe(p))
	}
	if p.Layout != "" || p.Stream != nil {
		t.Fatalf("layout %q, want the file itself", p.Layout)
	}
	if p.Size != int64(len(data)) {
		t.Fatalf("plan size %d, file has %d bytes", p.Size, len(data))
	}
	var joined []byte
	for i, r := range p.Regions {
		if r.Offset < 0 || r.Offset+r.Length > int64(len(data)) {
			t.Fatalf("region %d [%d,+%d) outside the file", i, r.Offset, r.Length)
		}
		if i > 0 && p.Regions[i-1].Kind == r.Kind && r.Kind != split.Tag {
			t.Fatalf("regions %d and %d are both %s and adjacent: not merged\n%s", i-1, i, r.Kind, describe(p))
		}
		joined = append(joined, data[r.Offset:r.Offset+r.Length]...)
	}
	if !bytes.Equal(joined, data) {
		t.Fatalf("regions do not concatenate to the file")
	}
}

// checkAnyPlan is checkPlan for plans of any layout: an Ogg plan
// (oggsplit's "ogg1" layout) must rebuild to data.
func checkAnyPlan(t testing.TB, p split.Plan, data []byte) {
	t.Helper()
	if p.Layout == "" {
		checkPlan(t, p, data)
		return
	}
	if p.Layout != oggsplit.Layout {
		t.Fatalf("layout %q", p.Layout)
	}
	if err := p.Check(); err != nil {
		t.Fatalf("plan does not check: %v", err)
	}
	var out bytes.Buffer
	if err := (oggsplit.Rebuilder{}).Rebuild(io.NewSectionReader(p.Stream, 0, p.Size), &out); err != nil {
		t.Fatalf("rebuild: %v", err)
	}
	if !bytes.Equal(out.Bytes(), data) {
		t.Fatalf("ogg plan rebuilds to %d bytes that differ from the %d of the file", out.Len(), len(data))
	}
}

// kinds returns the plan's runs of region kinds, e.g. "tag audio tag"
// (adjacent tag regions cut apart count as one run).
func kinds(p split.Plan) string {
	var s []string
	for i, r := range p.Regions {
		if i > 0 && p.Regions[i-1].Kind == r.Kind {
			continue
		}
		s = append(s, r.Kind.String())
	}
	return strings.Join(s, " ")
}

// describe returns kinds and lengths, e.g. "tag:10 audio:2000".
func describe(p split.Plan) string {
	var s []string
	for _, r := range p.Regions {
		s = append(s, fmt.Sprintf("%s:%d", r.Kind, r.Length))
	}
	return strings.Join(s, " ")
}

// regionsOf returns the bytes of the regions of kind k, in order.
func regionsOf(p split.Plan, data []byte, k split.Kind) [][]byte {
	var out [][]byte
	for _, r := range p.Regions {
		if r.Kind == k {
			out = append(out, data[r.Offset:r.Offset+r.Length])
		}
	}
	return out
}

// audioOf returns the concatenated audio regions.
func audioOf(p split.Plan, data []byte) []byte {
	return bytes.Join(regionsOf(p, data, split.Audio), nil)
}

// corpusFile is one audio file of a shared corpus.
type corpusFile struct {
	name string // "mutagen/xing.mp3"
	path string
}

// corpusFiles lists the data files of the shared corpora, skipping or
// failing (in CI) when the corpus is missing.
func corpusFiles(t testing.TB) []corpusFile {
	t.Helper()
	var files []corpusFile
	for _, c := range []string{"mutagen", "taglib"} {
		dir := testenv.Corpus(t, c)
		ents, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range ents {
			n := e.Name()
			if e.IsDir() || n == "MANIFEST.tsv" || n == "SOURCE.txt" || strings.HasPrefix(n, "LICENSE") {
				continue
			}
			files = append(files, corpusFile{c + "/" + n, filepath.Join(dir, n)})
		}
	}
	if len(files) < 200 {
		t.Fatalf("corpus has %d files, want the ~220 of shared/corpus", len(files))
	}
	return files
}

// readCorpus returns the bytes of one corpus file, e.g. "taglib/xing.mp3".
func readCorpus(t testing.TB, name string) []byte {
	t.Helper()
	c, n, _ := strings.Cut(name, "/")
	data, err := os.ReadFile(filepath.Join(testenv.Corpus(t, c), n))
	if err != nil {
		t.Fatal(err)
	}
	return data
}
