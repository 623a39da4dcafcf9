package music

import (
	"bytes"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tunesafe/tunesafe/internal/split"
	"github.com/tunesafe/tunesafe/internal/testenv"
)

// TestMutagenEdits edits real files with mutagen (Debian's python3-mutagen,
// the library behind Picard, beets and Quod Libet) and checks the promise
// of the package: the audio region is byte-identical after every tag edit,
// and a picture region is byte-identical when only text tags change.
func TestMutagenEdits(t *testing.T) {
	python := mutagenPython(t)
	script, err := filepath.Abs("testdata/retag.py")
	if err != nil {
		t.Fatal(err)
	}
	cover := testCover(48 << 10)

	type step struct {
		op, arg string
		// size: how the file size must change: 0 same, +1 grow, -1 shrink,
		// 2 anything.
		size int
		// textOnly: the edit touches text tags only, so pictures stay.
		textOnly bool
		// pictures: after the edit the Picture regions must be exactly
		// these (nil: do not check).
		pictures [][]byte
	}
	none := [][]byte{}
	ours := [][]byte{cover}
	edits := []step{
		{op: "title", arg: "Retitled", size: 2, textOnly: true},
		{op: "comment", arg: "20000", size: +1, textOnly: true},
		{op: "nocomment", size: -1, textOnly: true},
		{op: "cover", size: +1, pictures: ours},
		{op: "title", arg: "Retitled again, with a longer title", size: 2, textOnly: true, pictures: ours},
		{op: "comment", arg: "30000", size: +1, textOnly: true, pictures: ours},
		{op: "nocover", size: -1, pictures: none},
	}
	// withinPadding: a one-word title change fits in the padding these
	// files have, so mutagen keeps the size and rewrites in place.
	withinPadding := []step{{op: "title", arg: "New", size: 0, textOnly: true}}

	for _, tc := range []struct {
		name, file string
		steps      []step
	}{
		{"mp3", "mutagen/silence-44-s.mp3", append(withinPadding, edits...)},
		{"mp3-untagged", "taglib/xing.mp3", edits},
		{"mp3-v2.3", "mutagen/silence-44-s.mp3", edits}, // ID3v2.3, see below
		{"mp3-apev2-lyrics3", "mutagen/apev2-lyricsv2.mp3", edits},
		{"m4a-moov-last", "mutagen/has-tags.m4a", edits},
		{"m4a-moov-first", "mutagen/alac.m4a", edits},
		{"flac", "mutagen/silence-44-s.flac", append(withinPadding, edits...)},
		// The same cover in the ID3v2 tag and in a PICTURE block: two
		// identical regions, which the engine stores once.
		{"flac-leading-id3", "mutagen/no-tags.flac", []step{
			{op: "id3", arg: "cover", size: +1, pictures: ours},
			{op: "title", arg: "FLAC title", size: 2, textOnly: true, pictures: ours},
			{op: "comment", arg: "20000", size: +1, textOnly: true},
			{op: "nocomment", size: -1, textOnly: true},
			{op: "cover", size: +1, pictures: [][]byte{cover, cover}},
			{op: "title", arg: "Retitled", size: 2, textOnly: true},
			{op: "nocover", size: -1, pictures: ours},
		}},
		{"wav", "mutagen/silence-2s-PCM-16000-08-notags.wav", edits},
		{"aiff", "mutagen/8k-1ch-1s-silence.aif", edits},
		{"dsf", "mutagen/without-id3.dsf", edits},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, filepath.Base(tc.file))
			coverPath := filepath.Join(dir, "cover")
			if err := os.WriteFile(coverPath, cover, 0o644); err != nil {
				t.Fatal(err)
			}
			orig := readCorpus(t, tc.file)
			if err := os.WriteFile(path, orig, 0o644); err != nil {
				t.Fatal(err)
			}
			p, err := splitBytes(path, orig)
			if err != nil {
				t.Fatalf("split original: %v", err)
			}
			audio := audioOf(p, orig)
			if len(audio) == 0 {
				t.Fatalf("original has no audio region: %s", describe(p))
			}
			prev, prevPics := orig, regionsOf(p, orig, split.Picture)
			for i, st := range tc.steps {
				arg := st.arg
				if arg == "cover" || st.op == "cover" {
					arg = coverPath
				}
				cmd := exec.Command(python, script, path, st.op, arg)
				if tc.name == "mp3-v2.3" {
					cmd.Env = append(os.Environ(), "RETAG_ID3V23=1")
				}
				out, err := cmd.CombinedOutput()
				if err != nil {
					t.Fatalf("step %d %s: mutagen: %v\n%s", i, st.op, err, out)
				}
				data, err := os.ReadFile(path)
				if err != nil {
					t.Fatal(err)
				}
				p, err := splitBytes(path, data)
				if err != nil {
					t.Fatalf("step %d %s: split: %v", i, st.op, err)
				}
				checkPlan(t, p, data)
				if bytes.Equal(data, prev) {
					t.Fatalf("step %d %s: mutagen did not change the file", i, st.op)
				}
				switch d := len(data) - len(prev); {
				case st.size == 0 && d != 0, st.size == +1 && d <= 0, st.size == -1 && d >= 0:
					t.Errorf("step %d %s: size %d -> %d, want change of sign %d", i, st.op, len(prev), len(data), st.size)
				}
				if got := audioOf(p, data); !bytes.Equal(got, audio) {
					t.Errorf("step %d %s: audio region changed (%d -> %d bytes): %s", i, st.op, len(audio), len(got), describe(p))
				}
				pics := regionsOf(p, data, split.Picture)
				if st.textOnly && !equalRegions(pics, prevPics) {
					t.Errorf("step %d %s: text edit changed the pictures: %s", i, st.op, describe(p))
				}
				if st.pictures != nil && !equalRegions(pics, st.pictures) {
					t.Errorf("step %d %s: %d picture regions, want %d equal to the cover: %s",
						i, st.op, len(pics), len(st.pictures), describe(p))
				}
				prev, prevPics = data, pics
			}
		})
	}
}

// mutagenPython returns a Python interpreter that has mutagen: the first
// python3 on PATH, or Debian's /usr/bin/python3 where python3-mutagen
// installs it.
func mutagenPython(t *testing.T) string {
	t.Helper()
	var tried []string
	for _, py := range []string{"python3", "/usr/bin/python3"} {
		path, err := exec.LookPath(py)
		if err != nil {
			continue
		}
		tried = append(tried, path)
		if exec.Command(path, "-c", "import mutagen").Run() == nil {
			return path
		}
	}
	testenv.SkipOrFail(t, "python3 with mutagen not found (tried %s); install Debian's python3-mutagen",
		strings.Join(tried, ", "))
	return ""
}

// testCover returns n bytes that look like a JPEG: the markers taggers
// sniff, then incompressible noise, like real image data.
func testCover(n int) []byte {
	b := make([]byte, n)
	r := rand.New(rand.NewPCG(1, 2))
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	copy(b, []byte{0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 'J', 'F', 'I', 'F', 0})
	copy(b[n-2:], []byte{0xff, 0xd9})
	return b
}

func equalRegions(a, b [][]byte) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !bytes.Equal(a[i], b[i]) {
			return false
		}
	}
	return true
}
