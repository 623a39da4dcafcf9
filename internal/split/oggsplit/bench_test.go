package oggsplit

import (
	"bytes"
	"io"
	"testing"
)

// benchFile is a 4 MB Vorbis-like file on 4 KiB pages.
func benchFile() []byte {
	return joinPages(paginate(1, 0, fakeVorbis(12000, 16, "TITLE=bench"), 4096, 0, 2))
}

func BenchmarkSplit(b *testing.B) {
	data := benchFile()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := Split(bytes.NewReader(data), int64(len(data))); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRebuild(b *testing.B) {
	data := benchFile()
	stream := streamBytes(b, splitBytes(b, data))
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if err := (Rebuilder{}).Rebuild(bytes.NewReader(stream), io.Discard); err != nil {
			b.Fatal(err)
		}
	}
}
