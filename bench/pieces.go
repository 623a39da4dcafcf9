package main

// Fixed-size pieces of files, for the rclone-1mib control
// (tool_rclone_pieces.go): cutting a folder's files into pieces, and
// checking that the pieces, put back together, are the files again.

import (
	"cmp"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// pieceSuffix comes between a file's name and its piece's index.
const pieceSuffix = ".part"

// pieceName names piece i of the file rel: "<rel>.part0000". The index has
// at least four digits, so that a file's pieces list in order; the last
// ".part" of a name is always the one added, so any file name maps back.
func pieceName(rel string, i int) string {
	return fmt.Sprintf("%s%s%04d", rel, pieceSuffix, i)
}

// parsePieceName is the inverse of pieceName on slash-separated paths.
func parsePieceName(name string) (rel string, i int, ok bool) {
	k := strings.LastIndex(name, pieceSuffix)
	if k < 0 {
		return "", 0, false
	}
	rel, digits := name[:k], name[k+len(pieceSuffix):]
	i, err := strconv.Atoi(digits)
	// Only the canonical spelling: "+1", "01" or "-001" are not pieceName's.
	if err != nil || i < 0 || pieceName(rel, i) != name || rel == "" || strings.HasSuffix(rel, "/") {
		return "", 0, false
	}
	return rel, i, true
}

// cutPieces cuts every regular file under src into pieces of size bytes,
// the last one shorter, written under dst with the same folders and named
// by pieceName. An empty file gets one empty piece, so that it is backed up
// and restored like the others. dst must not exist (its parent must). It
// streams, holding one copy buffer at a time, and returns the number of
// pieces and the size and SHA-256 of each file as it read it, by
// slash-separated relative path, like hashTree.
func cutPieces(src, dst string, size int64) (pieces int, sums map[string]fileSum, err error) {
	if size <= 0 {
		return 0, nil, fmt.Errorf("piece size %d: want at least 1", size)
	}
	if err := os.Mkdir(dst, 0o755); err != nil {
		return 0, nil, fmt.Errorf("make the folder for the pieces: %w", err)
	}
	sums = map[string]fileSum{}
	err = filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil || rel == "." {
			return err
		}
		to := filepath.Join(dst, rel)
		switch {
		case d.IsDir():
			return os.Mkdir(to, 0o755)
		case d.Type().IsRegular():
			n, s, err := cutFile(path, to, size)
			if err != nil {
				return fmt.Errorf("cut %s: %w", path, err)
			}
			pieces += n
			sums[filepath.ToSlash(rel)] = s
		}
		return nil // symlinks and devices: not part of a music library
	})
	if err != nil {
		return pieces, sums, fmt.Errorf("cut %s into pieces of %d bytes: %w", src, size, err)
	}
	return pieces, sums, nil
}

// cutFile cuts one file into pieces named pieceName(to, i) and hashes it
// on the way.
func cutFile(path, to string, size int64) (pieces int, s fileSum, err error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, s, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return 0, s, err
	}
	h := sha256.New()
	r := io.TeeReader(f, h)
	left := fi.Size()
	for i := 0; i == 0 || left > 0; i++ {
		n := min(size, left)
		if err := writePiece(pieceName(to, i), r, n); err != nil {
			return pieces, s, err
		}
		left -= n
		pieces++
	}
	s.Size = fi.Size()
	h.Sum(s.Sum[:0])
	return pieces, s, nil
}

// writePiece copies the next n bytes of r into a new file.
func writePiece(path string, r io.Reader, n int64) error {
	out, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	_, err = io.CopyN(out, r, n)
	if errors.Is(err, io.EOF) {
		err = errors.New("the file got shorter while it was cut")
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// joinPieces returns, for every file whose pieces are under root, the size
// and SHA-256 of its pieces put back together in order, by slash-separated
// relative path (so the result compares with compareTrees against the
// sums cutPieces returned), and the number of pieces. It reads one piece at
// a time and writes nothing. Anything cutPieces with this size would not
// have made is an error: a file not named like a piece, a missing piece, a
// piece other than the last that is not size bytes long, a last piece
// longer than size, or an empty one after others.
func joinPieces(root string, size int64) (sums map[string]fileSum, pieces int, err error) {
	type piece struct {
		i    int
		path string
	}
	files := map[string][]piece{}
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		rel, err := filepath.Rel(root, path)
		if err != nil {
			return err
		}
		name, i, ok := parsePieceName(filepath.ToSlash(rel))
		if !ok {
			return fmt.Errorf("%s is not named like a piece (<file>%s0000)", rel, pieceSuffix)
		}
		files[name] = append(files[name], piece{i, path})
		pieces++
		return nil
	})
	if err != nil {
		return nil, pieces, fmt.Errorf("list the pieces in %s: %w", root, err)
	}
	sums = map[string]fileSum{}
	for name, ps := range files {
		slices.SortFunc(ps, func(a, b piece) int { return cmp.Compare(a.i, b.i) })
		h := sha256.New()
		var s fileSum
		for k, p := range ps {
			if p.i != k {
				return nil, pieces, fmt.Errorf("%s: piece %d is missing", name, k)
			}
			n, err := hashInto(h, p.path)
			if err != nil {
				return nil, pieces, err
			}
			last := k == len(ps)-1
			if (!last && n != size) || n > size || (last && k > 0 && n == 0) {
				return nil, pieces, fmt.Errorf("%s: piece %d of %d is %d bytes long, which a cut into pieces of %d bytes does not make",
					name, k+1, len(ps), n, size)
			}
			s.Size += n
		}
		h.Sum(s.Sum[:0])
		sums[name] = s
	}
	return sums, pieces, nil
}

// hashInto adds a file's bytes to h and returns how many there were.
func hashInto(h hash.Hash, path string) (int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	n, err := io.Copy(h, f)
	if err != nil {
		return n, fmt.Errorf("read %s: %w", path, err)
	}
	return n, nil
}
