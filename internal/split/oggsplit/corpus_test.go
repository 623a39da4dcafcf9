package oggsplit

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tunesafe/tunesafe/internal/split"
	"github.com/tunesafe/tunesafe/internal/testenv"
)

// oggExts are the extensions of the corpus files that are Ogg streams.
var oggExts = []string{".ogg", ".oga", ".opus", ".spx", ".oggflac", ".oggtheora"}

// corpusFiles returns the Ogg files of the named shared corpus.
func corpusFiles(t *testing.T, name string) []string {
	t.Helper()
	dir := testenv.Corpus(t, name)
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range ents {
		for _, ext := range oggExts {
			if strings.EqualFold(filepath.Ext(e.Name()), ext) {
				out = append(out, filepath.Join(dir, e.Name()))
			}
		}
	}
	if len(out) == 0 {
		t.Fatalf("no Ogg files in %s", dir)
	}
	return out
}

// TestCorpus splits every Ogg file of both corpora: Split either refuses
// the file or returns a well-formed plan whose stream rebuilds the file
// byte for byte.
func TestCorpus(t *testing.T) {
	split := 0
	for _, corpus := range []string{"mutagen", "taglib"} {
		for _, path := range corpusFiles(t, corpus) {
			name := corpus + "/" + filepath.Base(path)
			t.Run(name, func(t *testing.T) {
				data, err := os.ReadFile(path)
				if err != nil {
					t.Fatal(err)
				}
				p, err := Split(bytes.NewReader(data), int64(len(data)))
				if err != nil {
					if !errors.Is(err, ErrNotOgg) && !errors.Is(err, ErrUnsupported) && !errors.Is(err, ErrCorrupt) {
						t.Errorf("Split: unclassified error: %v", err)
					}
					t.Logf("refused: %v", err)
					return
				}
				split++
				checkPlan(t, p, data)
				t.Logf("%s", describe(p))
			})
		}
	}
	// Most corpus files are well-formed; a Split that refuses them all is broken.
	if split < 15 {
		t.Errorf("only %d corpus files split", split)
	}
}

// checkPlan asserts that p is well formed and rebuilds to data.
func checkPlan(t testing.TB, p split.Plan, data []byte) {
	t.Helper()
	if err := p.Check(); err != nil {
		t.Fatalf("Check: %v", err)
	}
	if p.Layout != Layout {
		t.Fatalf("layout %q", p.Layout)
	}
	got := rebuild(t, p)
	if !bytes.Equal(got, data) {
		t.Fatalf("rebuilt %d bytes, differ from the %d byte original", len(got), len(data))
	}
}

// rebuild returns the file rebuilt from p's stream.
func rebuild(t testing.TB, p split.Plan) []byte {
	t.Helper()
	var out bytes.Buffer
	var rb split.Rebuilder = Rebuilder{}
	if err := rb.Rebuild(streamReader(p), &out); err != nil {
		t.Fatalf("Rebuild: %v", err)
	}
	return out.Bytes()
}
