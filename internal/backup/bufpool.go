package backup

import (
	"math/bits"
	"sync"
)

// bufPool recycles the buffers that hold blobs between the reader that cut
// them and the upload that stores them. Without it every blob, most of a
// library's bytes, is a fresh allocation that the collector must clear and
// reclaim. Buffers come in power-of-two size classes from minPooled to
// maxPooled bytes; larger ones are allocated and dropped.
type bufPool struct {
	classes [maxClass - minClass + 1]sync.Pool // of *[]byte
}

const (
	minClass  = 12 // 4 KiB
	maxClass  = 23 // 8 MiB
	minPooled = 1 << minClass
	maxPooled = 1 << maxClass
)

// class returns the size class of a buffer for n bytes, or -1.
func class(n int) int {
	if n > maxPooled {
		return -1
	}
	if n <= minPooled {
		return 0
	}
	return bits.Len(uint(n-1)) - minClass
}

// copyOf returns a buffer holding a copy of data.
func (p *bufPool) copyOf(data []byte) []byte {
	c := class(len(data))
	if c < 0 {
		return append([]byte(nil), data...)
	}
	if b, ok := p.classes[c].Get().(*[]byte); ok {
		return append((*b)[:0], data...)
	}
	b := make([]byte, len(data), 1<<(c+minClass))
	copy(b, data)
	return b
}

// recycle returns a buffer from copyOf; the caller must not use it again.
func (p *bufPool) recycle(b []byte) {
	c := class(cap(b))
	if c < 0 || cap(b) != 1<<(c+minClass) {
		return
	}
	p.classes[c].Put(&b)
}
