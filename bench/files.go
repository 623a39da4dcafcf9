package main

import (
	"crypto/sha256"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// fileSum is a regular file's size and SHA-256.
type fileSum struct {
	Size int64
	Sum  [sha256.Size]byte
}

// hashTree returns the size and SHA-256 of every regular file under root,
// by slash-separated relative path.
func hashTree(root string) (map[string]fileSum, error) {
	sums := map[string]fileSum{}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		rel, err := filepath.Rel(root, path)
		if err != nil {
			return err
		}
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		h := sha256.New()
		n, err := io.Copy(h, f)
		if err != nil {
			return err
		}
		var s fileSum
		s.Size = n
		h.Sum(s.Sum[:0])
		sums[filepath.ToSlash(rel)] = s
		return nil
	})
	return sums, err
}

// compareTrees reports how got differs from want: missing, extra and
// different files, the first few of each by name.
func compareTrees(want, got map[string]fileSum) error {
	var missing, extra, differ []string
	for p, w := range want {
		g, ok := got[p]
		switch {
		case !ok:
			missing = append(missing, p)
		case g != w:
			differ = append(differ, p)
		}
	}
	for p := range got {
		if _, ok := want[p]; !ok {
			extra = append(extra, p)
		}
	}
	if len(missing)+len(extra)+len(differ) == 0 {
		return nil
	}
	var b strings.Builder
	fmt.Fprintf(&b, "restored files differ from the source: %d missing, %d different, %d extra", len(missing), len(differ), len(extra))
	for _, l := range []struct {
		what  string
		paths []string
	}{{"missing", missing}, {"different", differ}, {"extra", extra}} {
		slices.Sort(l.paths)
		for i, p := range l.paths {
			if i == 3 {
				fmt.Fprintf(&b, "\n    ... and %d more %s", len(l.paths)-3, l.what)
				break
			}
			fmt.Fprintf(&b, "\n    %s: %s", l.what, p)
		}
	}
	return fmt.Errorf("%s", b.String())
}

// copyTree copies the regular files and folders under src to dst, which
// must not exist. The copy gets fresh timestamps, like any new copy.
func copyTree(src, dst string) (files int, bytes int64, err error) {
	err = filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		to := filepath.Join(dst, rel)
		switch {
		case d.IsDir():
			return os.MkdirAll(to, 0o755)
		case d.Type().IsRegular():
			n, err := copyFile(path, to)
			files++
			bytes += n
			return err
		}
		return nil // symlinks and devices: not part of a music library
	})
	return files, bytes, err
}

func copyFile(src, dst string) (int64, error) {
	in, err := os.Open(src)
	if err != nil {
		return 0, err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return 0, err
	}
	n, err := io.Copy(out, in)
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	return n, err
}
