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
	// A vault soon holds a zero blob of each of the fixed sizes.
	known := map[string]bool{}
	for size := zeroBlock; size > 0; size /= 2 {
		known[string(make([]byte, size))] = true
	}
	for _, c := range cuts(t, split.Tag, before) {
		known[string(c)] = true
	}
	newBytes := 0
	for _, c := range cuts(t, split.Tag, after) {
		if !known[string(c)] {
			newBytes += len(c)
		}
	}
	if newBytes > len(tags)+8 {
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

// A zero run is cut into blobs of the thirteen fixed sizes, whatever its
// length and wherever it sits.
func TestZeroRunSizes(t *testing.T) {
	fixed := map[int]bool{}
	for size := zeroBlock; size > 0; size /= 2 {
		fixed[size] = true
	}
	for _, n := range []int{minZeroRun, 3881, zeroBlock, 3*zeroBlock + 1, 20000} {
		data := append([]byte("TIT2 x"), make([]byte, n)...)
		data = append(data, "TPE1 y"...)
		pieces := cuts(t, split.Tag, data)
		zeroBytes := 0
		for _, c := range pieces {
			if bytes.Count(c, []byte{0}) == len(c) {
				if !fixed[len(c)] {
					t.Errorf("run of %d: a zero blob of %d bytes", n, len(c))
				}
				zeroBytes += len(c)
			}
		}
		if zeroBytes != n {
			t.Errorf("run of %d: %d bytes in zero blobs", n, zeroBytes)
		}
	}
}
