package music

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"testing"
)

// BenchmarkSplit splits multi-megabyte files (8 MiB of audio, a 1 MiB
// cover) from disk. The splitter reads headers only, so the time is a few
// dozen small reads whatever the size; MB/s is the file size over that.
func BenchmarkSplit(b *testing.B) {
	audio := noise(200, 8<<20)
	cover := testCover(1 << 20)
	mp3 := cat(id3v2(4, 0, cat(id3Frame(4, "TIT2", 0, tit2("Title"), false),
		id3Frame(4, "APIC", 0, apic(4, 0, "image/jpeg", []byte{0}, cover), false)), 4096),
		mp3Frames(len(audio)/417), id3v1("Title"))
	for _, c := range []struct {
		name string
		data []byte
	}{
		{"mp3", mp3},
		{"m4a", m4a(true, audio, cover)},
		{"flac", flacFile(flacFrames(len(audio)), cover)},
		{"wav", wav(chunk(binary.LittleEndian, "fmt ", make([]byte, 16)), chunk(binary.LittleEndian, "data", audio), chunk(binary.LittleEndian, "id3 ", id3v2(3, 0,
			id3Frame(3, "APIC", 0, apic(3, 0, "image/jpeg", []byte{0}, cover), false), 0)))},
	} {
		path := filepath.Join(b.TempDir(), c.name)
		if err := os.WriteFile(path, c.data, 0o644); err != nil {
			b.Fatal(err)
		}
		f, err := os.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(len(c.data)))
			for b.Loop() {
				p, err := Splitter{}.Split(c.name, f, int64(len(c.data)))
				if err != nil || len(p.Regions) < 2 {
					b.Fatalf("split: %v (%s)", err, describe(p))
				}
			}
		})
		f.Close()
	}
}
