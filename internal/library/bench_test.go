package library

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/tunesafe/tunesafe/internal/testenv"
)

// BenchmarkParseCorpus parses the largest corpus export (794 KB, 402 tracks).
func BenchmarkParseCorpus(b *testing.B) {
	data, err := os.ReadFile(filepath.Join(testenv.Corpus(b, "itunes"), macLibrary))
	if err != nil {
		testenv.SkipOrFail(b, "corpus file: %v", err)
	}
	benchmarkParse(b, data)
}

// BenchmarkParseSynthetic parses a generated export of 20,000 tracks, the
// size of a large personal library.
func BenchmarkParseSynthetic(b *testing.B) {
	benchmarkParse(b, syntheticLibrary(b, 20000))
}

func benchmarkParse(b *testing.B, data []byte) {
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(bytes.NewReader(data)); err != nil {
			b.Fatal(err)
		}
	}
}
