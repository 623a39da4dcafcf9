package music

import (
	"errors"
	"testing"

	"github.com/tunesafe/tunesafe/internal/split"
)

// splitCase is a synthetic file and the plan it must get.
type splitCase struct {
	name  string
	file  []byte
	kinds string   // region kinds; "" means Split must fail
	err   error    // with kinds == "": the error it must wrap
	audio []byte   // the audio regions, concatenated (nil: not checked)
	pics  [][]byte // the picture regions (nil: none)
}

func runSplitCases(t *testing.T, cases []splitCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, err := splitBytes(c.name, c.file)
			if c.kinds == "" {
				if !errors.Is(err, c.err) {
					t.Fatalf("got %v (%s), want error %v", err, describe(p), c.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("split: %v", err)
			}
			checkPlan(t, p, c.file)
			if got := kinds(p); got != c.kinds {
				t.Errorf("regions %q (%s), want %q", got, describe(p), c.kinds)
			}
			if c.audio != nil {
				if got := audioOf(p, c.file); string(got) != string(c.audio) {
					t.Errorf("audio region is %d bytes, want the %d bytes of audio", len(got), len(c.audio))
				}
			}
			if got := regionsOf(p, c.file, split.Picture); !equalRegions(got, c.pics) {
				t.Errorf("%d picture regions (%s), want %d", len(got), describe(p), len(c.pics))
			}
		})
	}
}

// TestID3v2 covers the leading ID3v2 tags of tag-framed streams and the
// pictures cut out of them.
func TestID3v2(t *testing.T) {
	audio := mp3Frames(8)
	pic := noise(1, 3000)
	pic2 := noise(2, 200)
	latin := []byte("Front\x00")
	frames := func(v byte, flags uint16, plain bool) []byte {
		title, picture := "TIT2", "APIC"
		if v == 2 {
			title, picture = "TT2", "PIC"
		}
		return cat(id3Frame(v, title, 0, tit2("Title"), plain),
			id3Frame(v, picture, flags, apic(v, 0, "image/jpeg", latin, pic), plain))
	}
	tagged := func(tag []byte) []byte { return cat(tag, audio) }
	cases := []splitCase{
		{name: "v2.2 PIC", file: tagged(id3v2(2, 0, frames(2, 0, false), 100)),
			kinds: "tag picture tag audio", audio: audio, pics: [][]byte{pic}},
		{name: "v2.3 APIC", file: tagged(id3v2(3, 0, frames(3, 0, false), 100)),
			kinds: "tag picture tag audio", audio: audio, pics: [][]byte{pic}},
		{name: "v2.4 APIC", file: tagged(id3v2(4, 0, frames(4, 0, false), 100)),
			kinds: "tag picture tag audio", audio: audio, pics: [][]byte{pic}},
		{name: "v2.4 APIC last, no padding", file: tagged(id3v2(4, 0, frames(4, 0, false), 0)),
			kinds: "tag picture audio", audio: audio, pics: [][]byte{pic}},
		{name: "v2.4 with iTunes' plain frame sizes", file: tagged(id3v2(4, 0, frames(4, 0, true), 100)),
			kinds: "tag picture tag audio", audio: audio, pics: [][]byte{pic}},
		{name: "v2.4 plain sizes, no padding", file: tagged(id3v2(4, 0, frames(4, 0, true), 0)),
			kinds: "tag picture audio", audio: audio, pics: [][]byte{pic}},
		{name: "v2.4 UTF-16 description",
			file: tagged(id3v2(4, 0, id3Frame(4, "APIC", 0,
				apic(4, 1, "image/png", []byte{0xff, 0xfe, 'a', 0, 0, 1, 0, 0}, pic), false), 10)),
			kinds: "tag picture tag audio", audio: audio, pics: [][]byte{pic}},
		{name: "v2.4 UTF-16BE description ending in a zero byte",
			file: tagged(id3v2(4, 0, id3Frame(4, "APIC", 0,
				apic(4, 2, "image/png", []byte{1, 0, 0, 0}, pic), false), 10)),
			kinds: "tag picture tag audio", audio: audio, pics: [][]byte{pic}},
		{name: "v2.3 unsynchronised tag keeps the picture in the tag",
			file:  tagged(id3v2(3, id3FlagUnsync, frames(3, 0, false), 100)),
			kinds: "tag audio", audio: audio},
		{name: "v2.4 unsynchronised tag", file: tagged(id3v2(4, id3FlagUnsync, frames(4, 0x0002, false), 100)),
			kinds: "tag audio", audio: audio},
		{name: "v2.4 unsynchronised frame", file: tagged(id3v2(4, 0, frames(4, 0x0002, false), 100)),
			kinds: "tag audio", audio: audio},
		{name: "v2.4 compressed frame", file: tagged(id3v2(4, 0, frames(4, 0x0009, false), 100)),
			kinds: "tag audio", audio: audio},
		{name: "v2.4 encrypted frame", file: tagged(id3v2(4, 0, frames(4, 0x0004, false), 100)),
			kinds: "tag audio", audio: audio},
		{name: "v2.3 compressed frame", file: tagged(id3v2(3, 0, frames(3, 0x0080, false), 100)),
			kinds: "tag audio", audio: audio},
		{name: "v2.2 compressed tag", file: tagged(id3v2(2, 0x40, frames(2, 0, false), 100)),
			kinds: "tag audio", audio: audio},
		{name: "v2.4 grouping and data length indicator",
			file: tagged(id3v2(4, 0, id3Frame(4, "APIC", 0x0041,
				cat([]byte{7, 0, 0, 0x17, 0x70}, apic(4, 3, "image/jpeg", latin, pic)), false), 10)),
			kinds: "tag picture tag audio", audio: audio, pics: [][]byte{pic}},
		{name: "v2.3 grouping",
			file: tagged(id3v2(3, 0, id3Frame(3, "APIC", 0x0020,
				cat([]byte{7}, apic(3, 0, "image/jpeg", latin, pic)), false), 10)),
			kinds: "tag picture tag audio", audio: audio, pics: [][]byte{pic}},
		{name: "v2.3 extended header",
			file:  tagged(id3v2(3, id3FlagExtended, cat([]byte{0, 0, 0, 6, 0, 0, 0, 0, 0, 100}, frames(3, 0, false)), 100)),
			kinds: "tag picture tag audio", audio: audio, pics: [][]byte{pic}},
		{name: "v2.4 extended header",
			file:  tagged(id3v2(4, id3FlagExtended, cat([]byte{0, 0, 0, 6, 1, 0}, frames(4, 0, false)), 100)),
			kinds: "tag picture tag audio", audio: audio, pics: [][]byte{pic}},
		{name: "v2.4 extended header flag without the header",
			file:  tagged(id3v2(4, id3FlagExtended, frames(4, 0, false), 100)),
			kinds: "tag picture tag audio", audio: audio, pics: [][]byte{pic}},
		{name: "v2.4 bad extended header", file: tagged(id3v2(4, id3FlagExtended, cat([]byte{0x7f, 0, 0, 0, 1, 0}, frames(4, 0, false)), 100)),
			kinds: "tag audio", audio: audio},
		{name: "v2.4 footer", file: tagged(id3v2(4, id3FlagFooter, frames(4, 0, false), 0)),
			kinds: "tag picture tag audio", audio: audio, pics: [][]byte{pic}},
		{name: "two pictures",
			file: tagged(id3v2(3, 0, cat(frames(3, 0, false),
				id3Frame(3, "APIC", 0, apic(3, 3, "image/png", []byte("back\x00"), pic2), false)), 50)),
			kinds: "tag picture tag picture tag audio", audio: audio, pics: [][]byte{pic, pic2}},
		{name: "stacked tags",
			file:  tagged(cat(id3v2(3, 0, frames(3, 0, false), 20), id3v2(4, 0, frames(4, 0, false), 0))),
			kinds: "tag picture tag picture audio", audio: audio, pics: [][]byte{pic, pic}},
		{name: "junk between the tag and the audio is audio",
			file:  cat(id3v2(3, 0, frames(3, 0, false), 20), make([]byte, 300), audio),
			kinds: "tag picture tag audio", audio: cat(make([]byte, 300), audio), pics: [][]byte{pic}},
		{name: "tag only", file: id3v2(4, 0, frames(4, 0, false), 100),
			kinds: "tag picture tag", pics: [][]byte{pic}},
		{name: "picture frame overrunning the tag",
			file:  tagged(id3v2(3, 0, id3Frame(3, "APIC", 0, apic(3, 0, "image/jpeg", latin, pic), false)[:1000], 0)),
			kinds: "tag audio", audio: audio},
		{name: "bad frame ID keeps the tag whole",
			file:  tagged(id3v2(3, 0, cat(id3Frame(3, "ti t", 0, tit2("x"), false), frames(3, 0, false)), 10)),
			kinds: "tag audio", audio: audio},
		{name: "garbage padding after v2.3 frames is tolerated",
			file:  tagged(id3v2(3, 0, cat(frames(3, 0, false), []byte{0, 'j', 'u', 'n', 'k'}), 0)),
			kinds: "tag picture tag audio", audio: audio, pics: [][]byte{pic}},
		{name: "MIME type without terminator",
			file:  tagged(id3v2(3, 0, id3Frame(3, "APIC", 0, cat([]byte{0}, []byte("image/jpeg")), false), 0)),
			kinds: "tag audio", audio: audio},
		{name: "tag past the end of the file", file: id3v2(3, 0, frames(3, 0, false), 100)[:500],
			err: ErrMalformed},
		{name: "ID3 with a size that is not synchsafe",
			file: cat([]byte{'I', 'D', '3', 3, 0, 0, 0, 0, 0x80, 0}, audio), err: ErrUnknownFormat},
	}
	runSplitCases(t, cases)
}

// TestTrailingTags covers the tags peeled from the end of a stream.
func TestTrailingTags(t *testing.T) {
	audio := mp3Frames(8)
	pic := noise(3, 500)
	appended := id3v2(4, id3FlagFooter, id3Frame(4, "APIC", 0, apic(4, 0, "image/jpeg", []byte{0}, pic), false), 0)
	cases := []splitCase{
		{name: "no tags", file: audio, kinds: "audio", audio: audio},
		{name: "ID3v1", file: cat(audio, id3v1("t")), kinds: "audio tag", audio: audio},
		{name: "TAG+ and ID3v1", file: cat(audio, tagPlus("long title"), id3v1("t")), kinds: "audio tag", audio: audio},
		{name: "APEv2 with header", file: cat(audio, buildAPE(2000, true, "Title", "x")), kinds: "audio tag", audio: audio},
		{name: "APEv2 footer only", file: cat(audio, buildAPE(2000, false, "Title", "x")), kinds: "audio tag", audio: audio},
		{name: "APEv1", file: cat(audio, buildAPE(1000, false, "Title", "x")), kinds: "audio tag", audio: audio},
		{name: "APEv2, Lyrics3v2, ID3v1",
			file:  cat(audio, buildAPE(2000, true, "Title", "x"), lyrics3v2("la la"), id3v1("t")),
			kinds: "audio tag", audio: audio},
		{name: "Lyrics3v1 and ID3v1",
			file:  cat(audio, []byte("LYRICSBEGINla la laLYRICSEND"), id3v1("t")),
			kinds: "audio tag", audio: audio},
		{name: "Lyrics3v1 without ID3v1 is audio",
			file:  cat(audio, []byte("LYRICSBEGINla la laLYRICSEND")),
			kinds: "audio", audio: cat(audio, []byte("LYRICSBEGINla la laLYRICSEND"))},
		{name: "appended ID3v2 after APEv2",
			file:  cat(audio, buildAPE(2000, true, "Title", "x"), appended),
			kinds: "audio tag picture tag", audio: audio, pics: [][]byte{pic}}, // the footer follows
		{name: "ID3v1, appended ID3v2, ID3v1 (id3lib)",
			file:  cat(audio, id3v1("a"), appended, id3v1("b")),
			kinds: "audio tag picture tag", audio: audio, pics: [][]byte{pic}},
		{name: "leading and trailing",
			file:  cat(id3v2(3, 0, id3Frame(3, "TIT2", 0, tit2("x"), false), 64), audio, buildAPE(2000, true, "A", "b"), id3v1("t")),
			kinds: "tag audio tag", audio: audio},
		{name: "APE tag reaching before the audio", file: func() []byte {
			t := cat(audio, buildAPE(2000, false, "Title", "x"))
			t[len(t)-19] = 0xff // size field: far beyond the start
			return t
		}(), err: ErrMalformed},
		{name: "APE tag with an unknown version", file: func() []byte {
			t := cat(audio, buildAPE(2000, false, "Title", "x"))
			t[len(t)-24] = 0x42
			return t
		}(), err: ErrMalformed},
		{name: "APE header flag without a header", file: func() []byte {
			t := cat(audio, buildAPE(2000, false, "Title", "x"))
			t[len(t)-9] |= 0x80
			return t
		}(), err: ErrMalformed},
		{name: "Lyrics3v2 with a bad size", file: func() []byte {
			t := cat(audio, lyrics3v2("la la"))
			t[len(t)-10] = '9'
			return t
		}(), err: ErrMalformed},
		{name: "3DI footer without its header", file: cat(audio, appended[10:]), err: ErrMalformed},
	}
	runSplitCases(t, cases)
}

// TestStreams covers recognising streams without leading tags.
func TestStreams(t *testing.T) {
	adts := adtsFrames(10)
	cases := []splitCase{
		{name: "MPEG audio", file: mp3Frames(3), kinds: "audio"},
		{name: "one MPEG frame", file: mp3Frames(1), kinds: "audio"},
		{name: "ADTS", file: cat(adts, id3v1("t")), kinds: "audio tag", audio: adts},
		{name: "Monkey's Audio", file: cat([]byte("MAC "), noise(4, 1000), buildAPE(2000, true, "A", "b"), id3v1("t")),
			kinds: "audio tag", audio: cat([]byte("MAC "), noise(4, 1000))},
		{name: "WavPack", file: cat([]byte("wvpk"), noise(4, 1000), buildAPE(2000, true, "A", "b")), kinds: "audio tag"},
		{name: "TTA with ID3v2", file: cat(id3v2(3, 0, id3Frame(3, "TIT2", 0, tit2("x"), false), 10), []byte("TTA1"), noise(4, 100)),
			kinds: "tag audio"},
		{name: "MPEG header then garbage", file: cat(mp3Frames(1)[:417], noise(7, 1000)), err: ErrUnknownFormat},
		{name: "bad MPEG header", file: cat([]byte{0xff, 0xfb, 0xf0, 0x00}, noise(7, 1000)), err: ErrUnknownFormat},
		{name: "JPEG", file: cat([]byte{0xff, 0xd8, 0xff, 0xe0}, noise(7, 1000)), err: ErrUnknownFormat},
		{name: "text", file: []byte("hello, world\n"), err: ErrUnknownFormat},
		{name: "empty", file: []byte{}, err: ErrUnknownFormat},
	}
	runSplitCases(t, cases)
}
