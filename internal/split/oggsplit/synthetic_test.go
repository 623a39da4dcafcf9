package oggsplit

import (
	"bytes"
	"encoding/base64"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/tunesafe/tunesafe/internal/split"
)

func splitBytes(t testing.TB, data []byte) split.Plan {
	t.Helper()
	p, err := Split(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatalf("Split: %v", err)
	}
	checkPlan(t, p, data)
	return p
}

func TestCRCCheckValue(t *testing.T) {
	if got := crcUpdate(0, []byte("123456789")); got != 0x89a1897f {
		t.Fatalf("CRC check value %#08x, want 0x89a1897f", got)
	}
}

// tailTable returns the tail table region: the page entries after the
// header pages.
func tailTable(t testing.TB, p split.Plan) []byte {
	t.Helper()
	if len(p.Regions) < 2 || p.Regions[1].Kind != split.Tag {
		t.Fatalf("no tail table: %s", describe(p))
	}
	r := p.Regions[1]
	return streamBytes(t, p)[r.Offset : r.Offset+r.Length]
}

// TestCommentGrowth reproduces in Go what mutagen and TagLib do: the
// comment grows by whole pages and every later page is renumbered. Only
// the prologue, head table and comment may change.
func TestCommentGrowth(t *testing.T) {
	small := fakeVorbis(400, 1, "TITLE=a")
	big := fakeVorbis(400, 1, "TITLE=a", "DESCRIPTION="+strings.Repeat("x", 10000))
	a := splitBytes(t, joinPages(paginate(7, 0, small, 4096, 0, 2)))
	b := splitBytes(t, joinPages(paginate(7, 0, big, 4096, 0, 2)))
	if !bytes.Equal(regionBytes(t, a, split.Audio), regionBytes(t, b, split.Audio)) {
		t.Error("audio region changed")
	}
	if !bytes.Equal(tailTable(t, a), tailTable(t, b)) {
		t.Error("tail table changed although the audio pages were only renumbered")
	}
	if len(regionBytes(t, a, split.Audio)) == 0 {
		t.Fatal("no audio")
	}
}

// TestRepagination: the same packets on pages of other sizes (what
// vcedit-based taggers produce) give the same audio region.
func TestRepagination(t *testing.T) {
	pkts := fakeVorbis(400, 2, "TITLE=a")
	var audio []byte
	for _, maxBody := range []int{500, 4096, 16384, 60000} {
		p := splitBytes(t, joinPages(paginate(7, 0, pkts, maxBody, 0, 2)))
		got := regionBytes(t, p, split.Audio)
		if audio == nil {
			audio = got
		} else if !bytes.Equal(got, audio) {
			t.Errorf("maxBody %d: audio region differs", maxBody)
		}
	}
	var want []byte
	for _, pk := range pkts[3:] {
		want = append(want, pk.data...)
	}
	if !bytes.Equal(audio, want) {
		t.Error("audio region is not the concatenation of the audio packets")
	}
}

// TestPictureRegion: a METADATA_BLOCK_PICTURE value becomes a Picture
// region holding exactly the base64 text, wherever the comment is paginated.
func TestPictureRegion(t *testing.T) {
	pic := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte("cover art "), 900))
	for _, maxBody := range []int{1000, 4096, 65025} {
		pkts := fakeVorbis(50, 3, "TITLE=a", "metadata_block_picture="+pic, "ARTIST=b")
		p := splitBytes(t, joinPages(paginate(7, 0, pkts, maxBody, 0, 2)))
		if got := regionBytes(t, p, split.Picture); string(got) != pic {
			t.Errorf("maxBody %d: picture region of %d bytes, want the %d byte value", maxBody, len(got), len(pic))
		}
	}
}

// TestMultiplexedChained stores two interleaved streams followed by a
// chained link and a partial page: every byte is kept and every header
// packet is a tag.
func TestMultiplexedChained(t *testing.T) {
	v := paginate(1, 0, fakeVorbis(60, 4, "TITLE=v"), 2000, 0, 2)
	o := paginate(2, 0, fakeOpus(60, 5), 2000, 0, 1)
	var mux []testPage
	mux = append(mux, v[0], o[0]) // BOS pages first
	for i, j := 1, 1; i < len(v) || j < len(o); i, j = i+1, j+1 {
		if i < len(v) {
			mux = append(mux, v[i])
		}
		if j < len(o) {
			mux = append(mux, o[j])
		}
	}
	chain := paginate(1, 0, fakeVorbis(30, 6, "TITLE=second link"), 4096, 0, 2) // reuses serial 1
	data := joinPages(mux, chain)
	data = append(data, joinPages(paginate(3, 0, fakeOpus(3, 7), 4096))[:40]...)
	p := splitBytes(t, data)
	k := kindBytes(p)
	if k[split.Audio] == 0 || k[split.Data] != 40 {
		t.Errorf("kinds %v: %s", k, describe(p))
	}
	for _, h := range []string{"\x01vorbis", "\x03vorbis", "OpusHead", "OpusTags", "TITLE=second link"} {
		if bytes.Contains(regionBytes(t, p, split.Audio), []byte(h)) {
			t.Errorf("header packet %q labelled audio", h)
		}
	}
}

// fakeOpus returns an Opus-like stream: OpusHead, OpusTags, n packets.
func fakeOpus(n int, seed uint64) []testPacket {
	pkts := fakeVorbis(n, seed)
	pkts[0].data = append([]byte("OpusHead"), make([]byte, 11)...)
	pkts[1].data = vorbisComment("OpusTags", "", "TITLE=o")
	return append(pkts[:2], pkts[3:]...)
}

// TestRefuse: files Split must not store, each with its error class.
func TestRefuse(t *testing.T) {
	good := joinPages(paginate(7, 0, fakeVorbis(20, 8), 4096, 0, 2))
	mod := func(f func(b []byte) []byte) []byte { return f(bytes.Clone(good)) }
	unknown := joinPages(paginate(9, 0, []testPacket{{[]byte("\x80kate\x00\x00\x00"), 0}, {[]byte("x"), 1}}, 4096, 0))
	noBOS := joinPages(paginate(7, 0, fakeVorbis(20, 8), 4096, 0, 2)[1:])
	for _, c := range []struct {
		name string
		data []byte
		want error
	}{
		{"empty", nil, ErrNotOgg},
		{"text", []byte(strings.Repeat("not an ogg file ", 4)), ErrNotOgg},
		{"truncated first page", good[:40], ErrNotOgg},
		{"bad CRC", mod(func(b []byte) []byte { b[len(b)-1] ^= 1; return b }), ErrCorrupt},
		{"version 1", mod(func(b []byte) []byte { b[4] = 1; return b }), ErrUnsupported},
		{"no known codec", unknown, ErrUnsupported},
		{"page before BOS", noBOS, ErrUnsupported},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := Split(bytes.NewReader(c.data), int64(len(c.data)))
			if !errors.Is(err, c.want) {
				t.Fatalf("Split: %v, want %v", err, c.want)
			}
		})
	}
	t.Run("over 1 GiB", func(t *testing.T) {
		_, err := Split(bytes.NewReader(good), maxFileSize+1)
		if !errors.Is(err, ErrUnsupported) {
			t.Fatalf("Split: %v", err)
		}
	})
	t.Run("short read", func(t *testing.T) {
		_, err := Split(bytes.NewReader(good), int64(len(good))+10)
		if !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Fatalf("Split: %v", err)
		}
	})
}

// TestRebuildDamaged: a cut, extended or altered stream is an error, never
// a silently different file.
func TestRebuildDamaged(t *testing.T) {
	data := joinPages(paginate(7, 0, fakeVorbis(20, 9), 1000, 0, 2))
	data = append(data, "trailer"...)
	s := streamBytes(t, splitBytes(t, data))
	for n := range len(s) {
		if err := (Rebuilder{}).Rebuild(bytes.NewReader(s[:n]), io.Discard); err == nil {
			t.Fatalf("stream cut at %d of %d: no error", n, len(s))
		}
	}
	if err := (Rebuilder{}).Rebuild(bytes.NewReader(append(bytes.Clone(s), 0)), io.Discard); !errors.Is(err, ErrCorrupt) {
		t.Errorf("extra byte: %v", err)
	}
	bad := bytes.Clone(s)
	bad[0] = 'X'
	if err := (Rebuilder{}).Rebuild(bytes.NewReader(bad), io.Discard); !errors.Is(err, ErrCorrupt) {
		t.Errorf("bad magic: %v", err)
	}
}

// TestCRCSlicing compares the sliced paths of crcUpdate with the
// bitwise definition, at every length and split point up to 40 bytes.
func TestCRCSlicing(t *testing.T) {
	data := []byte("The Ogg CRC is CRC-32/CKSUM without its final XOR.")
	for n := range 41 {
		want := crcBitwise(0, data[:n])
		for cut := 0; cut <= n; cut++ {
			if got := crcUpdate(crcUpdate(0, data[:cut]), data[cut:n]); got != want {
				t.Fatalf("n=%d cut=%d: %#08x, want %#08x", n, cut, got, want)
			}
		}
	}
}

// id3v2 returns an ID3v2.4 tag holding one TIT2 frame with title.
func id3v2(title string) []byte {
	frame := append([]byte("TIT2"), 0, 0, 0, byte(1+len(title)), 0, 0, 3)
	frame = append(frame, title...)
	n := len(frame)
	return append([]byte{'I', 'D', '3', 4, 0, 0, byte(n >> 21 & 0x7f), byte(n >> 14 & 0x7f), byte(n >> 7 & 0x7f), byte(n & 0x7f)}, frame...)
}

// TestID3Prefix: ID3v2 tags prepended to an Ogg file are kept verbatim
// as a tag, and the audio region is the one of the bare file.
func TestID3Prefix(t *testing.T) {
	ogg := joinPages(paginate(7, 0, fakeVorbis(50, 17, "TITLE=a"), 4096, 0, 2))
	bare := splitBytes(t, ogg)
	prefix := append(id3v2("one"), id3v2(strings.Repeat("two", 100))...)
	p := splitBytes(t, append(bytes.Clone(prefix), ogg...))
	if !bytes.Equal(regionBytes(t, p, split.Audio), regionBytes(t, bare, split.Audio)) {
		t.Error("audio region differs from the bare file's")
	}
	if !bytes.Contains(regionBytes(t, p, split.Tag), prefix) {
		t.Error("ID3v2 prefix not in a tag region")
	}
	for _, bad := range [][]byte{
		append(id3v2("x"), "not ogg at all, not ogg at all"...),
		append(id3v2("x")[:9], ogg...), // size runs into the page
	} {
		if _, err := Split(bytes.NewReader(bad), int64(len(bad))); !errors.Is(err, ErrNotOgg) {
			t.Errorf("Split: %v, want ErrNotOgg", err)
		}
	}
}
