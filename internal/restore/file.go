package restore

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/tunesafe/tunesafe/internal/vault"
)

// prefetch is how many blobs of one file are fetched ahead of writing.
const prefetch = 3

// restoreFile puts one file in place; it reports false when the file was
// already there with the right content.
func restoreFile(ctx context.Context, v *vault.Vault, sh *sharedBlobs, o Options, j fileJob) (bool, error) {
	want := j.node.SHA256
	if fi, err := os.Lstat(j.dst); err == nil {
		if fi.Mode().IsRegular() && fi.Size() == j.node.Size {
			if sum, err := hashFile(j.dst); err == nil && sum == want {
				o.Progress.BytesDone.Add(j.node.Size)
				return false, finish(j.dst, &j.node)
			}
		}
		if !o.Overwrite {
			return false, ErrExists
		}
		if fi.IsDir() {
			return false, fmt.Errorf("a directory is in the way")
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return false, err
	}

	tmp, err := createTemp(filepath.Dir(j.dst), filepath.Base(j.dst))
	if err != nil {
		return false, err
	}
	keep := false
	defer func() {
		if !keep {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	h := sha256.New()
	w := io.MultiWriter(tmp, h, progressWriter{o.Progress})
	if err := writeContent(ctx, v, sh, o, &j.node, w); err != nil {
		return false, err
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != want {
		return false, fmt.Errorf("restored content does not match its SHA-256 (got %s, want %s)", got, want)
	}
	// No fsync per file: a restore cut by a power failure is simply run
	// again, and every file in place is checked against its SHA-256 then.
	if err := tmp.Close(); err != nil {
		return false, err
	}
	if err := finish(tmp.Name(), &j.node); err != nil {
		return false, err
	}
	if err := os.Rename(tmp.Name(), j.dst); err != nil {
		return false, err
	}
	keep = true
	return true, nil
}

// writeContent writes the file's bytes: its blobs in order, or for a
// layout the rebuild of their concatenation.
func writeContent(ctx context.Context, v *vault.Vault, sh *sharedBlobs, o Options, n *vault.Node, w io.Writer) error {
	blobs, err := v.FileBlobs(ctx, n)
	if err != nil {
		return err
	}
	if n.Layout == "" {
		return fetchBlobs(ctx, v, sh, blobs, w)
	}
	rb := o.Rebuilders[n.Layout]
	if rb == nil {
		return fmt.Errorf("stored with layout %q, which this program cannot rebuild", n.Layout)
	}
	pr, pw := io.Pipe()
	go func() { pw.CloseWithError(fetchBlobs(ctx, v, sh, blobs, pw)) }()
	err = rb.Rebuild(pr, w)
	pr.CloseWithError(errors.New("rebuild stopped reading"))
	return err
}

type fetched struct {
	data    []byte
	release func()
	err     error
}

// fetchBlobs writes blobs in order, fetching a few ahead.
func fetchBlobs(ctx context.Context, v *vault.Vault, sh *sharedBlobs, ids []vault.ID, w io.Writer) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	futures := make(chan chan fetched, prefetch)
	go func() {
		defer close(futures)
		for _, id := range ids {
			f := make(chan fetched, 1)
			select {
			case futures <- f:
			case <-ctx.Done():
				return
			}
			go func(id vault.ID) {
				// The file's SHA-256 is checked once it is whole.
				data, release, err := sh.read(ctx, v, id)
				f <- fetched{data, release, err}
			}(id)
		}
	}()
	for f := range futures {
		r := <-f
		if r.err != nil {
			return r.err
		}
		_, err := w.Write(r.data)
		r.release()
		if err != nil {
			return err
		}
	}
	return ctx.Err()
}

type progressWriter struct{ p *Progress }

func (p progressWriter) Write(b []byte) (int, error) {
	p.p.BytesDone.Add(int64(len(b)))
	return len(b), nil
}

func createTemp(dir, base string) (*os.File, error) {
	b := make([]byte, 6)
	rand.Read(b)
	return os.OpenFile(filepath.Join(dir, ".tunesafe-"+hex.EncodeToString(b)+".tmp"), os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
}

// finish sets mode and times.
func finish(p string, n *vault.Node) error {
	if err := os.Chmod(p, n.FileMode()); err != nil {
		return err
	}
	return os.Chtimes(p, n.MTime, n.MTime)
}

func hashFile(p string) (string, error) {
	f, err := os.Open(p)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
