package oggsplit

import (
	"bytes"
	"crypto/sha256"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"testing"

	"github.com/tunesafe/tunesafe/internal/split"
	"github.com/tunesafe/tunesafe/internal/testenv"
)

// benchFile is a 4 MB Vorbis-like file on 4 KiB pages.
func benchFile() []byte { return bigFile(12000) }

// bigFile is a Vorbis-like file of n audio packets (about 340 bytes each)
// on 4 KiB pages, with a cover in the comment.
func bigFile(n int) []byte {
	pic := string(bytes.Repeat([]byte("cover art "), 20000))
	return joinPages(paginate(1, 0, fakeVorbis(n, 16, "TITLE=bench", "METADATA_BLOCK_PICTURE="+pic), 4096, 0, 2))
}

// tempFile writes data to a file in a temporary directory and opens it.
func tempFile(tb testing.TB, data []byte) *os.File {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "bench.ogg")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		tb.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { f.Close() })
	return f
}

// BenchmarkSplit is the verified Split of a 4 MB file in memory.
func BenchmarkSplit(b *testing.B) {
	data := benchFile()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Split(bytes.NewReader(data), int64(len(data))); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSplitUnverified is what the backup engine does for each Ogg
// file on disk: split it, then read the whole stored stream once (the
// engine rebuilds it into a hash, then chunks its regions).
func BenchmarkSplitUnverified(b *testing.B) {
	for _, c := range []struct {
		name string
		data func(b *testing.B) []byte
	}{
		{"synthetic-4MB", func(*testing.B) []byte { return benchFile() }},
		{"synthetic-20MB", func(*testing.B) []byte { return bigFile(60000) }},
		{"mutagen-multipagecomment", corpusBench("mutagen", "multipagecomment.ogg")},
		{"mutagen-example.opus", corpusBench("mutagen", "example.opus")},
	} {
		b.Run(c.name, func(b *testing.B) {
			data := c.data(b)
			f := tempFile(b, data)
			size := int64(len(data))
			b.Run("split", func(b *testing.B) {
				b.SetBytes(size)
				b.ReportAllocs()
				for b.Loop() {
					if _, err := SplitUnverified(f, size); err != nil {
						b.Fatal(err)
					}
				}
			})
			b.Run("split+read", func(b *testing.B) {
				b.SetBytes(size)
				b.ReportAllocs()
				buf := make([]byte, 64<<10)
				for b.Loop() {
					p, err := SplitUnverified(f, size)
					if err != nil {
						b.Fatal(err)
					}
					if _, err := io.CopyBuffer(io.Discard, io.NewSectionReader(p.Stream, 0, p.Size), buf); err != nil {
						b.Fatal(err)
					}
				}
			})
		})
	}
}

// corpusBench returns a function reading a file of the shared corpus.
func corpusBench(corpus, name string) func(b *testing.B) []byte {
	return func(b *testing.B) []byte {
		b.Helper()
		data, err := os.ReadFile(filepath.Join(testenv.Corpus(b, corpus), name))
		if err != nil {
			b.Fatal(err)
		}
		return data
	}
}

func BenchmarkRebuild(b *testing.B) {
	data := benchFile()
	stream := streamBytes(b, splitBytes(b, data))
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if err := (Rebuilder{}).Rebuild(bytes.NewReader(stream), io.Discard); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCRC measures crcUpdate on page-sized and small inputs.
func BenchmarkCRC(b *testing.B) {
	for _, n := range []int{27, 282, 4096, 65307} {
		p := randBytes(rand.New(rand.NewPCG(1, 2)), n)
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			b.SetBytes(int64(n))
			var crc uint32
			for b.Loop() {
				crc = crcUpdate(crc, p)
			}
			sink = crc
		})
	}
}

var sink uint32

// TestSplitMemory: Split holds page headers and tables, not the file nor
// its header packets. A 20 MB file, or one with a 12 MB picture in its
// comment, must cost far less than its size in allocations, and the stream
// that Split returns reads the file instead of a copy of it.
func TestSplitMemory(t *testing.T) {
	cover := string(bytes.Repeat([]byte("big cover "), 1200000))
	for _, c := range []struct {
		name string
		data []byte
	}{
		{"audio", bigFile(60000)},
		{"cover", joinPages(paginate(1, 0, fakeVorbis(20000, 17, "TITLE=a", "COVERART="+cover), 4096, 0, 2))},
	} {
		size := int64(len(c.data))
		if size < 10e6 {
			t.Fatalf("test file of %d bytes", size)
		}
		f := tempFile(t, c.data)
		for _, fn := range []struct {
			name  string
			split func(io.ReaderAt, int64) (split.Plan, error)
		}{{"Split", Split}, {"SplitUnverified", SplitUnverified}} {
			t.Run(c.name+"/"+fn.name, func(t *testing.T) {
				var p split.Plan
				alloc := allocated(func() {
					var err error
					if p, err = fn.split(f, size); err != nil {
						t.Fatal(err)
					}
				})
				t.Logf("%s of %d bytes allocated %d bytes", fn.name, size, alloc)
				if alloc > uint64(size)/4 {
					t.Errorf("%s of a %d byte file allocated %d bytes", fn.name, size, alloc)
				}
				h := sha256.New()
				if err := (Rebuilder{}).Rebuild(streamReader(p), h); err != nil {
					t.Fatal(err)
				}
				if want := sha256.Sum256(c.data); !bytes.Equal(h.Sum(nil), want[:]) {
					t.Fatal("stream does not rebuild the file")
				}
				if c.name == "cover" && kindBytes(p)[split.Picture] != int64(len(cover)) {
					t.Errorf("picture regions of %d bytes, want %d", kindBytes(p)[split.Picture], len(cover))
				}
			})
		}
	}
}

// allocated returns the bytes fn allocates on the heap.
func allocated(fn func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	fn()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// BenchmarkStreamRead reads the stored stream of a 20 MB file on disk in
// 64 KiB reads, as Rebuild and the backup engine's chunker do.
func BenchmarkStreamRead(b *testing.B) {
	data := bigFile(60000)
	f := tempFile(b, data)
	p, err := SplitUnverified(f, int64(len(data)))
	if err != nil {
		b.Fatal(err)
	}
	buf := make([]byte, 64<<10)
	b.SetBytes(p.Size)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := io.CopyBuffer(io.Discard, io.NewSectionReader(p.Stream, 0, p.Size), buf); err != nil {
			b.Fatal(err)
		}
	}
}
