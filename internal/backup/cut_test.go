package backup

import (
	"bytes"
	"testing"

	"github.com/tunesafe/tunesafe/internal/chunker"
	"github.com/tunesafe/tunesafe/internal/split"
)

func cuts(t *testing.T, kind split.Kind, data []byte) [][]byte {
	t.Helper()
	var out [][]byte
	ch := chunker.New(nil, smallChunks)
	err := cutRegion(ch, kind, int64(len(data)), bytes.NewReader(data), func(b []byte) error {
		out = append(out, bytes.Clone(b))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(bytes.Join(out, nil), data) {
		t.Fatal("cuts do not concatenate to the region")
	}
	return out
}

// Padding in a tag region becomes shared zero blocks, so an edit that
// changes the padding's length uploads less than one block of it.
func TestTagPaddingCut(t *testing.T) {
	tags := []byte("TIT2 Finlandia TPE1 Jean Sibelius")
	before := append(append([]byte{}, tags...), make([]byte, 20000)...)
	after := append(append([]byte{}, tags...), []byte(", Op. 26")...)
	after = append(after, make([]byte, 20000-8)...)
	known := map[string]bool{}
	for _, c := range cuts(t, split.Tag, before) {
		known[string(c)] = true
	}
	newBytes := 0
	for _, c := range cuts(t, split.Tag, after) {
		if !known[string(c)] {
			newBytes += len(c)
		}
	}
	if newBytes > len(tags)+8+zeroBlock {
		t.Fatalf("a 8-byte tag edit makes %d new bytes", newBytes)
	}
	// Audio is never cut this way, and short zero runs stay in place.
	if n := len(cuts(t, split.Audio, before)); n != 1 {
		t.Fatalf("audio region cut in %d pieces", n)
	}
	short := append(append([]byte{}, tags...), make([]byte, minZeroRun-1)...)
	if n := len(cuts(t, split.Tag, short)); n != 1 {
		t.Fatalf("short padding cut in %d pieces", n)
	}
}
