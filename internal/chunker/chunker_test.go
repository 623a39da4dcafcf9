package chunker

import (
	"bytes"
	"io"
	"math/rand/v2"
	"testing"
)

var small = Params{Min: 1 << 10, Avg: 4 << 10, Max: 16 << 10}

func chunks(t testing.TB, data []byte, p Params) [][]byte {
	t.Helper()
	return drain(t, New(bytes.NewReader(data), p))
}

// drain returns every chunk c cuts, copied.
func drain(t testing.TB, c *Chunker) [][]byte {
	t.Helper()
	var out [][]byte
	for {
		b, err := c.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, bytes.Clone(b))
	}
}

func random(seed uint64, n int) []byte {
	r := rand.New(rand.NewPCG(seed, seed))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

func TestConcatenationAndBounds(t *testing.T) {
	for _, n := range []int{0, 1, small.Min, small.Min + 1, small.Max, 3*small.Max + 17, 1 << 20} {
		data := random(uint64(n), n)
		cs := chunks(t, data, small)
		if got := bytes.Join(cs, nil); !bytes.Equal(got, data) {
			t.Fatalf("n=%d: concatenation differs", n)
		}
		for i, c := range cs {
			if len(c) > small.Max || (len(c) < small.Min && i != len(cs)-1) {
				t.Fatalf("n=%d: chunk %d has %d bytes", n, i, len(c))
			}
		}
	}
}

func TestAverageNearTarget(t *testing.T) {
	data := random(7, 8<<20)
	cs := chunks(t, data, small)
	avg := len(data) / len(cs)
	if avg < small.Avg/2 || avg > small.Avg*2 {
		t.Fatalf("average chunk %d, want near %d", avg, small.Avg)
	}
}

// An insertion near the start must leave most later chunks unchanged.
func TestInsertionKeepsLaterChunks(t *testing.T) {
	data := random(3, 2<<20)
	edited := append(append(append([]byte{}, data[:5000]...), []byte("a new title, longer than before")...), data[5000:]...)
	before := map[string]bool{}
	for _, c := range chunks(t, data, small) {
		before[string(c)] = true
	}
	after := chunks(t, edited, small)
	shared := 0
	for _, c := range after {
		if before[string(c)] {
			shared++
		}
	}
	if shared < len(after)-3 {
		t.Fatalf("only %d of %d chunks survived a small insertion", shared, len(after))
	}
}

type oneByteReader struct{ r io.Reader }

func (o oneByteReader) Read(p []byte) (int, error) { return o.r.Read(p[:1]) }

// Boundaries depend on content only, not on how reads are delivered.
func TestShortReads(t *testing.T) {
	data := random(9, 300<<10)
	want := chunks(t, data, small)
	c := New(oneByteReader{bytes.NewReader(data)}, small)
	for i := 0; ; i++ {
		b, err := c.Next()
		if err == io.EOF {
			if i != len(want) {
				t.Fatalf("got %d chunks, want %d", i, len(want))
			}
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(b, want[i]) {
			t.Fatalf("chunk %d differs with short reads", i)
		}
	}
}

func TestValidate(t *testing.T) {
	if err := DefaultParams.Validate(); err != nil {
		t.Fatal(err)
	}
	for _, p := range []Params{{}, {Min: 100, Avg: 3000, Max: 9000}, {Min: 4096, Avg: 4096, Max: 8192}} {
		if p.Validate() == nil {
			t.Errorf("%+v accepted", p)
		}
	}
}

func BenchmarkChunker(b *testing.B) {
	data := random(1, 32<<20)
	b.SetBytes(int64(len(data)))
	c := New(nil, DefaultParams)
	for b.Loop() {
		c.Reset(bytes.NewReader(data))
		for {
			if _, err := c.Next(); err != nil {
				break
			}
		}
	}
}

// A chunker starts with a small buffer and grows it at the first input
// longer than that: the cut points must be those of a chunker that had its
// full buffer from the start, for small and large inputs, whole or read in
// short pieces, and when reused for the next input.
func TestGrowingBufferCutsTheSame(t *testing.T) {
	p := DefaultParams
	if 2*p.Max <= initialBuf {
		t.Fatalf("default parameters do not exercise the growing buffer")
	}
	reference := func(data []byte) [][]byte {
		c := &Chunker{p: p, buf: make([]byte, 2*p.Max)}
		c.Reset(bytes.NewReader(data))
		return drain(t, c)
	}
	reused := New(nil, p)
	for _, n := range []int{100, initialBuf - 1, initialBuf, initialBuf + 1, p.Min + 5, 3*p.Max + 12345} {
		data := random(uint64(n)+100, n)
		want := reference(data)
		for k, r := range []io.Reader{bytes.NewReader(data), pieceReader{bytes.NewReader(data), 1000}, bytes.NewReader(data)} {
			c := New(r, p)
			if k == 2 {
				c = reused
				c.Reset(r)
			}
			for i := 0; ; i++ {
				b, err := c.Next()
				if err == io.EOF {
					if i != len(want) {
						t.Fatalf("n=%d: %d chunks, want %d", n, i, len(want))
					}
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				if i >= len(want) || !bytes.Equal(b, want[i]) {
					t.Fatalf("n=%d: chunk %d (%d bytes) differs from the full-buffer cut", n, i, len(b))
				}
			}
		}
	}
}

// pieceReader returns at most n bytes per Read.
type pieceReader struct {
	r io.Reader
	n int
}

func (p pieceReader) Read(b []byte) (int, error) {
	if len(b) > p.n {
		b = b[:p.n]
	}
	return p.r.Read(b)
}
