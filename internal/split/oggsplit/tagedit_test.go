package oggsplit

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tunesafe/tunesafe/internal/split"
	"github.com/tunesafe/tunesafe/internal/testenv"
)

// These tests edit tags with real, independent taggers and assert the
// product goal: the audio region of the stored stream is byte-identical
// before and after, and what changed is small. Debian packages:
// vorbis-tools (oggenc, vorbiscomment), opus-tools (opusenc), flac and
// python3-mutagen. Without them the tests skip, or fail in CI.

const growText = 10000 // bytes of the comment that spans new pages

// mutagenScript edits the tags of argv[1] as argv[2] says.
const mutagenScript = `
import base64, sys
import mutagen
from mutagen.flac import Picture
path, op = sys.argv[1], sys.argv[2]
f = mutagen.File(path)
if f is None or f.tags is None:
    sys.exit("mutagen cannot tag " + path)
if op == "short":
    f.tags["TITLE"] = ["Short title"]
elif op == "grow":
    f.tags["DESCRIPTION"] = [sys.argv[3]]
elif op == "shrink":
    if "DESCRIPTION" in f.tags:
        del f.tags["DESCRIPTION"]
    f.tags["TITLE"] = ["S"]
elif op == "cover":
    pic = Picture()
    pic.type, pic.mime, pic.desc = 3, "image/jpeg", "front"
    pic.width = pic.height = 500
    pic.depth = 24
    with open(sys.argv[3], "rb") as fh:
        pic.data = fh.read()
    f.tags["METADATA_BLOCK_PICTURE"] = [base64.b64encode(pic.write()).decode("ascii")]
else:
    sys.exit("unknown op " + op)
f.save()
`

// mutagenPython returns a Python interpreter that can import mutagen
// (Debian's python3-mutagen installs into /usr/bin/python3, which may not
// be the first python3 on PATH).
func mutagenPython(t *testing.T) string {
	t.Helper()
	for _, py := range []string{"/usr/bin/python3", "python3"} {
		if exec.Command(py, "-c", "import mutagen").Run() == nil {
			return py
		}
	}
	testenv.SkipOrFail(t, "python3-mutagen not installed")
	return ""
}

func run(t *testing.T, prog string, args ...string) {
	t.Helper()
	cmd := exec.Command(testenv.LookPath(t, prog), args...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s %s: %v\n%s", prog, strings.Join(args, " "), err, out)
	}
}

// writeWAV writes seconds of 16-bit stereo 44.1 kHz sound: two tones and
// a little noise, so that encoders produce packets of varied sizes.
func writeWAV(t *testing.T, path string, seconds int) {
	t.Helper()
	const rate = 44100
	n := rate * seconds
	b := make([]byte, 0, 44+4*n)
	b = append(b, "RIFF"...)
	b = binary.LittleEndian.AppendUint32(b, uint32(36+4*n))
	b = append(b, "WAVEfmt "...)
	b = binary.LittleEndian.AppendUint32(b, 16)
	b = binary.LittleEndian.AppendUint16(b, 1) // PCM
	b = binary.LittleEndian.AppendUint16(b, 2)
	b = binary.LittleEndian.AppendUint32(b, rate)
	b = binary.LittleEndian.AppendUint32(b, rate*4)
	b = binary.LittleEndian.AppendUint16(b, 4)
	b = binary.LittleEndian.AppendUint16(b, 16)
	b = append(b, "data"...)
	b = binary.LittleEndian.AppendUint32(b, uint32(4*n))
	rnd := rand.New(rand.NewPCG(1, 2))
	for i := range n {
		x := float64(i) / rate
		s := 7000*math.Sin(2*math.Pi*440*x) + 3000*math.Sin(2*math.Pi*1234.5*x*(1+x/20))
		l := int16(s + float64(rnd.IntN(2000)-1000))
		r := int16(s*0.7 + float64(rnd.IntN(2000)-1000))
		b = binary.LittleEndian.AppendUint16(b, uint16(l))
		b = binary.LittleEndian.AppendUint16(b, uint16(r))
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// editSession holds an encoded file and the plan it had before any edit.
type editSession struct {
	t       *testing.T
	dir     string
	base    split.Plan
	audio   []byte
	prev    []byte                // the file before the step being checked
	headers func(data []byte) int // header packet count of a file
}

func newEditSession(t *testing.T, path string, headers func([]byte) int) *editSession {
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s := &editSession{t: t, dir: filepath.Dir(path), headers: headers, prev: data}
	s.base = splitBytes(t, data)
	s.audio = regionBytes(t, s.base, split.Audio)
	if len(s.audio) < len(data)/2 {
		t.Fatalf("audio region of %d bytes in a %d byte file: %s", len(s.audio), len(data), describe(s.base))
	}
	s.report("original", data, s.base)
	return s
}

// copyOf copies the original file to a fresh name for a series of edits.
func (s *editSession) copyOf(src, name string) string {
	data, err := os.ReadFile(src)
	if err != nil {
		s.t.Fatal(err)
	}
	dst := filepath.Join(s.dir, name)
	if err := os.WriteFile(dst, data, 0o644); err != nil {
		s.t.Fatal(err)
	}
	return dst
}

// check splits the edited file and asserts that its audio region equals
// the original's and that everything else is at most 2% of the file plus
// the header packets (which hold the comment). It returns the plan.
func (s *editSession) check(step, path string) split.Plan {
	t := s.t
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(data, s.prev) {
		t.Errorf("%s: the file did not change, the step tests nothing", step)
	}
	s.prev = data
	p := splitBytes(t, data)
	if !bytes.Equal(regionBytes(t, p, split.Audio), s.audio) {
		t.Errorf("%s: audio region changed", step)
	}
	hdr := headerPacketBytes(t, data, s.headers(data))
	other := p.Size - kindBytes(p)[split.Audio]
	if limit := int64(len(data))/50 + int64(hdr); other > limit {
		t.Errorf("%s: %d bytes outside the audio region, over 2%% of %d + %d bytes of header packets", step, other, len(data), hdr)
	}
	s.report(step, data, p)
	return p
}

// report logs the sizes of a step: the non-audio bytes are the header
// packets (tags and pictures) plus the overhead (prologue, page tables).
func (s *editSession) report(step string, data []byte, p split.Plan) {
	k := kindBytes(p)
	hdr := int64(headerPacketBytes(s.t, data, s.headers(data)))
	tail := sha256.Sum256(tailTable(s.t, p))
	s.t.Logf("%-22s file %7d stream %7d audio %7d | non-audio %6d = header packets %6d (picture %6d) + overhead %5d (%.2f%%) | tail table %x",
		step, len(data), p.Size, k[split.Audio], p.Size-k[split.Audio], hdr, k[split.Picture],
		p.Size-k[split.Audio]-hdr, 100*float64(p.Size-k[split.Audio]-hdr)/float64(len(data)), tail[:4])
}

// headerPacketBytes adds up the lengths of the first n packets of the
// file's first logical stream, reading pages naively; it is independent of
// Split's parser.
func headerPacketBytes(t testing.TB, data []byte, n int) int {
	t.Helper()
	serial := binary.LittleEndian.Uint32(data[14:])
	total, packets := 0, 0
	for off := 0; off+27 <= len(data) && packets < n; {
		nseg := int(data[off+26])
		lacing := data[off+27 : off+27+nseg]
		body := 0
		for _, l := range lacing {
			body += int(l)
		}
		if binary.LittleEndian.Uint32(data[off+14:]) == serial {
			for _, l := range lacing {
				if packets < n {
					total += int(l)
				}
				if l < 255 {
					packets++
				}
			}
		}
		off += 27 + nseg + body
	}
	if packets < n {
		t.Fatalf("file has %d packets, want %d header packets", packets, n)
	}
	return total
}

func vorbisHeaders([]byte) int { return 3 }
func opusHeaders([]byte) int   { return 2 }

// flacHeaders reads the header packet count of an Ogg FLAC mapping header.
func flacHeaders(data []byte) int {
	body := 27 + int(data[26])
	return 1 + int(binary.BigEndian.Uint16(data[body+7:]))
}

// mutagenEdits applies mutagen's edits in turn to a copy of src.
func (s *editSession) mutagenEdits(src string) {
	py := mutagenPython(s.t)
	cover := filepath.Join(s.dir, "cover.jpg")
	if err := os.WriteFile(cover, randBytes(rand.New(rand.NewPCG(3, 4)), 30000), 0o644); err != nil {
		s.t.Fatal(err)
	}
	f := s.copyOf(src, "mutagen"+filepath.Ext(src))
	tail := tailTable(s.t, s.base)
	for _, step := range []struct{ op, arg string }{
		{"short", ""}, {"grow", strings.Repeat("d", growText)}, {"shrink", ""}, {"cover", cover},
	} {
		run(s.t, py, "-c", mutagenScript, f, step.op, step.arg)
		p := s.check("mutagen "+step.op, f)
		// mutagen renumbers the audio pages but keeps their layout, so
		// even the page entries of the audio pages must not change.
		if !bytes.Equal(tailTable(s.t, p), tail) {
			s.t.Errorf("mutagen %s: tail table changed", step.op)
		}
		if step.op == "cover" && kindBytes(p)[split.Picture] < 40000 {
			s.t.Errorf("mutagen cover: picture regions of %d bytes, want the ~40 KB base64 value", kindBytes(p)[split.Picture])
		}
	}
}

func TestTagEditVorbis(t *testing.T) {
	oggenc := testenv.LookPath(t, "oggenc")
	testenv.LookPath(t, "vorbiscomment")
	dir := t.TempDir()
	wav, orig := filepath.Join(dir, "t.wav"), filepath.Join(dir, "t.ogg")
	writeWAV(t, wav, 8)
	run(t, oggenc, "-Q", "-q", "3", "--serial", "4660", "-o", orig, wav)
	s := newEditSession(t, orig, vorbisHeaders)

	t.Run("vorbiscomment", func(t *testing.T) {
		s := *s
		s.t = t
		f := s.copyOf(orig, "vc.ogg")
		run(t, "vorbiscomment", "-a", "-t", "TITLE=Short title", f)
		s.check("vorbiscomment add", f)
		run(t, "vorbiscomment", "-a", "-t", "DESCRIPTION="+strings.Repeat("d", growText), f)
		s.check("vorbiscomment grow", f)
		run(t, "vorbiscomment", "-w", "-t", "TITLE=S", f)
		s.check("vorbiscomment shrink", f)
	})
	t.Run("mutagen", func(t *testing.T) {
		s := *s
		s.t = t
		s.mutagenEdits(orig)
	})
	// vcedit (vorbiscomment) re-paginates every audio page with libogg.
	// oggenc already paginates with libogg, so give vorbiscomment a file
	// paginated otherwise (as ffmpeg does): every audio page then changes.
	t.Run("vorbiscomment repaginates", func(t *testing.T) {
		s := *s
		s.t = t
		data, err := os.ReadFile(orig)
		if err != nil {
			t.Fatal(err)
		}
		merged := filepath.Join(dir, "merged.ogg")
		if err := os.WriteFile(merged, mergePages(t, data, 4), 0o644); err != nil {
			t.Fatal(err)
		}
		before := s.check("pages merged in Go", merged)
		run(t, "vorbiscomment", "-a", "-t", "DESCRIPTION="+strings.Repeat("d", growText), merged)
		after := s.check("vorbiscomment grow", merged)
		if bytes.Equal(tailTable(t, before), tailTable(t, after)) {
			t.Error("vorbiscomment did not re-paginate: the test exercises nothing")
		}
	})
}

func TestTagEditOpus(t *testing.T) {
	opusenc := testenv.LookPath(t, "opusenc")
	dir := t.TempDir()
	wav, orig := filepath.Join(dir, "t.wav"), filepath.Join(dir, "t.opus")
	writeWAV(t, wav, 8)
	run(t, opusenc, "--quiet", "--serial", "4660", wav, orig)
	s := newEditSession(t, orig, opusHeaders)
	s.mutagenEdits(orig)
}

func TestTagEditOggFLAC(t *testing.T) {
	flac := testenv.LookPath(t, "flac")
	dir := t.TempDir()
	wav, orig := filepath.Join(dir, "t.wav"), filepath.Join(dir, "t.oga")
	writeWAV(t, wav, 4)
	run(t, flac, "--ogg", "--serial-number=4660", "-s", "-o", orig, wav)
	s := newEditSession(t, orig, flacHeaders)
	s.mutagenEdits(orig)
}
