package music

import (
	"encoding/binary"
	"errors"
	"io"
	"testing"
)

func TestMP4(t *testing.T) {
	audio := noise(10, 5000)
	c1, c2 := noise(11, 700), noise(12, 300)
	nonFull := func() []byte { // meta without version and flags (some writers)
		ilst := box("ilst", box("covr", mp4Data(13, c1)))
		moov := box("moov", box("udta", box("meta", box("hdlr", make([]byte, 25)), ilst)))
		return cat(box("ftyp", []byte("M4A \x00\x00\x00\x00")), moov, box("mdat", audio))
	}
	cases := []splitCase{
		{name: "moov first", file: m4a(true, audio, c1, c2),
			kinds: "tag picture tag picture tag audio", audio: audio, pics: [][]byte{c1, c2}},
		{name: "moov last", file: m4a(false, audio, c1),
			kinds: "tag audio tag picture tag", audio: audio, pics: [][]byte{c1}},
		{name: "no cover", file: m4a(false, audio), kinds: "tag audio tag", audio: audio},
		{name: "non-full meta", file: nonFull(), kinds: "tag picture tag audio", audio: audio, pics: [][]byte{c1}},
		{name: "64-bit mdat", file: cat(box("ftyp", []byte("M4A ")), box64("mdat", audio), box("moov", box("mvhd"))),
			kinds: "tag audio tag", audio: audio},
		{name: "64-bit moov", file: cat(box("ftyp", []byte("M4A ")), box64("moov", box("udta", box("meta", []byte{0, 0, 0, 0},
			box("ilst", box("covr", mp4Data(14, c2)))))), box("mdat", audio)),
			kinds: "tag picture tag audio", audio: audio, pics: [][]byte{c2}},
		{name: "mdat to the end of the file (size 0)", file: cat(box("ftyp", []byte("M4A ")), box("moov"), []byte{0, 0, 0, 0}, []byte("mdat"), audio),
			kinds: "tag audio", audio: audio},
		{name: "two mdat boxes", file: cat(box("ftyp", []byte("M4A ")), box("mdat", audio[:100]), box("moof", make([]byte, 20)), box("mdat", audio[100:])),
			kinds: "tag audio tag audio", audio: audio},
		{name: "empty mdat", file: cat(box("ftyp", []byte("M4A ")), box("moov"), box("mdat")), kinds: "tag"},
		{name: "cover box overrunning its parent stays in the tag", file: func() []byte {
			f := m4a(false, audio, c1)
			i := len(f) - 72 - len(c1) - 16 - 8 // the covr box header, before meta's free box
			binary.BigEndian.PutUint32(f[i:], 0xffff)
			return f
		}(), kinds: "tag audio tag", audio: audio},
		{name: "box past the end", file: m4a(true, audio, c1)[:3000], err: ErrMalformed},
		{name: "trailing bytes", file: cat(m4a(true, audio), []byte{1, 2, 3}), err: ErrMalformed},
		{name: "box too small", file: cat(box("ftyp", []byte("M4A ")), []byte{0, 0, 0, 4, 'f', 'r', 'e', 'e'}), err: ErrMalformed},
		{name: "64-bit size too small", file: cat(box("ftyp", []byte("M4A ")), []byte{0, 0, 0, 1, 'f', 'r', 'e', 'e', 0, 0, 0, 0, 0, 0, 0, 8}), err: ErrMalformed},
		{name: "64-bit size beyond 2^63", file: cat(box("ftyp", []byte("M4A ")), []byte{0, 0, 0, 1, 'm', 'd', 'a', 't', 0xff, 0, 0, 0, 0, 0, 0, 8}), err: ErrMalformed},
		{name: "unprintable box type", file: cat(box("ftyp", []byte("M4A ")), box("\x00\x01\x02\x03", audio)), err: ErrMalformed},
	}
	runSplitCases(t, cases)
}

func TestFLAC(t *testing.T) {
	frames := flacFrames(4000)
	p1, p2 := noise(20, 900), noise(21, 90)
	cases := []splitCase{
		{name: "pictures", file: flacFile(frames, p1, p2),
			kinds: "tag picture tag picture tag audio", audio: frames, pics: [][]byte{p1, p2}},
		{name: "no pictures", file: flacFile(frames), kinds: "tag audio", audio: frames},
		{name: "trailing ID3v1 and APE", file: cat(flacFile(frames, p1), buildAPE(2000, true, "A", "b"), id3v1("t")),
			kinds: "tag picture tag audio tag", audio: frames, pics: [][]byte{p1}},
		{name: "leading ID3v2", file: cat(id3v2(4, 0, id3Frame(4, "APIC", 0, apic(4, 0, "image/jpeg", []byte{0}, p2), false), 10), flacFile(frames, p1)),
			kinds: "tag picture tag picture tag audio", audio: frames, pics: [][]byte{p2, p1}},
		{name: "no frames", file: flacFile(nil), kinds: "tag"},
		{name: "picture length beyond its block stays in the tag", file: func() []byte {
			f := flacFile(frames, p1)
			i := len(f) - len(frames) - 104 - len(p1) - 4
			binary.BigEndian.PutUint32(f[i:], uint32(len(p1)+1))
			return f
		}(), kinds: "tag audio", audio: frames},
		{name: "no frame sync", file: flacFile(noise(22, 100)), err: ErrMalformed},
		{name: "last block missing", file: flacFile(nil)[:4+38], err: ErrMalformed},
		{name: "block past the end", file: flacFile(frames, p1)[:500], err: ErrMalformed},
		{name: "first block not STREAMINFO", file: cat([]byte("fLaC"), flacBlock(1, true, make([]byte, 10)), frames), err: ErrMalformed},
		{name: "invalid block type", file: cat([]byte("fLaC"), flacBlock(0, false, make([]byte, 34)), flacBlock(127, true, nil), frames), err: ErrMalformed},
	}
	runSplitCases(t, cases)
}

func TestRIFF(t *testing.T) {
	le := binary.LittleEndian
	pcm := noise(30, 4000)
	odd := noise(31, 4001)
	pic := noise(32, 600)
	id3 := id3v2(3, 0, cat(id3Frame(3, "TIT2", 0, tit2("t"), false), id3Frame(3, "APIC", 0, apic(3, 0, "image/png", []byte{0}, pic), false)), 20)
	fmtChunk := chunk(le, "fmt ", make([]byte, 16))
	list := chunk(le, "LIST", []byte("INFOINAM\x05\x00\x00\x00titl\x00\x00"))
	rf64 := func(data []byte) []byte {
		ds64 := le.AppendUint64(nil, uint64(4+36+24+8+len(data)))
		ds64 = le.AppendUint64(ds64, uint64(len(data)))
		ds64 = append(ds64, make([]byte, 12)...)
		f := cat([]byte("RF64\xff\xff\xff\xffWAVE"), chunk(le, "ds64", ds64), fmtChunk, []byte("data\xff\xff\xff\xff"), data)
		return f
	}
	cases := []splitCase{
		{name: "data, LIST, id3", file: wav(fmtChunk, chunk(le, "data", pcm), list, chunk(le, "id3 ", id3)),
			kinds: "tag audio tag picture tag", audio: pcm, pics: [][]byte{pic}},
		{name: "tags before data", file: wav(fmtChunk, chunk(le, "ID3 ", id3), list, chunk(le, "data", pcm)),
			kinds: "tag picture tag audio", audio: pcm, pics: [][]byte{pic}},
		{name: "odd data chunk with pad byte", file: wav(fmtChunk, chunk(le, "data", odd), list),
			kinds: "tag audio tag", audio: odd},
		{name: "odd data chunk at the end without pad byte", file: wav(fmtChunk, chunk(le, "data", odd))[:8+4+24+8+len(odd)],
			kinds: "tag audio", audio: odd},
		{name: "ID3v1 after the form", file: cat(wav(fmtChunk, chunk(le, "data", pcm)), id3v1("t")),
			kinds: "tag audio tag", audio: pcm},
		{name: "RF64", file: rf64(pcm), kinds: "tag audio", audio: pcm},
		{name: "junk after the form", file: cat(wav(fmtChunk, chunk(le, "data", pcm)), []byte("junk")), err: ErrMalformed},
		{name: "form larger than the file", file: wav(fmtChunk, chunk(le, "data", pcm))[:3000], err: ErrMalformed},
		{name: "chunk past the form", file: func() []byte {
			f := wav(fmtChunk, chunk(le, "data", pcm), list)
			le.PutUint32(f[4:], uint32(4+24+8+100))
			return f
		}(), err: ErrMalformed},
		{name: "zero chunk id", file: wav(fmtChunk, chunk(le, "\x00\x00\x00\x00", nil), chunk(le, "data", pcm)), err: ErrMalformed},
		{name: "RF64 without ds64", file: cat([]byte("RF64\xff\xff\xff\xffWAVE"), fmtChunk, chunk(le, "data", pcm), make([]byte, 28)), err: ErrMalformed},
	}
	runSplitCases(t, cases)
}

func TestAIFFAndDSDIFF(t *testing.T) {
	be := binary.BigEndian
	pcm := noise(40, 3000)
	pic := noise(41, 321)
	id3 := id3v2(4, 0, id3Frame(4, "APIC", 0, apic(4, 3, "image/png", []byte{0}, pic), false), 0)
	comm := chunk(be, "COMM", make([]byte, 18))
	ssnd := chunk(be, "SSND", pcm)
	dsdChunk := func(id string, payload []byte) []byte {
		return cat([]byte(id), be.AppendUint64(nil, uint64(len(payload))), payload)
	}
	dff := func(chunks ...[]byte) []byte {
		body := cat(append([][]byte{[]byte("DSD ")}, chunks...)...)
		return cat([]byte("FRM8"), be.AppendUint64(nil, uint64(len(body))), body)
	}
	cases := []splitCase{
		{name: "AIFF", file: aiff(comm, ssnd, chunk(be, "ID3 ", id3)),
			kinds: "tag audio tag picture", audio: pcm, pics: [][]byte{pic}},
		{name: "AIFF odd SSND", file: aiff(comm, chunk(be, "SSND", pcm[:2999]), chunk(be, "NAME", []byte("x"))),
			kinds: "tag audio tag", audio: pcm[:2999]},
		{name: "AIFF truncated", file: aiff(comm, ssnd)[:1000], err: ErrMalformed},
		{name: "DSDIFF", file: dff(dsdChunk("FVER", make([]byte, 4)), dsdChunk("PROP", make([]byte, 30)), dsdChunk("DSD ", pcm), dsdChunk("ID3 ", id3)),
			kinds: "tag audio tag picture", audio: pcm, pics: [][]byte{pic}},
		{name: "DSDIFF DST", file: dff(dsdChunk("FVER", make([]byte, 4)), dsdChunk("DST ", pcm), dsdChunk("DIIN", make([]byte, 7))),
			kinds: "tag audio tag", audio: pcm},
		{name: "DSDIFF chunk past the end", file: dff(dsdChunk("FVER", make([]byte, 4)), dsdChunk("DSD ", pcm))[:2000], err: ErrMalformed},
	}
	runSplitCases(t, cases)
}

func TestDSF(t *testing.T) {
	samples := noise(50, 8192)
	pic := noise(51, 444)
	tag := id3v2(3, 0, id3Frame(3, "APIC", 0, apic(3, 0, "image/jpeg", []byte{0}, pic), false), 30)
	cases := []splitCase{
		{name: "no tag", file: dsf(samples, nil), kinds: "tag audio", audio: samples},
		{name: "ID3v2", file: dsf(samples, tag), kinds: "tag audio tag picture tag", audio: samples, pics: [][]byte{pic}},
		{name: "wrong total size", file: cat(dsf(samples, nil), []byte{0}), err: ErrMalformed},
		{name: "metadata pointer elsewhere", file: func() []byte {
			f := dsf(samples, tag)
			binary.LittleEndian.PutUint64(f[20:], 100)
			return f
		}(), err: ErrMalformed},
		{name: "data chunk past the end", file: func() []byte {
			f := dsf(samples, nil)
			binary.LittleEndian.PutUint64(f[84:], 1<<40)
			return f
		}(), err: ErrMalformed},
	}
	runSplitCases(t, cases)
}

func TestASF(t *testing.T) {
	packets := noise(60, 6000)
	cases := []splitCase{
		{name: "WMA", file: wma(packets), kinds: "tag audio tag", audio: packets},
		{name: "truncated", file: wma(packets)[:3000], err: ErrMalformed},
		{name: "object smaller than its header", file: cat(asfObject(asfHeaderGUID, nil), asfDataGUID, make([]byte, 8)), err: ErrMalformed},
		{name: "data object smaller than its header", file: cat(asfObject(asfHeaderGUID, nil), asfObject(asfDataGUID, make([]byte, 10))), err: ErrMalformed},
	}
	runSplitCases(t, cases)
}

// TestReadErrors checks that an I/O error is returned as such, not taken
// for a malformed file, and that a file shorter than its stated size fails.
func TestReadErrors(t *testing.T) {
	data := m4a(true, noise(70, 5000), noise(71, 500))
	failing := errReaderAt{data: data, failAt: 100}
	_, err := Splitter{}.Split("x.m4a", failing, int64(len(data)))
	if !errors.Is(err, errDisk) || errors.Is(err, ErrMalformed) {
		t.Errorf("read error: got %v, want errDisk", err)
	}
	_, err = Splitter{}.Split("x.m4a", errReaderAt{data: data[:50], failAt: 1 << 30}, int64(len(data)))
	if !errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, ErrMalformed) {
		t.Errorf("short file: got %v, want io.ErrUnexpectedEOF", err)
	}
}

var errDisk = errors.New("disk on fire")

// errReaderAt fails reads that reach failAt.
type errReaderAt struct {
	data   []byte
	failAt int64
}

func (r errReaderAt) ReadAt(p []byte, off int64) (int, error) {
	if off+int64(len(p)) > r.failAt {
		return 0, errDisk
	}
	if off >= int64(len(r.data)) {
		return 0, io.EOF
	}
	n := copy(p, r.data[off:])
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}
