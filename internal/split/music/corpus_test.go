package music

import (
	"bytes"
	"encoding/binary"
	"errors"
	"maps"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/tunesafe/tunesafe/internal/split"
	"github.com/tunesafe/tunesafe/internal/split/oggsplit"
	"github.com/tunesafe/tunesafe/internal/testenv"
)

// TestCorpus splits every file of the shared corpora (real files from the
// mutagen and TagLib test suites, a third of them deliberately broken):
// each must give an error or a plan whose regions tile the file, and the
// known-good files must give the expected regions.
func TestCorpus(t *testing.T) {
	want := map[string]struct {
		kinds string
		audio int // total audio bytes
	}{
		"mutagen/silence-44-s.mp3":                   {"tag audio tag", 14942},
		"mutagen/apev2-lyricsv2.mp3":                 {"tag audio tag", 48231},
		"mutagen/audacious-trailing-id32-apev2.mp3":  {"audio tag", 2556},
		"mutagen/audacious-trailing-id32-id31.mp3":   {"audio tag", 14942},
		"mutagen/silence-44-s-v1.mp3":                {"audio tag", 14942},
		"mutagen/vbri.mp3":                           {"tag audio", 7185},
		"mutagen/xing.mp3":                           {"audio", 8208},
		"mutagen/silence-44-s-mpeg25.mp3":            {"audio", 4464},
		"mutagen/empty.aac":                          {"audio", 2577},
		"mutagen/covr-with-name.m4a":                 {"tag audio tag picture tag picture tag", 1457},
		"mutagen/has-tags.m4a":                       {"tag audio tag picture tag picture tag", 1457},
		"mutagen/alac.m4a":                           {"tag audio", 1284},
		"mutagen/no-tags.m4a":                        {"tag audio tag", 1457},
		"mutagen/no-tags.3g2":                        {"tag audio tag audio", 65519},
		"mutagen/nero-chapters.m4b":                  {"tag picture tag", 0},
		"mutagen/silence-44-s.flac":                  {"tag picture tag audio", 46718},
		"mutagen/variable-block.flac":                {"tag audio", 1976},
		"mutagen/silence-2s-PCM-44100-16-ID3v23.wav": {"tag audio tag picture", 352800},
		"mutagen/silence-2s-PCM-16000-08-notags.wav": {"tag audio", 64000},
		"mutagen/8k-4ch-1s-silence.aif":              {"tag audio", 64008},
		"mutagen/with-id3.aif":                       {"tag audio tag", 16008},
		"mutagen/5644800-2ch-s01-silence.dsf":        {"tag audio", 112896},
		"mutagen/5644800-2ch-s01-silence.dff":        {"tag audio", 14112},
		"mutagen/silence-2.wma":                      {"tag audio tag", 17896},
		"mutagen/silence-44-s.wv":                    {"audio tag", 34782},
		"mutagen/has-tags.tak":                       {"audio tag", 2103},
		"mutagen/click.mpc":                          {"audio", 1588},
		"mutagen/empty.tta":                          {"audio", 79538},
		"taglib/005411.id3":                          {"tag picture tag", 0},
		"taglib/itunes10.mp3":                        {"tag picture tag audio", 1879},
		"taglib/duplicate_id3v2.mp3":                 {"tag picture tag audio", 2089},
		"taglib/ape-id3v1.mp3":                       {"audio tag", 8208},
		"taglib/ape-id3v2.mp3":                       {"tag audio tag", 8208},
		"taglib/mac-399-tagged.ape":                  {"audio tag", 85212},
		"taglib/mac-399-id3v2.ape":                   {"tag audio", 85212},
		"taglib/tagged.tta":                          {"tag audio tag", 79538},
		"taglib/tagged.wv":                           {"audio tag", 76364},
		"taglib/rf64.wav":                            {"tag audio", 9600},
		"taglib/duplicate_tags.wav":                  {"tag audio tag", 14700},
		"taglib/noise_odd.aif":                       {"tag audio", 311},
		"taglib/alaw.aifc":                           {"tag audio", 1630},
		"taglib/empty10ms.dsf":                       {"tag audio", 8192},
		"taglib/lossless.wma":                        {"tag audio tag", 93842},
		"taglib/zero-length-mdat.m4a":                {"tag audio", 3120},
		"taglib/non-full-meta.m4a":                   {"tag audio tag picture tag picture tag", 1457},
		"taglib/sinewave.flac":                       {"tag audio", 64481},
		"taglib/empty1s.aac":                         {"audio", 147},
		"mutagen/silence-2s-PCM-16000-08-ID3v23.wav": {"tag audio tag picture", 64000},
		"taglib/mpeg-sync-flac.flac":                 {"tag audio", 770},
		"mutagen/id3v22-test.mp3":                    {"tag audio", 2895},
		"mutagen/97-unknown-23-update.mp3":           {"tag audio tag", 14942},
		"taglib/toc_many_children.mp3":               {"tag audio", 1879},
		"taglib/rare_frames.mp3":                     {"tag audio tag", 7185},
		"mutagen/silence-2s-44100-16.ofr":            {"audio", 8354},
		"mutagen/dsd.wv":                             {"audio", 6404},
		"taglib/blank_video.m4v":                     {"tag audio", 12726},
		"mutagen/ep7.m4b":                            {"tag audio tag", 31737},
		"taglib/opus.m4a":                            {"tag audio tag", 15359},
		"taglib/mac-399.ape":                         {"audio", 85212},
		"mutagen/id3v24_extended_header.id3":         {"tag", 0},
		"mutagen/issue_21.id3":                       {"tag audio", 32512},
		"taglib/uint8we.wav":                         {"tag audio tag", 46986},
		"taglib/pcm_with_fact_chunk.wav":             {"tag audio tag", 14700},
		"taglib/float64.wav":                         {"tag audio", 68496},
		"taglib/empty_alac.m4a":                      {"tag audio", 1284},
		"taglib/nonprintable-atom-type.m4a":          {"tag audio", 9939},
		"mutagen/2822400-1ch-0s-silence.dsf":         {"tag audio", 4096},
		"mutagen/with-id3.dsf":                       {"tag", 0},
		"mutagen/silence-1.wma":                      {"tag audio", 30382},
		"taglib/infloop.wv":                          {"audio tag", 2209},
		"mutagen/5644800-2ch-s01-silence-dst.dff":    {"tag audio tag", 18},
	}
	// Damaged files: truncated, fuzzed, sizes past the end of the file.
	malformed := []string{
		"mutagen/truncated-64bit.mp4", "mutagen/64bit.mp4", "taglib/infloop.m4a",
		"mutagen/ooming-header.flac", "mutagen/106-short-picture-block-size.flac",
		"mutagen/52-overwritten-metadata.flac", "mutagen/52-too-short-block-size.flac",
		"taglib/excessive_alloc.mp3", "taglib/compressed_id3_frame.mp3", "taglib/w000.mp3",
		"taglib/segfault.wav", "taglib/segfault.aif", "taglib/invalid-chunk.wav",
		"taglib/zero-size-chunk.wav", "taglib/infloop.wav", "taglib/infloop.mpc", "taglib/zerodiv.mpc",
	}
	// Files that are not music this package splits.
	unknown := []string{
		"mutagen/sample.mid", "mutagen/image.jpg", "taglib/test.mod", "taglib/test.xm",
		"taglib/no-tags.mka", "taglib/garbage.mp3", "taglib/no-extension", "taglib/excessive_alloc.aif",
	}
	seen := map[string]bool{}
	oggSplit := 0 // Ogg files oggsplit took
	pictures := 0
	for _, f := range corpusFiles(t) {
		t.Run(f.name, func(t *testing.T) {
			seen[f.name] = true
			data, err := os.ReadFile(f.path)
			if err != nil {
				t.Fatal(err)
			}
			p, err := splitBytes(f.name, data)
			if err == nil {
				checkAnyPlan(t, p, data)
			}
			if err == nil && p.Layout == "" {
				// Every picture cut out of a corpus file is a whole image:
				// a cut in the wrong place would not start and end right.
				for _, pic := range regionsOf(p, data, split.Picture) {
					pictures++
					if !wholeImage(pic) {
						t.Errorf("picture region of %d bytes is not a whole JPEG or PNG: % x...", len(pic), pic[:min(8, len(pic))])
					}
				}
			}
			isOgg := bytes.HasPrefix(data, []byte("OggS"))
			if isOgg && err == nil {
				oggSplit++
			}
			switch {
			case isOgg && err == nil && p.Layout != oggsplit.Layout:
				t.Errorf("Ogg file not handed to oggsplit: layout %q", p.Layout)
			case !isOgg && err == nil && p.Layout != "":
				t.Errorf("layout %q for a file that is not Ogg", p.Layout)
			case slices.Contains(malformed, f.name):
				if !errors.Is(err, ErrMalformed) {
					t.Errorf("got %v (%s), want ErrMalformed", err, describe(p))
				}
			case slices.Contains(unknown, f.name):
				if !errors.Is(err, ErrUnknownFormat) {
					t.Errorf("got %v (%s), want ErrUnknownFormat", err, describe(p))
				}
			}
			w, ok := want[f.name]
			if !ok {
				return
			}
			if err != nil {
				t.Fatalf("split: %v", err)
			}
			if got := kinds(p); got != w.kinds {
				t.Errorf("regions %q (%s), want %q", got, describe(p), w.kinds)
			}
			if got := len(audioOf(p, data)); got != w.audio {
				t.Errorf("audio %d bytes, want %d", got, w.audio)
			}
		})
	}
	if pictures < 18 {
		t.Errorf("%d picture regions in the corpus, want the 18 there are", pictures)
	}
	if oggSplit == 0 {
		t.Errorf("no Ogg file of the corpus was split by oggsplit")
	}
	for _, names := range [][]string{malformed, unknown, slices.Collect(maps.Keys(want))} {
		for _, n := range names {
			if !seen[n] {
				t.Errorf("%s is not in the corpus", n)
			}
		}
	}
}

// wholeImage reports whether p is a complete JPEG (SOI ... EOI) or PNG
// (signature ... IEND chunk).
func wholeImage(p []byte) bool {
	jpeg := bytes.HasPrefix(p, []byte{0xff, 0xd8, 0xff}) && bytes.HasSuffix(p, []byte{0xff, 0xd9})
	png := bytes.HasPrefix(p, []byte("\x89PNG\r\n\x1a\n")) && bytes.HasSuffix(p, []byte("IEND\xaeB`\x82"))
	return jpeg || png
}

// TestCorpusAgainstPrototype compares the audio length of every file with
// the split of the research prototype recorded in the corpus manifests
// ("[mp3] audio=14942B; meta=..."), an independent implementation. Where
// both split a file, they must agree.
func TestCorpusAgainstPrototype(t *testing.T) {
	re := regexp.MustCompile(`audio=(\d+)B`)
	compared := 0
	for _, c := range []string{"mutagen", "taglib"} {
		manifest, err := os.ReadFile(testenv.Corpus(t, c) + "/MANIFEST.tsv")
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(strings.TrimSpace(string(manifest)), "\n")[1:] {
			cols := strings.Split(line, "\t")
			m := re.FindStringSubmatch(cols[len(cols)-1])
			if m == nil {
				continue
			}
			data := readCorpus(t, c+"/"+cols[0])
			p, err := splitBytes(cols[0], data)
			if err != nil || p.Layout != "" {
				continue // a fallback, or Ogg's transformed stream
			}
			want, _ := strconv.Atoi(m[1])
			if got := len(audioOf(p, data)); got != want {
				t.Errorf("%s/%s: audio %d bytes, prototype %d", c, cols[0], got, want)
			}
			compared++
		}
	}
	if compared < 100 {
		t.Errorf("compared only %d files", compared)
	}
}

// TestCorpusLAME checks the MP3 splits against the LAME Info tag, which
// records the length of the audio (from the Info frame to the end of the
// last frame) and a CRC-16 of the frames after it: for an untruncated file
// both match exactly when the audio region is exactly right.
func TestCorpusLAME(t *testing.T) {
	truncated := []string{ // cut short by the test suites that made them
		"taglib/lame_cbr.mp3", "taglib/lame_vbr.mp3", "taglib/mpeg2.mp3",
		"taglib/toc_many_children.mp3", "mutagen/bad-POPM-frame.mp3", "mutagen/apev2-lyricsv2.mp3",
	}
	checked := 0
	for _, f := range corpusFiles(t) {
		data, err := os.ReadFile(f.path)
		if err != nil {
			t.Fatal(err)
		}
		p, err := splitBytes(f.name, data)
		if err != nil {
			continue
		}
		audio := audioOf(p, data)
		length, crc, ok := lameInfo(audio)
		if !ok || slices.Contains(truncated, f.name) {
			continue
		}
		checked++
		if int(length) != len(audio) {
			t.Errorf("%s: LAME music length %d, audio region %d bytes (%s)", f.name, length, len(audio), describe(p))
			continue
		}
		frame, _ := mpegFrameLength([6]byte(audio[:6]))
		if got := crc16(audio[frame:]); got != crc {
			t.Errorf("%s: MusicCRC %04x, audio region gives %04x", f.name, crc, got)
		}
	}
	t.Logf("%d LAME-tagged files match", checked)
	if checked < 8 {
		t.Errorf("only %d LAME-tagged files checked", checked)
	}
}

// lameInfo parses the LAME extension of a Xing/Info frame at the start of
// audio and returns its music length and MusicCRC.
func lameInfo(audio []byte) (length uint32, crc uint16, ok bool) {
	if len(audio) < 6 {
		return 0, 0, false
	}
	n, ok := mpegFrameLength([6]byte(audio[:6]))
	if !ok || n == 0 || n > len(audio) || audio[1]&0xf6 == 0xf0 {
		return 0, 0, false
	}
	mono := audio[3]>>6 == 3
	mpeg1 := (audio[1]>>3)&3 == 3
	side := 9 // bytes of side information before the Xing/Info header
	switch {
	case mpeg1 && !mono:
		side = 32
	case mpeg1 || !mono:
		side = 17
	}
	x := audio[4+side : n]
	if len(x) < 8 || (string(x[:4]) != "Xing" && string(x[:4]) != "Info") {
		return 0, 0, false
	}
	flags := binary.BigEndian.Uint32(x[4:8])
	i := 8
	for _, f := range []struct {
		bit uint32
		n   int
	}{{1, 4}, {2, 4}, {4, 100}, {8, 4}} {
		if flags&f.bit != 0 {
			i += f.n
		}
	}
	if len(x) < i+36 || string(x[i:i+4]) != "LAME" {
		return 0, 0, false
	}
	lame := x[i : i+36]
	return binary.BigEndian.Uint32(lame[28:32]), binary.BigEndian.Uint16(lame[32:34]), true
}

// crc16 is CRC-16/ARC (reflected polynomial 0xA001, initial value 0), the
// CRC of the LAME tag.
func crc16(p []byte) uint16 {
	var c uint16
	for _, b := range p {
		c ^= uint16(b)
		for range 8 {
			if c&1 != 0 {
				c = c>>1 ^ 0xa001
			} else {
				c >>= 1
			}
		}
	}
	return c
}

// TestLibraryDatabases checks the only name-based rule.
func TestLibraryDatabases(t *testing.T) {
	for name, want := range map[string]bool{
		"iTunes Library.xml":                             true,
		"itunes library.XML":                             true,
		"iTunes Music Library.xml":                       true,
		"Library.xml":                                    true,
		"iTunes Library.itl":                             true,
		"iTunes Library Extras.itdb":                     true,
		"Library.musicdb":                                true,
		"Music/Music Library.musiclibrary/Extras.itdb":   true,
		"Music Library.musiclibrary/Library Preferences": true,
		`C:\Users\u\Music\Apple Music Library.musiclibrary\Genius.itdb`: true,
		"song.mp3":           false,
		"My Library.xml":     false,
		"itl":                false,
		"Music.musiclibrary": false, // the bundle itself is a folder
		"":                   false,
	} {
		if got := IsLibraryDatabase(name); got != want {
			t.Errorf("IsLibraryDatabase(%q) = %v, want %v", name, got, want)
		}
	}
	// By name, whatever the content: an MP3 named Library.xml is a database.
	data := readCorpus(t, "mutagen/silence-44-s.mp3")
	p, err := splitBytes("iTunes Library.xml", data)
	if err != nil || kinds(p) != "database" {
		t.Fatalf("got %s, %v; want one database region", describe(p), err)
	}
	checkPlan(t, p, data)
	// And the real exports of the corpus.
	for _, n := range []string{"libpytunes-Test Library.xml", "beets-itunes_library_unix.xml"} {
		data, err := os.ReadFile(testenv.Corpus(t, "itunes") + "/" + n)
		if err != nil {
			t.Fatal(err)
		}
		name := "iTunes Library.xml"
		if strings.HasPrefix(n, "libpytunes") {
			name = "Library.xml"
		}
		p, err := splitBytes(name, data)
		if err != nil || kinds(p) != split.Database.String() {
			t.Errorf("%s: got %s, %v", n, describe(p), err)
		}
	}
}

// TestOggDispatch checks that Ogg files, also behind an ID3v2 tag, are
// handed to oggsplit and that its plans rebuild the file.
func TestOggDispatch(t *testing.T) {
	ogg := readCorpus(t, "taglib/test.ogg")
	tagged := cat(id3v2(3, 0, id3Frame(3, "TIT2", 0, tit2("x"), false), 100), ogg)
	for name, data := range map[string][]byte{"plain": ogg, "behind ID3v2": tagged} {
		p, err := splitBytes(name, data)
		t.Logf("%s: layout %q, %s, err %v", name, p.Layout, describe(p), err)
		if err != nil {
			if !errors.Is(err, oggsplit.ErrNotOgg) && !errors.Is(err, oggsplit.ErrUnsupported) && !errors.Is(err, oggsplit.ErrCorrupt) {
				t.Errorf("%s: error %v does not come from oggsplit", name, err)
			}
			continue
		}
		if p.Layout != oggsplit.Layout {
			t.Errorf("%s: layout %q, want %q", name, p.Layout, oggsplit.Layout)
		}
		checkAnyPlan(t, p, data)
	}
}
