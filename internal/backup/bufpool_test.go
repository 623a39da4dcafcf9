package backup

import (
	"bytes"
	"testing"
)

func TestBufPool(t *testing.T) {
	var p bufPool
	for _, n := range []int{0, 1, minPooled, minPooled + 1, 1 << 20, 3<<20 + 5, maxPooled, maxPooled + 1} {
		data := bytes.Repeat([]byte{byte(n)}, n)
		b := p.copyOf(data)
		if !bytes.Equal(b, data) {
			t.Fatalf("copy of %d bytes differs", n)
		}
		if n <= maxPooled && (cap(b) < n || cap(b) > 2*n && cap(b) > minPooled) {
			t.Errorf("%d bytes in a buffer of %d", n, cap(b))
		}
		p.recycle(b)
		// A recycled buffer is reused for the same class, with new bytes.
		again := p.copyOf(bytes.Repeat([]byte{1}, n))
		if !bytes.Equal(again, bytes.Repeat([]byte{1}, n)) {
			t.Fatalf("reused buffer of %d bytes holds old bytes", n)
		}
	}
}
