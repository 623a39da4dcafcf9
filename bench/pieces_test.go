package main

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestPieces checks the rclone-1mib control's input and its restore check:
// every piece but a file's last is exactly 1 MiB, an empty file is one
// empty piece, the pieces put back together hash like the source, and a
// restore that lost, reordered or changed a piece fails.
func TestPieces(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	sizes := map[string]int{
		"Music/A/01 empty.mp3":     0,
		"Music/A/02 one byte.mp3":  1,
		"Music/A/03 exact.flac":    pieceSize,
		"Music/B/04 two and a bit": 2*pieceSize + 1,
		"Music/B/05 almost three":  3*pieceSize - 1,
		"top.part0000":             10, // named like a piece itself
	}
	src := t.TempDir()
	for name, n := range sizes {
		data := make([]byte, n)
		for i := range data {
			data[i] = byte(rng.Uint32())
		}
		p := filepath.Join(src, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := hashTree(src)
	if err != nil {
		t.Fatal(err)
	}

	dst := filepath.Join(t.TempDir(), "pieces")
	pieces, sums, err := cutPieces(src, dst, pieceSize)
	if err != nil {
		t.Fatal(err)
	}
	if err := compareTrees(want, sums); err != nil {
		t.Errorf("sums taken while cutting: %v", err)
	}
	total := 0
	for name, n := range sizes {
		count := max(1, (n+pieceSize-1)/pieceSize)
		total += count
		for i := range count + 1 {
			fi, err := os.Stat(filepath.Join(dst, filepath.FromSlash(pieceName(name, i))))
			switch {
			case i == count:
				if err == nil {
					t.Errorf("%s: piece %d exists, want %d pieces", name, i, count)
				}
			case err != nil:
				t.Errorf("%s: %v", name, err)
			case i < count-1 && fi.Size() != pieceSize:
				t.Errorf("%s: piece %d is %d bytes, want %d", name, i, fi.Size(), pieceSize)
			case i == count-1 && fi.Size() != int64(n-i*pieceSize):
				t.Errorf("%s: last piece is %d bytes, want %d", name, fi.Size(), n-i*pieceSize)
			}
		}
	}
	if pieces != total {
		t.Errorf("cutPieces made %d pieces, want %d", pieces, total)
	}

	// What a restore brings back: a copy of the pieces, spoilt by change
	// where a test case says.
	check := func(change func(restored string), wantErr string) {
		t.Helper()
		restored := filepath.Join(t.TempDir(), "restored")
		if _, _, err := copyTree(dst, restored); err != nil {
			t.Fatal(err)
		}
		if change != nil {
			change(restored)
		}
		got, n, err := joinPieces(restored, pieceSize)
		if err == nil {
			if change == nil && n != total {
				t.Errorf("joinPieces counted %d pieces, want %d", n, total)
			}
			err = compareTrees(want, got)
		}
		switch {
		case wantErr == "" && err != nil:
			t.Fatalf("pieces as cut: %v", err)
		case wantErr != "" && (err == nil || !strings.Contains(err.Error(), wantErr)):
			t.Fatalf("got %v, want an error mentioning %q", err, wantErr)
		}
	}
	check(nil, "")

	piece := func(root, name string, i int) string {
		return filepath.Join(root, filepath.FromSlash(pieceName(name, i)))
	}
	edit := func(path string, f func([]byte) []byte) {
		t.Helper()
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, f(b), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	do := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	const two, three = "Music/B/04 two and a bit", "Music/B/05 almost three"

	check(func(r string) { // one byte of a middle piece changed
		edit(piece(r, two, 1), func(b []byte) []byte { b[len(b)/2] ^= 1; return b })
	}, "different: "+two)
	check(func(r string) { // two full pieces swapped: same sizes, other order
		a, b := piece(r, three, 0), piece(r, three, 1)
		do(os.Rename(a, a+".tmp"))
		do(os.Rename(b, a))
		do(os.Rename(a+".tmp", b))
	}, "different: "+three)
	check(func(r string) { do(os.Remove(piece(r, three, 1))) }, three+": piece 1 is missing")
	check(func(r string) { do(os.Remove(piece(r, three, 2))) }, "different: "+three)
	check(func(r string) { // a piece other than the last one short
		edit(piece(r, two, 0), func(b []byte) []byte { return b[:len(b)-1] })
	}, two+": piece 1 of 3 is 1048575 bytes long")
	const exact = "Music/A/03 exact.flac"
	check(func(r string) { // an empty piece after a full last one
		do(os.WriteFile(piece(r, exact, 1), nil, 0o644))
	}, exact+": piece 2 of 2 is 0 bytes long")
	check(func(r string) { // a last piece too long
		edit(piece(r, exact, 0), func(b []byte) []byte { return append(b, 0) })
	}, exact+": piece 1 of 1 is 1048577 bytes long")
	check(func(r string) { // a file gone entirely
		do(os.Remove(piece(r, "Music/A/01 empty.mp3", 0)))
	}, "missing: Music/A/01 empty.mp3")
	check(func(r string) { do(os.WriteFile(filepath.Join(r, "stray"), nil, 0o644)) }, "stray is not named like a piece")
}

// TestPieceName checks that every piece's name maps back to its file, and
// that only pieceName's own spelling does.
func TestPieceName(t *testing.T) {
	for _, c := range []struct {
		name string
		rel  string
		i    int
		ok   bool
	}{
		{"a/b.mp3.part0000", "a/b.mp3", 0, true},
		{"a/b.part0001.part0012", "a/b.part0001", 12, true},
		{"b.part12345", "b", 12345, true},
		{"b.part012", "", 0, false},
		{"b.part+001", "", 0, false},
		{"b.part-001", "", 0, false},
		{"b.part00001", "", 0, false},
		{"b.mp3", "", 0, false},
		{".part0000", "", 0, false},
		{"a/.part0000", "", 0, false},
	} {
		rel, i, ok := parsePieceName(c.name)
		if rel != c.rel || i != c.i || ok != c.ok {
			t.Errorf("parsePieceName(%q) = %q, %d, %v; want %q, %d, %v", c.name, rel, i, ok, c.rel, c.i, c.ok)
		}
		if ok && pieceName(rel, i) != c.name {
			t.Errorf("pieceName(%q, %d) = %q, want %q", rel, i, pieceName(rel, i), c.name)
		}
	}
}
