package oggsplit

import (
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"sync"
	"testing"

	"github.com/tunesafe/tunesafe/internal/split"
)

// streamFile is a file whose stream has every kind of segment: an ID3v2
// prefix, pages of many sizes (empty bodies included) and a trailer.
func streamFile() []byte {
	pkts := fakeVorbis(300, 21, "TITLE=stream")
	pkts = append(pkts, testPacket{nil, 1 << 20}, testPacket{nil, 1<<20 + 1})
	data := append(id3v2("prefix"), joinPages(paginate(3, 0, pkts, 700, 0, 1, 2, 303))...)
	return append(data, "TAG trailer"...)
}

// TestStreamReadAt: reads of any length at any offset return the bytes
// of the stream that single-byte reads return, and that stream rebuilds
// the file.
func TestStreamReadAt(t *testing.T) {
	data := streamFile()
	p, err := SplitUnverified(tempFile(t, data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	if got := rebuild(t, p); !bytes.Equal(got, data) {
		t.Fatal("stream does not rebuild the file")
	}
	want := make([]byte, p.Size)
	for i := range want {
		if n, err := p.Stream.ReadAt(want[i:i+1], int64(i)); n != 1 || err != nil {
			t.Fatalf("ReadAt(1 byte, %d) = %d, %v", i, n, err)
		}
	}
	rnd := rand.New(rand.NewPCG(1, 1))
	for range 2000 {
		off := rnd.Int64N(p.Size + 2)
		buf := make([]byte, rnd.IntN(int(p.Size)/2+1))
		n, err := p.Stream.ReadAt(buf, off)
		end := min(off+int64(len(buf)), p.Size)
		if off > p.Size {
			end = off
		}
		if n != int(end-off) || !bytes.Equal(buf[:n], want[off:end]) {
			t.Fatalf("ReadAt(%d bytes, %d) = %d bytes, %v: wrong bytes", len(buf), off, n, err)
		}
		if (n < len(buf)) != (err == io.EOF) || (n == len(buf) && err != nil) {
			t.Fatalf("ReadAt(%d bytes, %d) = %d, %v", len(buf), off, n, err)
		}
	}
	if _, err := p.Stream.ReadAt(make([]byte, 1), -1); err == nil {
		t.Error("ReadAt at a negative offset: no error")
	}
}

// TestStreamConcurrent reads the stream from several goroutines at once
// (run with -race).
func TestStreamConcurrent(t *testing.T) {
	data := streamFile()
	p, err := SplitUnverified(tempFile(t, data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	want := streamBytes(t, p)
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			rnd := rand.New(rand.NewPCG(uint64(g), 2))
			for range 200 {
				off := rnd.Int64N(p.Size)
				buf := make([]byte, rnd.Int64N(p.Size-off)+1)
				if n, err := p.Stream.ReadAt(buf, off); n != len(buf) || err != nil || !bytes.Equal(buf, want[off:off+int64(n)]) {
					t.Errorf("ReadAt(%d bytes, %d) = %d, %v", len(buf), off, n, err)
					return
				}
			}
		})
	}
	wg.Wait()
}

// TestStreamFileChanged: the stream reads the file, so a file truncated
// after Split makes reads fail instead of returning a short stream.
func TestStreamFileChanged(t *testing.T) {
	data := streamFile()
	f := tempFile(t, data)
	p, err := SplitUnverified(f, int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(f.Name(), int64(len(data)/2)); err != nil {
		t.Fatal(err)
	}
	_, err = io.ReadAll(streamReader(p))
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("reading the stream of a truncated file: %v", err)
	}
	if _, err := SplitUnverified(f, int64(len(data))); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("Split of a file shorter than its size: %v", err)
	}
}

// TestHostileSizes: sizes in a file (ID3v2 tag sizes, lacing values,
// comment lengths and counts) decide how far Split reads, never how much
// it allocates.
func TestHostileSizes(t *testing.T) {
	opus := func(tags []byte) []byte {
		pkts := fakeOpus(3, 30)
		pkts[1].data = tags
		return joinPages(paginate(5, 0, pkts, 4096, 0, 1))
	}
	u32 := func(v uint32) []byte { return []byte{byte(v), byte(v >> 8), byte(v >> 16), byte(v >> 24)} }
	huge := u32(0xffffffff)
	cat := func(bs ...[]byte) []byte { return bytes.Join(bs, nil) }
	truncated := joinPages(paginate(5, 0, fakeOpus(3, 31), 4096, 0, 1))
	truncated = append(truncated, "OggS\x00\x00"...)
	truncated = append(truncated, make([]byte, 20)...)
	truncated = append(truncated, 255)
	truncated = append(truncated, bytes.Repeat([]byte{255}, 255)...)
	for _, c := range []struct {
		name string
		data []byte
	}{
		{"ID3v2 size", append([]byte("ID3\x04\x00\x00\x7f\x7f\x7f\x7f"), truncated...)},
		{"vendor length", opus(cat([]byte("OpusTags"), huge, []byte("vendor")))},
		{"comment count", opus(cat([]byte("OpusTags"), u32(1), []byte("v"), huge, u32(3), []byte("A=b")))},
		{"comment length", opus(cat([]byte("OpusTags"), u32(1), []byte("v"), u32(2), huge, []byte("COVERART=x")))},
		{"page past the end", truncated},
	} {
		t.Run(c.name, func(t *testing.T) {
			for _, split := range []func(io.ReaderAt, int64) (split.Plan, error){Split, SplitUnverified} {
				alloc := allocated(func() { split(bytes.NewReader(c.data), int64(len(c.data))) })
				// Split verifies with Rebuild, whose buffers take 200 KiB.
				if alloc > 512<<10 {
					t.Errorf("Split of a %d byte file allocated %d bytes", len(c.data), alloc)
				}
			}
		})
	}
}
