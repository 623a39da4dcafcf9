package oggsplit

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from the current encoder")

// goldenFiles are small Ogg files built here whose stored streams are
// pinned in testdata/NAME.golden, so the ogg1 encoding cannot drift
// without a visible diff. tiny is the worked example of docs/FORMAT.md (Appendix: the ogg1 layout).
var goldenFiles = map[string]func() []byte{
	"tiny": func() []byte {
		audio := func(n int, b byte) []byte { return bytes.Repeat([]byte{b}, n) }
		pkts := []testPacket{
			{append([]byte("OpusHead\x01\x02\x38\x01\x80\xbb\x00\x00"), 0, 0, 0), 0},
			{vorbisComment("OpusTags", "", "TITLE=x"), 0},
			{audio(5, 0xaa), 960},
			{audio(260, 0xbb), 1920},
			{audio(7, 0xcc), 2880},
		}
		return joinPages(paginate(0x04030201, 0, pkts, 4096, 0, 1, 3))
	},
	"vorbis": func() []byte {
		data := joinPages(paginate(0x1234, 0, fakeVorbis(6, 10, "TITLE=golden"), 200, 0, 2))
		return append(data, "TAG junk"...)
	},
}

func TestGolden(t *testing.T) {
	for name, build := range goldenFiles {
		t.Run(name, func(t *testing.T) {
			data := build()
			p := splitBytes(t, data)
			var b bytes.Buffer
			fmt.Fprintf(&b, "# ogg1 stored stream of the %q test file (golden_test.go).\n", name)
			fmt.Fprintf(&b, "# Regenerate: go test -run TestGolden -update ./internal/split/oggsplit\n")
			fmt.Fprintf(&b, "file: %d bytes, sha256 %x\n", len(data), sha256.Sum256(data))
			fmt.Fprintf(&b, "stream: %d bytes\nregions:\n", p.Size)
			for _, r := range p.Regions {
				fmt.Fprintf(&b, "  %-7s offset %5d length %5d\n", r.Kind, r.Offset, r.Length)
			}
			fmt.Fprintf(&b, "stream bytes:\n%s", hex.Dump(streamBytes(t, p)))
			fmt.Fprintf(&b, "file bytes:\n%s", hex.Dump(data))

			path := filepath.Join("testdata", name+".golden")
			if *update {
				if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if !bytes.Equal(b.Bytes(), want) {
				t.Errorf("stored stream differs from %s; if the format changed on purpose, bump the layout name and run with -update", path)
			}
		})
	}
}
