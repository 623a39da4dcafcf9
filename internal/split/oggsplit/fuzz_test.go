package oggsplit

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// FuzzSplit: Split never panics, and a plan it returns is well formed and
// rebuilds to the input. Random bytes rarely carry valid CRCs, so each
// input is also tried with its page CRCs fixed, which lets the fuzzer
// reach the packet and comment parsing.
func FuzzSplit(f *testing.F) {
	for _, seed := range fuzzSeeds() {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, d := range [][]byte{data, fixCRCs(data)} {
			p, err := Split(bytes.NewReader(d), int64(len(d)))
			if err != nil {
				continue
			}
			checkPlan(t, p, d)
		}
	})
}

// FuzzRebuild: Rebuild never panics on a damaged stream.
func FuzzRebuild(f *testing.F) {
	for _, seed := range fuzzSeeds() {
		p, err := Split(bytes.NewReader(seed), int64(len(seed)))
		if err == nil {
			f.Add(streamBytes(f, p))
		}
	}
	f.Fuzz(func(t *testing.T, stream []byte) {
		_ = (Rebuilder{}).Rebuild(bytes.NewReader(stream), io.Discard)
	})
}

// fixCRCs returns a copy of data with the CRC of every complete page
// recomputed, up to the first byte that does not start a page.
func fixCRCs(data []byte) []byte {
	b := bytes.Clone(data)
	for off := 0; len(b)-off >= pageHeaderSize && string(b[off:off+4]) == "OggS"; {
		nseg := int(b[off+26])
		if len(b)-off < pageHeaderSize+nseg {
			break
		}
		n := pageHeaderSize + nseg
		for _, l := range b[off+pageHeaderSize : off+n] {
			n += int(l)
		}
		if len(b)-off < n {
			break
		}
		pg := b[off : off+n]
		binary.LittleEndian.PutUint32(pg[22:], 0)
		binary.LittleEndian.PutUint32(pg[22:], crcUpdate(0, pg))
		off += n
	}
	return b
}

// fuzzSeeds are small Ogg files covering the paths of Split: the golden
// files, Opus, a multiplexed pair, a chained file, a picture, a truncated
// last page.
func fuzzSeeds() [][]byte {
	seeds := [][]byte{goldenFiles["tiny"](), goldenFiles["vorbis"]()}
	opus := joinPages(paginate(5, 0, fakeOpus(4, 11), 300, 0, 1))
	seeds = append(seeds, opus)
	v := paginate(1, 0, fakeVorbis(3, 12, "TITLE=m"), 400, 0, 2)
	o := paginate(2, 0, fakeOpus(3, 13), 400, 0, 1)
	seeds = append(seeds, joinPages([]testPage{v[0], o[0]}, o[1:], v[1:]))
	seeds = append(seeds, joinPages(v, paginate(1, 0, fakeVorbis(2, 14), 4096, 0, 2)))
	pic := string(bytes.Repeat([]byte("P"), minPicture))
	seeds = append(seeds, joinPages(paginate(3, 0, fakeVorbis(2, 15, "COVERART="+pic), 600, 0, 2)))
	seeds = append(seeds, opus[:len(opus)-20])
	flac := []testPacket{
		{append([]byte("\x7fFLAC\x01\x00\x00\x02fLaC\x00\x00\x00\x22"), make([]byte, 34)...), 0},
		{append([]byte{0x04, 0, 0, 30}, vorbisComment("", "", "TITLE=f")...), 0},
		{append([]byte{0x86, 0, 4, 4}, make([]byte, minPicture+4)...), 0},
		{[]byte{0xff, 0xf8, 1, 2, 3}, 4096},
	}
	seeds = append(seeds, joinPages(paginate(4, 0, flac, 4096, 0, 1, 2)))
	return seeds
}

// TestFuzzSeeds keeps testdata/fuzz/FuzzSplit in step with fuzzSeeds
// (rewritten with -update), and asserts that every seed splits.
func TestFuzzSeeds(t *testing.T) {
	dir := filepath.Join("testdata", "fuzz", "FuzzSplit")
	for i, seed := range fuzzSeeds() {
		splitBytes(t, seed)
		want := fmt.Appendf(nil, "go test fuzz v1\n[]byte(%q)\n", seed)
		path := filepath.Join(dir, fmt.Sprintf("seed-%02d", i))
		if *update {
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, want, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		got, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run with -update)", err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s is out of date (run with -update)", path)
		}
	}
}
