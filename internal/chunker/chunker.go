// Package chunker cuts a byte stream into content-defined chunks with a
// FastCDC-style gear hash and normalised chunking, so that inserting or
// removing bytes changes only the chunks around the edit and the rest of
// the stream keeps its chunk boundaries (and therefore its blob IDs).
//
// The parameters are part of the vault format (docs/FORMAT.md): a vault
// records them at init, and changing them only costs deduplication, never
// correctness, because a file is always the concatenation of its chunks.
//
// The gear table is derived, not stored: gear[i] is the first eight bytes,
// big-endian, of SHA-256("tunesafe gear v1" || byte(i)).
package chunker

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/bits"
)

// Params are the chunk size bounds. Avg must be a power of two.
type Params struct {
	Min int `json:"min"`
	Avg int `json:"avg"`
	Max int `json:"max"`
}

// DefaultParams: 256 KiB minimum, 1 MiB average, 4 MiB maximum.
var DefaultParams = Params{Min: 256 << 10, Avg: 1 << 20, Max: 4 << 20}

// Validate reports whether p can be used.
func (p Params) Validate() error {
	if p.Min < 64 || p.Avg <= p.Min || p.Max <= p.Avg || p.Avg&(p.Avg-1) != 0 || p.Max > 64<<20 {
		return fmt.Errorf("invalid chunker parameters min=%d avg=%d max=%d", p.Min, p.Avg, p.Max)
	}
	return nil
}

var gear = func() (g [256]uint64) {
	for i := range g {
		h := sha256.Sum256(append([]byte("tunesafe gear v1"), byte(i)))
		g[i] = binary.BigEndian.Uint64(h[:8])
	}
	return g
}()

// Chunker reads a stream and returns its chunks one at a time.
type Chunker struct {
	r            io.Reader
	p            Params
	maskS, maskL uint64
	buf          []byte
	start, end   int
	eof          bool
}

// New returns a Chunker reading r. The buffer is reused between chunks.
func New(r io.Reader, p Params) *Chunker {
	c := &Chunker{p: p, buf: make([]byte, min(initialBuf, 2*p.Max))}
	c.Reset(r)
	return c
}

// Reset makes c read from r, keeping its buffer.
func (c *Chunker) Reset(r io.Reader) {
	bitsAvg := bits.Len(uint(c.p.Avg)) - 1
	// Normalised chunking, level 2: harder to cut before the average size,
	// easier after, which narrows the size distribution around Avg.
	c.maskS = mask(bitsAvg + 2)
	c.maskL = mask(bitsAvg - 2)
	c.r, c.start, c.end, c.eof = r, 0, 0, false
}

// mask spreads n one-bits over the high part of the word, where the gear
// hash has mixed in the most bytes.
func mask(n int) uint64 {
	if n <= 0 {
		return 0
	}
	return ^uint64(0) << (64 - n)
}

// Next returns the next chunk, or io.EOF after the last. The returned slice
// is valid only until the next call.
func (c *Chunker) Next() ([]byte, error) {
	if c.end-c.start < c.p.Max && !c.eof {
		if err := c.fill(); err != nil {
			return nil, err
		}
	}
	if c.start == c.end {
		return nil, io.EOF
	}
	n := c.cut(c.buf[c.start:c.end])
	chunk := c.buf[c.start : c.start+n]
	c.start += n
	return chunk, nil
}

// initialBuf is the buffer a chunker starts with. It grows to twice the
// maximum chunk size at the first input longer than that, so that cutting
// many small files costs little memory and cutting large ones copies the
// unconsumed rest of the buffer only once per maximum chunk size.
const initialBuf = 64 << 10

func (c *Chunker) fill() error {
	copy(c.buf, c.buf[c.start:c.end])
	c.end -= c.start
	c.start = 0
	for {
		if c.end == len(c.buf) {
			if len(c.buf) >= 2*c.p.Max {
				return nil
			}
			// More input than the first buffer holds: grow it, so that
			// cut always sees a maximum chunk or the end of the input.
			buf := make([]byte, 2*c.p.Max)
			copy(buf, c.buf[:c.end])
			c.buf = buf
		}
		n, err := c.r.Read(c.buf[c.end:])
		c.end += n
		if errors.Is(err, io.EOF) {
			c.eof = true
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// cut returns the length of the first chunk of data.
func (c *Chunker) cut(data []byte) int {
	n := len(data)
	if n <= c.p.Min {
		return n
	}
	if n > c.p.Max {
		n = c.p.Max
	}
	normal := c.p.Avg
	if normal > n {
		normal = n
	}
	var h uint64
	i := c.p.Min
	for ; i < normal; i++ {
		h = h<<1 + gear[data[i]]
		if h&c.maskS == 0 {
			return i + 1
		}
	}
	for ; i < n; i++ {
		h = h<<1 + gear[data[i]]
		if h&c.maskL == 0 {
			return i + 1
		}
	}
	return n
}
