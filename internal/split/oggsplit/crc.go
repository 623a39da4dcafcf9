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
// CRC of byte i followed by k zero bytes. Since the CRC is linear, the CRC
// of 16 bytes is the XOR of the CRCs of each byte shifted by the bytes
// after it, which lets crcUpdate consume sixteen bytes per step with
// sixteen independent lookups ("slicing-by-16"). The tables are a constant
// (16 KiB), built once when the package loads.
var crcTables = func() (t [16][256]uint32) {
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
	for k := 1; k < len(t); k++ {
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
	for len(p) >= 16 {
		// The pending CRC is XORed into the first four bytes, which then
		// lie 12 to 15 bytes before the end of the block.
		c := crc ^ binary.BigEndian.Uint32(p)
		q := p[4:16:16]
		crc = t[15][c>>24] ^ t[14][byte(c>>16)] ^ t[13][byte(c>>8)] ^ t[12][byte(c)] ^
			t[11][q[0]] ^ t[10][q[1]] ^ t[9][q[2]] ^ t[8][q[3]] ^
			t[7][q[4]] ^ t[6][q[5]] ^ t[5][q[6]] ^ t[4][q[7]] ^
			t[3][q[8]] ^ t[2][q[9]] ^ t[1][q[10]] ^ t[0][q[11]]
		p = p[16:]
	}
	if len(p) >= 8 {
		c := crc ^ binary.BigEndian.Uint32(p)
		q := p[4:8:8]
		crc = t[7][c>>24] ^ t[6][byte(c>>16)] ^ t[5][byte(c>>8)] ^ t[4][byte(c)] ^
			t[3][q[0]] ^ t[2][q[1]] ^ t[1][q[2]] ^ t[0][q[3]]
		p = p[8:]
	}
	for _, b := range p {
		crc = crc<<8 ^ t[0][byte(crc>>24)^b]
	}
	return crc
}
