package music

import (
	"bytes"
	"encoding/binary"
	"math/rand/v2"
)

// Builders of small synthetic files, byte by byte from the specifications,
// for the unit tests, the fuzz seeds and the benchmark.

// noise returns n pseudo-random bytes that are the same for the same seed.
func noise(seed uint64, n int) []byte {
	b := make([]byte, n)
	r := rand.New(rand.NewPCG(seed, 0x7475_6e65))
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// mp3Frames returns n MPEG-1 layer III frames, 128 kbit/s, 44.1 kHz
// (417 bytes each), with noise as payload.
func mp3Frames(n int) []byte {
	var out []byte
	for i := range n {
		f := noise(uint64(i), 417)
		copy(f, []byte{0xff, 0xfb, 0x90, 0x64})
		out = append(out, f...)
	}
	return out
}

// adtsFrames returns n ADTS AAC frames of 200 bytes.
func adtsFrames(n int) []byte {
	var out []byte
	for i := range n {
		f := noise(uint64(i), 200)
		const n = 200
		copy(f, []byte{0xff, 0xf1, 0x50, 0x80 | n>>11, n >> 3 & 0xff, n&7<<5 | 0x1f, 0xfc})
		out = append(out, f...)
	}
	return out
}

// syncsafe encodes v as four 7-bit groups.
func syncsafe(v int) []byte {
	return []byte{byte(v >> 21 & 0x7f), byte(v >> 14 & 0x7f), byte(v >> 7 & 0x7f), byte(v & 0x7f)}
}

// id3v2 returns an ID3v2 tag of the given version and header flags around
// body (extended header and frames), with padding zero bytes, and a footer
// when the flags ask for one.
func id3v2(version, flags byte, body []byte, padding int) []byte {
	size := len(body) + padding
	t := append([]byte{'I', 'D', '3', version, 0, flags}, syncsafe(size)...)
	t = append(t, body...)
	t = append(t, make([]byte, padding)...)
	if flags&id3FlagFooter != 0 {
		t = append(t, '3', 'D', 'I', version, 0, flags)
		t = append(t, syncsafe(size)...)
	}
	return t
}

// id3Frame returns a frame of the given version. plain writes a v2.4 size
// as a plain integer, as iTunes did.
func id3Frame(version byte, id string, flags uint16, body []byte, plain bool) []byte {
	f := []byte(id)
	switch {
	case version == 2:
		f = append(f, byte(len(body)>>16), byte(len(body)>>8), byte(len(body)))
		return append(f, body...)
	case version == 4 && !plain:
		f = append(f, syncsafe(len(body))...)
	default:
		f = binary.BigEndian.AppendUint32(f, uint32(len(body)))
	}
	f = binary.BigEndian.AppendUint16(f, flags)
	return append(f, body...)
}

// apic returns the body of an APIC frame (PIC for version 2) whose
// description desc is already encoded in enc, terminator included.
func apic(version, enc byte, mime string, desc, pic []byte) []byte {
	b := []byte{enc}
	if version == 2 {
		b = append(b, mime[:3]...)
	} else {
		b = append(append(b, mime...), 0)
	}
	b = append(b, 3) // front cover
	b = append(b, desc...)
	return append(b, pic...)
}

// tit2 returns the body of a text frame in Latin-1.
func tit2(s string) []byte { return append([]byte{0}, s...) }

// id3v1 returns a 128-byte ID3v1.1 tag.
func id3v1(title string) []byte {
	t := make([]byte, 128)
	copy(t, "TAG")
	copy(t[3:33], title)
	t[126] = 7 // track
	t[127] = 12
	return t
}

// tagPlus returns the 227-byte extended ID3v1 block that precedes an ID3v1 tag.
func tagPlus(title string) []byte {
	t := make([]byte, 227)
	copy(t, "TAG+")
	copy(t[4:64], title)
	return t
}

// buildAPE returns an APE tag (version 1000 or 2000) with one item, with a
// header when header is set.
func buildAPE(version uint32, header bool, key, value string) []byte {
	item := binary.LittleEndian.AppendUint32(nil, uint32(len(value)))
	item = binary.LittleEndian.AppendUint32(item, 0)
	item = append(append(append(item, key...), 0), value...)
	hf := func(flags uint32) []byte {
		h := []byte("APETAGEX")
		h = binary.LittleEndian.AppendUint32(h, version)
		h = binary.LittleEndian.AppendUint32(h, uint32(len(item)+32))
		h = binary.LittleEndian.AppendUint32(h, 1)
		h = binary.LittleEndian.AppendUint32(h, flags)
		return append(h, make([]byte, 8)...)
	}
	var t []byte
	flags := uint32(0)
	if header {
		flags = 1 << 31
		t = hf(flags | 1<<29)
	}
	return append(append(t, item...), hf(flags)...)
}

// lyrics3v2 returns a Lyrics3 v2.00 tag with one lyrics field.
func lyrics3v2(text string) []byte {
	field := []byte("LYR")
	field = append(field, []byte(pad5(len(text)))...)
	body := append([]byte("LYRICSBEGIN"), append(field, text...)...)
	size := []byte{'0', '0', '0', '0', '0', '0'}
	for i, n := 5, len(body); i >= 0; i, n = i-1, n/10 {
		size[i] = byte('0' + n%10)
	}
	return append(append(body, size...), "LYRICS200"...)
}

func pad5(n int) string {
	s := []byte("00000")
	for i := 4; i >= 0; i, n = i-1, n/10 {
		s[i] = byte('0' + n%10)
	}
	return string(s)
}

// box returns an MP4 box with a 32-bit size.
func box(typ string, payload ...[]byte) []byte {
	p := bytes.Join(payload, nil)
	b := binary.BigEndian.AppendUint32(nil, uint32(8+len(p)))
	return append(append(b, typ...), p...)
}

// box64 returns an MP4 box with a 64-bit size.
func box64(typ string, payload []byte) []byte {
	b := binary.BigEndian.AppendUint32(nil, 1)
	b = append(b, typ...)
	b = binary.BigEndian.AppendUint64(b, uint64(16+len(payload)))
	return append(b, payload...)
}

// mp4Data returns an ilst "data" box of the given well-known type.
func mp4Data(typ uint32, value []byte) []byte {
	return box("data", binary.BigEndian.AppendUint32(nil, typ), []byte{0, 0, 0, 0}, value)
}

// m4a returns an iTunes-style file; covers go into moov/udta/meta/ilst/covr.
// With moovFirst the moov box precedes mdat.
func m4a(moovFirst bool, audio []byte, covers ...[]byte) []byte {
	var covr [][]byte
	for _, c := range covers {
		covr = append(covr, mp4Data(13, c))
	}
	ilst := box("ilst", box("\xa9nam", mp4Data(1, []byte("Title"))), box("covr", covr...))
	meta := box("meta", []byte{0, 0, 0, 0}, box("hdlr", make([]byte, 25)), ilst, box("free", make([]byte, 64)))
	moov := box("moov", box("mvhd", make([]byte, 100)), box("trak", box("tkhd", make([]byte, 84))), box("udta", meta))
	ftyp := box("ftyp", []byte("M4A \x00\x00\x00\x00M4A mp42isom"))
	if moovFirst {
		return bytes.Join([][]byte{ftyp, moov, box("mdat", audio)}, nil)
	}
	return bytes.Join([][]byte{ftyp, box("mdat", audio), moov}, nil)
}

// flacBlock returns a FLAC metadata block.
func flacBlock(typ byte, last bool, body []byte) []byte {
	if last {
		typ |= 0x80
	}
	n := len(body)
	return append([]byte{typ, byte(n >> 16), byte(n >> 8), byte(n)}, body...)
}

// flacPictureBlock returns the body of a PICTURE block.
func flacPictureBlock(pic []byte) []byte {
	b := binary.BigEndian.AppendUint32(nil, 3)
	b = binary.BigEndian.AppendUint32(b, 10)
	b = append(b, "image/jpeg"...)
	b = binary.BigEndian.AppendUint32(b, 5)
	b = append(b, "front"...)
	b = append(b, make([]byte, 16)...)
	b = binary.BigEndian.AppendUint32(b, uint32(len(pic)))
	return append(b, pic...)
}

// flacFrames returns bytes that start like FLAC frames.
func flacFrames(n int) []byte {
	f := noise(9, n)
	f[0], f[1] = 0xff, 0xf8
	return f
}

// flacFile returns a FLAC file with a comment, the given pictures, padding
// and frames.
func flacFile(frames []byte, pics ...[]byte) []byte {
	f := []byte("fLaC")
	f = append(f, flacBlock(0, false, make([]byte, 34))...)
	vc := binary.LittleEndian.AppendUint32(nil, 4)
	vc = append(vc, "test"...)
	vc = binary.LittleEndian.AppendUint32(vc, 1)
	vc = binary.LittleEndian.AppendUint32(vc, 11)
	vc = append(vc, "TITLE=Title"...)
	f = append(f, flacBlock(4, false, vc)...)
	for _, p := range pics {
		f = append(f, flacBlock(6, false, flacPictureBlock(p))...)
	}
	f = append(f, flacBlock(1, true, make([]byte, 100))...)
	return append(f, frames...)
}

// chunk returns a RIFF (little-endian) or IFF (big-endian) chunk with its
// pad byte.
func chunk(order binary.AppendByteOrder, id string, payload []byte) []byte {
	c := order.AppendUint32([]byte(id), uint32(len(payload)))
	c = append(c, payload...)
	if len(payload)%2 == 1 {
		c = append(c, 0)
	}
	return c
}

// wav returns a RIFF WAVE file of the given chunks.
func wav(chunks ...[]byte) []byte {
	body := append([]byte("WAVE"), bytes.Join(chunks, nil)...)
	return append(binary.LittleEndian.AppendUint32([]byte("RIFF"), uint32(len(body))), body...)
}

// aiff returns a FORM AIFF file of the given chunks.
func aiff(chunks ...[]byte) []byte {
	body := append([]byte("AIFF"), bytes.Join(chunks, nil)...)
	return append(binary.BigEndian.AppendUint32([]byte("FORM"), uint32(len(body))), body...)
}

// dsf returns a DSF file with the given samples and optional ID3v2 tag.
func dsf(samples, tag []byte) []byte {
	total := 28 + 52 + 12 + len(samples) + len(tag)
	meta := 0
	if tag != nil {
		meta = 28 + 52 + 12 + len(samples)
	}
	f := []byte("DSD ")
	f = binary.LittleEndian.AppendUint64(f, 28)
	f = binary.LittleEndian.AppendUint64(f, uint64(total))
	f = binary.LittleEndian.AppendUint64(f, uint64(meta))
	f = append(f, "fmt "...)
	f = binary.LittleEndian.AppendUint64(f, 52)
	f = append(f, make([]byte, 40)...)
	f = append(f, "data"...)
	f = binary.LittleEndian.AppendUint64(f, uint64(12+len(samples)))
	return append(append(f, samples...), tag...)
}

// asfObject returns a top-level ASF object.
func asfObject(guid []byte, payload []byte) []byte {
	o := append([]byte{}, guid...)
	o = binary.LittleEndian.AppendUint64(o, uint64(24+len(payload)))
	return append(o, payload...)
}

// wma returns an ASF file: header object, data object with packets, an index.
func wma(packets []byte) []byte {
	header := asfObject(asfHeaderGUID, append([]byte{1, 0, 0, 0, 1, 2}, asfObject(noise(5, 16), make([]byte, 80))...))
	data := asfObject(asfDataGUID, append(make([]byte, asfDataHeader-24), packets...))
	index := asfObject(noise(6, 16), make([]byte, 40))
	return bytes.Join([][]byte{header, data, index}, nil)
}

func cat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
