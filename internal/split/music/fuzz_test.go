package music

import (
	"bytes"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// One fuzz target per container parser, each called directly (past the
// magic-byte dispatch, so that mutated headers still reach it), plus one
// through Split and one for the product's promise. Any plan must tile the
// input; any error must be ErrMalformed or ErrUnknownFormat, since reading
// from memory cannot fail; and the boundedReader fails reads larger than
// maxRead. Seeds are committed under testdata/fuzz/<FuzzName>/ and checked
// by TestFuzzSeeds; run a target with e.g. go test -run '^$' -fuzz '^FuzzMP4$'.

var update = flag.Bool("update", false, "rewrite the fuzz seed corpora under testdata/fuzz")

// fuzzSeeds are the seed inputs of the single-input targets.
func fuzzSeeds() map[string][][]byte {
	le, be := binary.LittleEndian, binary.BigEndian
	pic := noise(90, 40)
	frames := mp3Frames(2)
	apicV3 := id3Frame(3, "APIC", 0, apic(3, 0, "image/jpeg", []byte("d\x00"), pic), false)
	apicV4 := id3Frame(4, "APIC", 0, apic(4, 1, "image/png", []byte{0xff, 0xfe, 'd', 0, 0, 0}, pic), false)
	return map[string][][]byte{
		"FuzzMP3": {
			cat(id3v2(3, 0, apicV3, 16), frames, id3v1("t")),
			cat(id3v2(4, id3FlagFooter|id3FlagExtended, cat([]byte{0, 0, 0, 6, 1, 0}, apicV4), 0), frames),
			cat(id3v2(2, 0, id3Frame(2, "PIC", 0, apic(2, 0, "JPG", []byte{0}, pic), false), 4), frames,
				buildAPE(2000, true, "A", "b"), lyrics3v2("la"), id3v1("t")),
			cat(frames, id3v1("a"), id3v2(4, id3FlagFooter, apicV4, 0), tagPlus("x"), id3v1("b")),
			cat(adtsFrames(2), buildAPE(1000, false, "A", "b")),
			cat([]byte("MAC "), noise(91, 30), []byte("LYRICSBEGINlaLYRICSEND"), id3v1("t")),
		},
		"FuzzMP4": {
			m4a(true, noise(92, 64), pic),
			m4a(false, noise(92, 64), pic, pic[:10]),
			cat(box("ftyp", []byte("M4A ")), box64("moov", box("udta", box("meta", box("ilst", box("covr", mp4Data(14, pic)))))), []byte{0, 0, 0, 0}, []byte("mdat"), noise(93, 30)),
		},
		"FuzzFLAC": {
			flacFile(flacFrames(64), pic),
			cat(id3v2(3, 0, apicV3, 0), flacFile(flacFrames(32)), id3v1("t")),
			flacFile(nil, pic, pic),
		},
		"FuzzRIFF": {
			wav(chunk(le, "fmt ", make([]byte, 16)), chunk(le, "data", noise(94, 63)), chunk(le, "id3 ", id3v2(3, 0, apicV3, 0))),
			cat([]byte("RF64\xff\xff\xff\xffWAVE"), chunk(le, "ds64", cat(le.AppendUint64(nil, 4+36+8+40), le.AppendUint64(nil, 40), make([]byte, 12))),
				[]byte("data\xff\xff\xff\xff"), noise(95, 40)),
			cat(wav(chunk(le, "data", noise(96, 20)), chunk(le, "LIST", []byte("INFO"))), id3v1("t")),
		},
		"FuzzIFF": {
			aiff(chunk(be, "COMM", make([]byte, 18)), chunk(be, "SSND", noise(97, 41)), chunk(be, "ID3 ", id3v2(4, 0, apicV4, 0))),
			cat([]byte("FRM8"), be.AppendUint64(nil, 4+12+4+12+20), []byte("DSD "),
				[]byte("FVER"), be.AppendUint64(nil, 4), make([]byte, 4), []byte("DSD "), be.AppendUint64(nil, 20), noise(98, 20)),
		},
		"FuzzDSF": {
			dsf(noise(99, 64), nil),
			dsf(noise(99, 64), id3v2(3, 0, apicV3, 8)),
		},
		"FuzzASF": {
			wma(noise(100, 64)),
		},
		"FuzzSplit": {
			cat(id3v2(3, 0, apicV3, 16), frames),
			m4a(true, noise(92, 64), pic),
			flacFile(flacFrames(64), pic),
			wav(chunk(le, "data", noise(94, 63))),
			aiff(chunk(be, "SSND", noise(97, 41))),
			dsf(noise(99, 64), nil),
			wma(noise(100, 64)),
			cat([]byte("wvpk"), noise(101, 50), buildAPE(2000, true, "A", "b")),
		},
	}
}

// tagEditSeed is a seed of FuzzTagEdit.
type tagEditSeed struct {
	format             byte
	audio              []byte
	title1, title2     string
	padding1, padding2 uint16
}

func tagEditSeeds() []tagEditSeed {
	return []tagEditSeed{
		{0, mp3Frames(2), "one", "a longer title", 0, 300},
		{1, noise(102, 200), "one", "two", 10, 0},
		{2, flacFrames(200), "one", "", 100, 7},
		{0, cat(id3v2(3, 0, nil, 4), []byte("TAG+")), "x", "y", 1, 2},
	}
}

func fuzzParser(f *testing.F, parse func(*source, *planBuilder) error) {
	for _, s := range fuzzSeeds()[f.Name()] {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s := &source{r: &boundedReader{data: data}, size: int64(len(data))}
		p, err := finish(s, func(b *planBuilder) error { return parse(s, b) })
		if err != nil {
			if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrUnknownFormat) {
				t.Fatalf("error is neither malformed nor unknown: %v", err)
			}
			return
		}
		checkPlan(t, p, data)
	})
}

func FuzzMP3(f *testing.F) { fuzzParser(f, splitTagged) }
func FuzzMP4(f *testing.F) { fuzzParser(f, splitMP4) }
func FuzzFLAC(f *testing.F) {
	fuzzParser(f, func(s *source, b *planBuilder) error {
		pos, err := leadingID3(s, b, s.size)
		if err != nil {
			return err
		}
		return splitFLAC(s, b, pos)
	})
}
func FuzzRIFF(f *testing.F) { fuzzParser(f, splitRIFF) }
func FuzzIFF(f *testing.F) {
	fuzzParser(f, func(s *source, b *planBuilder) error {
		if s.matches(0, "FRM8") {
			return splitDSDIFF(s, b)
		}
		return splitAIFF(s, b)
	})
}
func FuzzDSF(f *testing.F) { fuzzParser(f, splitDSF) }
func FuzzASF(f *testing.F) { fuzzParser(f, splitASF) }

// FuzzSplit goes through Split, dispatch included.
func FuzzSplit(f *testing.F) {
	for _, s := range fuzzSeeds()[f.Name()] {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := splitBytes("fuzz", data)
		if err != nil {
			if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrUnknownFormat) {
				t.Fatalf("error is neither malformed nor unknown: %v", err)
			}
			return
		}
		checkAnyPlan(t, p, data)
	})
}

// FuzzTagEdit checks the promise of the package on arbitrary audio: the
// same audio bytes wrapped in two different tags (different title and
// padding, so different sizes) split into the same audio regions.
func FuzzTagEdit(f *testing.F) {
	for _, s := range tagEditSeeds() {
		f.Add(s.format, s.audio, s.title1, s.title2, s.padding1, s.padding2)
	}
	f.Fuzz(func(t *testing.T, format byte, audio []byte, title1, title2 string, padding1, padding2 uint16) {
		wrap := func(title string, padding uint16) []byte {
			switch format % 3 {
			case 0: // MP3: ID3v2 + audio + ID3v1
				tag := id3v2(4, 0, id3Frame(4, "TIT2", 0, tit2(title), false), int(padding))
				return cat(tag, audio, id3v1(title))
			case 1: // MP4, moov first: the mdat moves
				meta := box("meta", []byte{0, 0, 0, 0}, box("ilst", box("\xa9nam", mp4Data(1, []byte(title)))), box("free", make([]byte, padding)))
				return cat(box("ftyp", []byte("M4A ")), box("moov", box("udta", meta)), box("mdat", audio))
			default: // FLAC: the comment and padding blocks change
				return cat([]byte("fLaC"), flacBlock(0, false, make([]byte, 34)), flacBlock(4, false, []byte(title)),
					flacBlock(1, true, make([]byte, padding)), audio)
			}
		}
		a, b := wrap(title1, padding1), wrap(title2, padding2)
		pa, errA := splitBytes("a", a)
		pb, errB := splitBytes("b", b)
		if (errA == nil) != (errB == nil) {
			t.Fatalf("one edit splits, the other does not: %v / %v", errA, errB)
		}
		if errA != nil {
			return
		}
		checkPlan(t, pa, a)
		checkPlan(t, pb, b)
		if !bytes.Equal(audioOf(pa, a), audioOf(pb, b)) {
			t.Fatalf("audio differs after a tag edit: %s / %s", describe(pa), describe(pb))
		}
		if format%3 == 1 && len(audioOf(pa, a)) != len(audio) {
			t.Fatalf("audio region %d bytes, the mdat payload %d", len(audioOf(pa, a)), len(audio))
		}
	})
}

// TestFuzzSeeds checks that the committed seed corpora are those the
// builders make (go test -run TestFuzzSeeds -update rewrites them).
func TestFuzzSeeds(t *testing.T) {
	want := map[string]string{} // path -> content
	for name, seeds := range fuzzSeeds() {
		for i, s := range seeds {
			want[filepath.Join("testdata", "fuzz", name, fmt.Sprintf("seed%d", i))] = fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", s)
		}
	}
	for i, s := range tagEditSeeds() {
		want[filepath.Join("testdata", "fuzz", "FuzzTagEdit", fmt.Sprintf("seed%d", i))] = fmt.Sprintf(
			"go test fuzz v1\nbyte(%q)\n[]byte(%q)\nstring(%q)\nstring(%q)\nuint16(%d)\nuint16(%d)\n",
			s.format, s.audio, s.title1, s.title2, s.padding1, s.padding2)
	}
	var paths []string
	for p := range want {
		paths = append(paths, p)
	}
	slices.Sort(paths)
	for _, p := range paths {
		if *update {
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, []byte(want[p]), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		got, err := os.ReadFile(p)
		if err != nil || string(got) != want[p] {
			t.Errorf("%s is missing or stale (run go test -run TestFuzzSeeds -update): %v", p, err)
		}
	}
	// Every seed must split without error through its own parser.
	for name, seeds := range fuzzSeeds() {
		for i, s := range seeds {
			if _, err := splitBytes(name, s); err != nil {
				t.Errorf("%s seed %d does not split: %v", name, i, err)
			}
		}
	}
}
