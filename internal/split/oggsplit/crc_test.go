package oggsplit

import (
	"math/rand/v2"
	"testing"
)

// crcBitwise is the Ogg CRC by its definition, one bit at a time.
func crcBitwise(crc uint32, p []byte) uint32 {
	for _, b := range p {
		crc ^= uint32(b) << 24
		for range 8 {
			if crc&0x80000000 != 0 {
				crc = crc<<1 ^ crcPoly
			} else {
				crc <<= 1
			}
		}
	}
	return crc
}

// TestCRCRandom compares crcUpdate with the bitwise definition on random
// bytes of many lengths, at every alignment, from random starting CRCs,
// and summed in random pieces.
func TestCRCRandom(t *testing.T) {
	rnd := rand.New(rand.NewPCG(7, 8))
	buf := randBytes(rnd, 70000)
	lengths := []int{65307, 65536, 4096, 4097, 1000}
	for n := range 300 {
		lengths = append(lengths, n)
	}
	for _, n := range lengths {
		for align := range 16 {
			p := buf[align : align+n]
			crc0 := rnd.Uint32()
			want := crcBitwise(crc0, p)
			if got := crcUpdate(crc0, p); got != want {
				t.Fatalf("%d bytes at alignment %d from %#08x: %#08x, want %#08x", n, align, crc0, got, want)
			}
			crc, rest := crc0, p
			for len(rest) > 0 {
				k := rnd.IntN(min(len(rest), 40)) + 1
				crc, rest = crcUpdate(crc, rest[:k]), rest[k:]
			}
			if crc != want {
				t.Fatalf("%d bytes at alignment %d in pieces: %#08x, want %#08x", n, align, crc, want)
			}
		}
	}
}
