package oggsplit

import (
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/tunesafe/tunesafe/internal/split"
)

func streamReader(p split.Plan) io.Reader { return io.NewSectionReader(p.Stream, 0, p.Size) }

// streamBytes returns p's whole stored stream.
func streamBytes(t testing.TB, p split.Plan) []byte {
	t.Helper()
	b, err := io.ReadAll(streamReader(p))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// regionBytes returns the concatenated bytes of p's regions of kind k.
func regionBytes(t testing.TB, p split.Plan, k split.Kind) []byte {
	t.Helper()
	s := streamBytes(t, p)
	var out []byte
	for _, r := range p.Regions {
		if r.Kind == k {
			out = append(out, s[r.Offset:r.Offset+r.Length]...)
		}
	}
	return out
}

// kindBytes sums the lengths of p's regions by kind.
func kindBytes(p split.Plan) map[split.Kind]int64 {
	m := make(map[split.Kind]int64)
	for _, r := range p.Regions {
		m[r.Kind] += r.Length
	}
	return m
}

// describe summarises p's regions for test logs.
func describe(p split.Plan) string {
	var b strings.Builder
	fmt.Fprintf(&b, "stream %d bytes:", p.Size)
	for _, r := range p.Regions {
		fmt.Fprintf(&b, " %s@%d+%d", r.Kind, r.Offset, r.Length)
	}
	return b.String()
}
