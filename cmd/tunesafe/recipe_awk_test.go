//go:build unix

package main

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/tunesafe/tunesafe/docs"
	"github.com/tunesafe/tunesafe/internal/split/oggsplit"
	"github.com/tunesafe/tunesafe/internal/testenv"
)

// The awk programs of FORMAT.md's hand-restore script, tested on their own:
// tree_awk on trees written by hand (every JSON escape, fields a later
// minor version may add), ogg1_awk on stored streams made by package
// oggsplit from real and synthetic Ogg files, and on damaged streams.

// recipeAwk returns the awk program NAME (common_awk prepended) of the
// recipe.
func recipeAwk(t testing.TB, name string) string {
	t.Helper()
	script := recipe(t)
	prog := func(n string) string {
		m := regexp.MustCompile("(?s)\n" + n + "='\n(.*?)\n'\n").FindStringSubmatch(script)
		if m == nil {
			t.Fatalf("the recipe has no %s", n)
		}
		return m[1]
	}
	return prog("common_awk") + "\n" + prog(name)
}

// awks are the awk commands to test with: the system's awk, and others
// that happen to be installed.
func awks() []string {
	out := []string{"awk"}
	for _, a := range []string{"original-awk", "gawk"} {
		if _, err := exec.LookPath(a); err == nil {
			out = append(out, a)
		}
	}
	if _, err := exec.LookPath("busybox"); err == nil {
		out = append(out, "busybox awk")
	}
	return out
}

// runAwk runs `od -An -v -tu1 | AWK PROG` on input, with want in the
// environment if not empty.
func runAwk(t testing.TB, awk, prog string, input []byte, want string) (stdout []byte, stderr string, err error) {
	t.Helper()
	c := exec.Command("sh", "-c", `od -An -v -tu1 | $AWK "$PROG"`)
	c.Env = append(os.Environ(), "LC_ALL=C", "AWK="+awk, "PROG="+prog, "want="+want)
	c.Stdin = bytes.NewReader(input)
	var o, e bytes.Buffer
	c.Stdout, c.Stderr = &o, &e
	err = c.Run()
	return o.Bytes(), e.String(), err
}

// rebuildOgg1 runs ogg1_awk on stream and the printf script it writes.
func rebuildOgg1(t testing.TB, awk, prog string, stream []byte) ([]byte, error) {
	t.Helper()
	script, stderr, err := runAwk(t, awk, prog, stream, "")
	if err != nil {
		return nil, fmt.Errorf("%v: %s", err, stderr)
	}
	c := exec.Command("sh")
	c.Stdin = bytes.NewReader(script)
	return c.Output()
}

// octal writes b as the \ooo escapes of tree_awk.
func octal(b string) string {
	var s strings.Builder
	for i := 0; i < len(b); i++ {
		fmt.Fprintf(&s, "\\%03o", b[i])
	}
	return s.String()
}

func TestRecipeTreeAwk(t *testing.T) {
	prog := recipeAwk(t, "tree_awk")
	tree := `{"nodes":[
{"name":"a\"b\\cd\b\f\n\r\tE\u0001\u001f\u0008\u000c\u2028\u2029\ud83c\udfb5 é&<>%s\\101","type":"file","mode":420,"mtime":"2026-01-02T00:30:00.5+01:00","size":0,"sha256":"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855","future":{"x":[1,"y",{"z":null}],"w":true},"n":-1.5e3},
{"name":"Dir","type":"dir","mode":1517,"mtime":"2024-02-29T23:59:59-00:30","subtree":"e5f6e5f6e5f6e5f6e5f6e5f6e5f6e5f6e5f6e5f6e5f6e5f6e5f6e5f6e5f6e5f6"},
{"name":"song.ogg","type":"file","mode":2541,"mtime":"0001-01-01T00:30:00+01:00","size":9,"sha256":"9f86","layout":"ogg1","blobs":["a1","c3","0e"],"lists":[0,2]},
{"name_raw":"/w==","type":"symlink","mode":511,"mtime":"1969-12-31T23:59:59.999999999Z","target_raw":"Y2Fm6SD/Lw=="},
{"name":"link","type":"symlink","mode":511,"mtime":"2026-01-02T00:30:00Z","target":"..\/a \"b\" \\ c"}
]}
`
	want := []string{
		"file 420 2026-01-01T23:30:00.5Z e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855 - - - - " +
			octal("a\"b\\cd\b\f\n\r\tE\x01\x1f\b\f\u2028\u2029\U0001F3B5 é&<>%s\\101") + " -",
		"dir 1517 2024-03-01T00:29:59Z - - - - e5f6e5f6e5f6e5f6e5f6e5f6e5f6e5f6e5f6e5f6e5f6e5f6e5f6e5f6e5f6e5f6 " + octal("Dir") + " -",
		"file 2541 0000-12-31T23:30:00Z 9f86 ogg1 a1,c3,0e 0,2 - " + octal("song.ogg") + " -",
		"symlink 511 1969-12-31T23:59:59.999999999Z - - - - - " + octal("\xff") + " " + octal("caf\xe9 \xff/"),
		"symlink 511 2026-01-02T00:30:00Z - - - - - " + octal("link") + " " + octal(`../a "b" \ c`),
	}
	for _, awk := range awks() {
		out, stderr, err := runAwk(t, awk, prog, []byte(tree), "")
		if err != nil {
			t.Fatalf("%s: %v\n%s", awk, err, stderr)
		}
		if got := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n"); strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("%s: tree_awk printed\n%s\nwant\n%s", awk, strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
		// With want, only the entry of that name.
		out, stderr, err = runAwk(t, awk, prog, []byte(tree), octal("\xff"))
		if err != nil || string(out) != want[3]+"\n" {
			t.Errorf("%s: want=\\377: %q, %v %s", awk, out, err, stderr)
		}
		out, _, err = runAwk(t, awk, prog, []byte(tree), octal("nothing"))
		if err != nil || len(out) != 0 {
			t.Errorf("%s: want=nothing: %q, %v", awk, out, err)
		}
		// Trees it must refuse rather than misread.
		for _, bad := range []string{
			"",
			`{"nodes":[`,
			`{"nodes":[{"name":"..","type":"dir","mode":493,"mtime":"2026-01-02T00:30:00Z","subtree":"e5"}]}`,
			`{"nodes":[{"name":"a/b","type":"file","mode":420,"mtime":"2026-01-02T00:30:00Z"}]}`,
			`{"nodes":[{"name_raw":"YQB","type":"file","mode":420,"mtime":"2026-01-02T00:30:00Z"}]}`, // a NUL
			`{"nodes":[{"name":"\ud83c","type":"file","mode":420,"mtime":"2026-01-02T00:30:00Z"}]}`,
			`{"nodes":[{"name":"a","type":"file","mode":420,"mtime":"2026-01-02 00:30:00Z"}]}`,
			`{"nodes":[{"name":"a","type":"file","mode":420,"mtime":"2026-01-02T00:30:00Z"}]}x`,
			`{"nodes":[{"name":"a","type":"file","mode":420,"mtime":"2026-01-02T00:30:00Z"} {"name":"b"}]}`,
		} {
			if out, _, err := runAwk(t, awk, prog, []byte(bad), ""); err == nil {
				t.Errorf("%s: tree_awk accepted %q: %q", awk, bad, out)
			}
		}
	}
}

// oggCRC is the Ogg page checksum (FORMAT.md, Appendix: the ogg1 layout, §3).
func oggCRC(b []byte) uint32 {
	var crc uint32
	for _, c := range b {
		crc ^= uint32(c) << 24
		for range 8 {
			if crc&0x80000000 != 0 {
				crc = crc<<1 ^ 0x04c11db7
			} else {
				crc <<= 1
			}
		}
	}
	return crc
}

// oggPage returns one Ogg page holding packets (a nil packet: none).
func oggPage(htype byte, granule uint64, serial, seq uint32, packets ...[]byte) []byte {
	var lacing, body []byte
	for _, p := range packets {
		body = append(body, p...)
		n := len(p)
		for ; n >= 255; n -= 255 {
			lacing = append(lacing, 255)
		}
		lacing = append(lacing, byte(n))
	}
	if len(lacing) > 255 {
		panic("page too long")
	}
	h := []byte{'O', 'g', 'g', 'S', 0, htype}
	h = binary.LittleEndian.AppendUint64(h, granule)
	h = binary.LittleEndian.AppendUint32(h, serial)
	h = binary.LittleEndian.AppendUint32(h, seq)
	h = append(h, 0, 0, 0, 0, byte(len(lacing)))
	page := append(append(h, lacing...), body...)
	binary.LittleEndian.PutUint32(page[22:], oggCRC(page))
	return page
}

var (
	opusHead = append([]byte("OpusHead"), 1, 2, 0x38, 1, 0x80, 0xbb, 0, 0, 0, 0, 0)
	opusTags = append([]byte("OpusTags\x06\x00\x00\x00tester"), 0, 0, 0, 0)
)

// edgeOgg is an Ogg file that takes every path of the rebuild arithmetic:
// an ID3v2 tag before the first page; two multiplexed streams, one of an
// unknown codec; granule positions of -1 and beyond 2^53 and 2^63, jumping
// up and down by up to 2^63-1 and wrapping past 2^64; sequence numbers
// wrapping past 2^32 and jumping by ±2^31; a chained second link reusing a
// serial number; pages with no packet or empty packets; a trailer.
func edgeOgg() []byte {
	r := rand.New(rand.NewSource(7))
	rnd := func(n int) []byte { b := make([]byte, n); r.Read(b); return b }
	out := []byte("ID3\x04\x00\x00\x00\x00\x00\x14TIT2\x00\x00\x00\x0a\x00\x00\x03hello id3")
	const a, b = 0xdeadbeef, 1
	out = append(out, oggPage(2, 0, a, 0xfffffffe, opusHead)...)
	out = append(out, oggPage(2, 0, b, 7, []byte("XXXXunknown codec header"))...)
	out = append(out, oggPage(0, 0, a, 0xffffffff, opusTags)...)
	none := ^uint64(0)
	grans := []uint64{0, none, 1<<53 + 1, 1<<63 - 1, 1<<63 + 7, none - 1, none, 5, 1 << 62, none - 2, 1,
		1<<63 + 1<<62, 3, 1<<32 - 1, 1 << 32, 1<<33 + 12345, none, 1<<63 - 2, 0, 1<<32 + 1, 1 << 32}
	seqA, seqB := uint32(0), uint32(8)
	steps := []uint32{1, 1, 1, 5, ^uint32(2), 1 << 31, 1<<31 - 1}
	for i, g := range grans {
		var packets [][]byte
		for range r.Intn(4) {
			packets = append(packets, rnd(r.Intn(600)))
		}
		out = append(out, oggPage(0, g, a, seqA, packets...)...)
		seqA += steps[r.Intn(len(steps))]
		flags := byte(0)
		if i%3 == 0 {
			flags = 1
		}
		out = append(out, oggPage(flags, g^0x5555, b, seqB, rnd(300))...)
		seqB++
		if i == 9 {
			seqA = 0x80000000
		}
	}
	out = append(out, oggPage(4, 100, a, seqA, []byte{})...)
	out = append(out, oggPage(2, 0, a, 0, opusHead)...)
	out = append(out, oggPage(4, 12345678901234, a, 1, rnd(255*200))...)
	return append(out, "trailing bytes OggS"...)
}

// randomOgg is an Ogg file of several multiplexed streams with random
// granule positions (-1 among them) and sequence numbers.
func randomOgg(seed int64) []byte {
	r := rand.New(rand.NewSource(seed))
	serials := []uint32{r.Uint32(), r.Uint32(), 0, ^uint32(0)}
	seqs := make([]uint32, len(serials))
	var out []byte
	for i, s := range serials {
		seqs[i] = r.Uint32()
		out = append(out, oggPage(2, 0, s, seqs[i], opusHead)...)
	}
	for range 200 {
		i := r.Intn(len(serials))
		seqs[i] += uint32(r.Intn(3))
		if r.Intn(10) == 0 {
			seqs[i] = r.Uint32()
		}
		g := r.Uint64()
		switch r.Intn(4) {
		case 0:
			g = ^uint64(0)
		case 1:
			g >>= 40
		}
		buf := make([]byte, r.Intn(700))
		r.Read(buf)
		out = append(out, oggPage(byte(r.Intn(8)), g, serials[i], seqs[i], buf)...)
	}
	return out
}

// bigOgg is an Opus-like file of about size bytes.
func bigOgg(size int) []byte {
	r := rand.New(rand.NewSource(1))
	const serial = 0x12345678
	out := append(oggPage(2, 0, serial, 0, opusHead), oggPage(0, 0, serial, 1, opusTags)...)
	seq, g := uint32(2), uint64(0)
	for len(out) < size {
		var packets [][]byte
		for range 20 {
			p := make([]byte, 100+r.Intn(300))
			r.Read(p)
			packets = append(packets, p)
		}
		g += 960 * 20
		out = append(out, oggPage(0, g, serial, seq, packets...)...)
		seq++
	}
	return append(out, oggPage(4, g+100, serial, seq, make([]byte, 7))...)
}

// ogg1Stream returns the stored stream oggsplit makes of file.
func ogg1Stream(t testing.TB, file []byte) []byte {
	t.Helper()
	p, err := oggsplit.Split(bytes.NewReader(file), int64(len(file)))
	if err != nil {
		t.Fatal(err)
	}
	if p.Layout != "ogg1" {
		t.Fatalf("layout %q", p.Layout)
	}
	b, err := io.ReadAll(io.NewSectionReader(p.Stream, 0, p.Size))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestRecipeOgg1Awk(t *testing.T) {
	prog := recipeAwk(t, "ogg1_awk")
	files := map[string][]byte{"edge cases": edgeOgg(), "random 1": randomOgg(1), "random 2": randomOgg(2)}
	for _, c := range []string{"mutagen", "taglib"} {
		dir := testenv.Corpus(t, c)
		names, _ := filepath.Glob(filepath.Join(dir, "*"))
		for _, n := range names {
			if !regexp.MustCompile(`\.(ogg|opus|oga|spx|oggflac|oggtheora)$`).MatchString(n) {
				continue
			}
			b, err := os.ReadFile(n)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := oggsplit.Split(bytes.NewReader(b), int64(len(b))); err == nil {
				files[c+"/"+filepath.Base(n)] = b
			}
		}
	}
	if len(files) < 15 {
		t.Fatalf("only %d Ogg files", len(files))
	}
	for i, awk := range awks() {
		for name, file := range files {
			if i > 0 && !strings.HasPrefix(name, "edge") && !strings.HasPrefix(name, "random") {
				continue // other awks: the synthetic files only
			}
			got, err := rebuildOgg1(t, awk, prog, ogg1Stream(t, file))
			if err != nil {
				t.Fatalf("%s: %s: %v", awk, name, err)
			}
			if !bytes.Equal(got, file) {
				t.Fatalf("%s: %s: rebuilt %d bytes, not the file's %d", awk, name, len(got), len(file))
			}
		}
	}
}

// TestRecipeOgg1Damaged: a stream that is short, long or malformed makes
// ogg1_awk fail, never print a file.
func TestRecipeOgg1Damaged(t *testing.T) {
	prog := recipeAwk(t, "ogg1_awk")
	tiny := formatExample(t, "stream")
	edit := func(off int, b ...byte) []byte {
		s := bytes.Clone(tiny)
		copy(s[off:], b)
		return s
	}
	cases := map[string][]byte{
		"empty":          nil,
		"bad magic":      edit(6, '2'),
		"extra byte":     append(bytes.Clone(tiny), 0),
		"body_len + 1":   edit(0x10, 0xc5),
		"body_len - 1":   edit(0x10, 0xc3),
		"sidx 1":         edit(0x14, 1),
		"nseg too large": edit(0x17, 9),
		"huge n_serials": edit(8, 0x81, 0x80, 0x80, 0x01),
		"uvarint of 11 bytes": append(append(bytes.Clone(tiny[:0x13]), 0, 0,
			0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01), tiny[0x15:]...),
	}
	for _, n := range []int{7, 8, 12, 18, 19, 30, 46, 47, 100, len(tiny) - 1} {
		cases[fmt.Sprintf("cut at %d", n)] = tiny[:n]
	}
	for name, stream := range cases {
		if _, stderr, err := runAwk(t, "awk", prog, stream, ""); err == nil {
			t.Errorf("%s: ogg1_awk did not fail", name)
		} else if !strings.Contains(stderr, "tunesafe-restore: ") {
			t.Errorf("%s: no message: %q", name, stderr)
		}
	}
}

// TestRecipeOgg1Large: a file of many pages rebuilds byte for byte.
func TestRecipeOgg1Large(t *testing.T) {
	prog := recipeAwk(t, "ogg1_awk")
	file := bigOgg(1 << 20)
	got, err := rebuildOgg1(t, "awk", prog, ogg1Stream(t, file))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, file) {
		t.Fatal("rebuilt different bytes")
	}
}

// BenchmarkRecipeOgg1 measures the hand recipe's rebuild of a 5 MB Ogg
// file with the system's awk (about 5 s with mawk).
func BenchmarkRecipeOgg1(b *testing.B) {
	prog := recipeAwk(b, "ogg1_awk")
	file := bigOgg(5 << 20)
	stream := ogg1Stream(b, file)
	b.SetBytes(int64(len(file)))
	for b.Loop() {
		if _, err := rebuildOgg1(b, "awk", prog, stream); err != nil {
			b.Fatal(err)
		}
	}
}

// formatExample returns the stream or the file of the worked example of
// FORMAT.md's ogg1 appendix (§7), from its hex dumps, after checking that
// the snippet it gives turns the dump into the same bytes.
func formatExample(t *testing.T, which string) []byte {
	t.Helper()
	heads := map[string]string{"stream": "The complete stored stream, ", "file": "The file it rebuilds to, "}
	m := regexp.MustCompile("(?s)" + regexp.QuoteMeta(heads[which]) + ".*?```\n(.*?)```").FindSubmatch(docs.Format)
	if m == nil {
		t.Fatalf("FORMAT.md has no hex dump of the example %s", which)
	}
	var b []byte
	for _, f := range strings.Fields(string(m[1])) {
		var x byte
		if _, err := fmt.Sscanf(f, "%02x", &x); err != nil || len(f) != 2 {
			t.Fatalf("bad hex %q", f)
		}
		b = append(b, x)
	}
	snippet := regexp.MustCompile("(?s)To turn such a dump, saved as `dump.txt`.*?```sh\n(.*?)```").FindSubmatch(docs.Format)
	if snippet == nil {
		t.Fatal("FORMAT.md has no snippet to turn a dump into bytes")
	}
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "dump.txt"), m[1], 0o644)
	c := exec.Command("sh", "-c", string(snippet[1]))
	c.Dir = dir
	if out, err := c.CombinedOutput(); err != nil {
		t.Fatalf("snippet: %v\n%s", err, out)
	}
	if got, _ := os.ReadFile(filepath.Join(dir, "stream.bin")); !bytes.Equal(got, b) {
		t.Fatalf("the snippet makes other bytes of the %s dump", which)
	}
	return b
}

// TestRecipeFormatExample: the worked example of FORMAT.md is oggsplit's
// golden tiny example, and the recipe rebuilds it.
func TestRecipeFormatExample(t *testing.T) {
	stream, file := formatExample(t, "stream"), formatExample(t, "file")
	golden, err := os.ReadFile(filepath.Join(testenv.ModuleRoot(), "internal", "split", "oggsplit", "testdata", "tiny.golden"))
	if err != nil {
		t.Fatal(err)
	}
	section := func(name string) []byte {
		m := regexp.MustCompile("(?s)\n" + name + " bytes:\n(.*?)(\n[a-z]|$)").FindSubmatch(golden)
		if m == nil {
			t.Fatalf("tiny.golden has no %s bytes", name)
		}
		var b []byte
		for _, line := range strings.Split(string(m[1]), "\n") {
			if len(line) < 10 {
				continue
			}
			line, _, _ = strings.Cut(line[10:], "|")
			for _, f := range strings.Fields(line) {
				var x byte
				fmt.Sscanf(f, "%02x", &x)
				b = append(b, x)
			}
		}
		return b
	}
	if !bytes.Equal(stream, section("stream")) || !bytes.Equal(file, section("file")) {
		t.Fatal("the example of FORMAT.md is not testdata/tiny.golden")
	}
	if !bytes.Equal(ogg1Stream(t, file), stream) {
		t.Fatal("oggsplit stores the example file as another stream")
	}
	got, err := rebuildOgg1(t, "awk", recipeAwk(t, "ogg1_awk"), stream)
	if err != nil || !bytes.Equal(got, file) {
		t.Fatalf("the recipe rebuilds the example as %x, %v", got, err)
	}
}
