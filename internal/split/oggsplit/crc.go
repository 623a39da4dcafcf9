package oggsplit

import "encoding/binary"

// The Ogg page checksum (RFC 3533 §6): CRC-32 with generator polynomial
// 0x04c11db7, processed most significant bit first (no reflection), initial
// value 0 and no final XOR. It is computed over the whole page with the four
// checksum bytes (22–25) set to zero. Its check value, the CRC of the ASCII
// string "123456789", is 0x89a1897f. hash/crc32 cannot compute it: that
// package implements only the bit-reflected form.

const crcPoly = 0x04c11db7

// crcTables[0] is the classic byte-at-a-time table; crcTables[k][i] is the
// CRC of byte i followed by k zero bytes, which lets crcUpdate consume
// eight bytes per step ("slicing-by-8").
var crcTables = func() (t [8][256]uint32) {
	for i := range t[0] {
		r := uint32(i) << 24
		for range 8 {
			if r&0x80000000 != 0 {
				r = r<<1 ^ crcPoly
			} else {
				r <<= 1
			}
		}
		t[0][i] = r
	}
	for k := 1; k < 8; k++ {
		for i := range t[k] {
			v := t[k-1][i]
			t[k][i] = v<<8 ^ t[0][v>>24]
		}
	}
	return t
}()

// crcUpdate returns the Ogg CRC of the bytes already summed into crc
// followed by p.
func crcUpdate(crc uint32, p []byte) uint32 {
	t := &crcTables
	for len(p) >= 8 {
		crc ^= binary.BigEndian.Uint32(p)
		crc = t[7][crc>>24] ^ t[6][byte(crc>>16)] ^ t[5][byte(crc>>8)] ^ t[4][byte(crc)] ^
			t[3][p[4]] ^ t[2][p[5]] ^ t[1][p[6]] ^ t[0][p[7]]
		p = p[8:]
	}
	for _, b := range p {
		crc = crc<<8 ^ t[0][byte(crc>>24)^b]
	}
	return crc
}
