package restore

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"

	"github.com/tunesafe/tunesafe/internal/vault"
)

// prefetch is how many blobs of one file are fetched ahead of writing.
const prefetch = 3

// restoreFile puts one file in place; it reports false when the file was
// already there with the right content. Its folder is checked (mkdir).
// The file is written to its partial file, resuming what an interrupted
// run left there (resume.go), checked, synced and renamed.
func restoreFile(ctx context.Context, v *vault.Vault, sh *sharedBlobs, tg *target, o Options, j entry) (_ bool, err error) {
	want := j.node.SHA256
	if fi, err := tg.root.Lstat(j.lp); err == nil {
		if fi.Mode().IsRegular() && fi.Size() == j.node.Size {
			if sum, err := tg.hashFile(j.lp); err == nil && sum == want {
				o.Progress.BytesDone.Add(j.node.Size)
				tg.finish(j.lp, &j.node)
				tg.removePartial(j.lp, &j.node)
				return false, nil
			}
		}
		switch {
		case fi.IsDir():
			return false, inTheWay(fi, "file")
		case !o.Overwrite && fi.Mode().IsRegular():
			return false, ErrExists
		case !o.Overwrite:
			return false, inTheWay(fi, "file")
		}
		// Renaming the new file over the old one replaces it, and a
		// symlink itself, never what it points to.
	} else if !errors.Is(err, fs.ErrNotExist) {
		return false, local(err)
	}

	blobs, err := v.FileBlobs(ctx, &j.node)
	if err != nil {
		return false, fromVault(err)
	}
	p, err := tg.openPartial(v, j.lp, &j.node, blobs)
	if err != nil {
		return false, err
	}
	keep := false
	defer func() {
		if !keep {
			p.close(err != nil && worthKeeping(ctx, err))
		}
	}()
	skipShared(sh, blobs[:p.next])
	o.Progress.BytesDone.Add(p.kept)
	w := io.MultiWriter(p, progressWriter{o.Progress})
	if err := writeContent(ctx, v, sh, o, &j.node, blobs[p.next:], w); err != nil {
		return false, err
	}
	if got := hex.EncodeToString(p.sum.Sum(nil)); got != want {
		if err := findDamaged(ctx, v, &j.node); err != nil {
			return false, err
		}
		return false, &mismatchError{got: got, want: want}
	}
	// Synced before its rename: after a power failure, a file under its
	// final name is whole, and a rerun, which finds it, need not replace it.
	if err := p.f.Sync(); err != nil {
		return false, local(err)
	}
	if err := p.f.Close(); err != nil {
		return false, local(err)
	}
	p.f = nil
	tg.finish(p.name, &j.node)
	if err := tg.root.Rename(p.name, j.lp); err != nil {
		return false, local(err)
	}
	keep = true
	p.renamed()
	tg.resumed.Add(p.kept)
	return true, nil
}

// mismatchError reports a file whose content, every blob read right, does
// not match its SHA-256; its partial file is of no use.
type mismatchError struct{ got, want string }

func (e *mismatchError) Error() string {
	return fmt.Sprintf("restored content does not match its SHA-256 (got %s, want %s)", e.got, e.want)
}

// findDamaged reads the blobs of n again, after its content came out wrong,
// and returns a vault.CorruptError naming the first whose content does not
// match its ID (in an unencrypted vault, blobs are checked only through the
// file's SHA-256). It returns nil when every blob is right.
func findDamaged(ctx context.Context, v *vault.Vault, n *vault.Node) error {
	ids, err := v.FileBlobs(ctx, n)
	if err != nil {
		return fromVault(err)
	}
	for _, id := range ids {
		data, release, err := v.ReadBlob(ctx, id)
		if err != nil {
			return fromVault(err)
		}
		ok := v.Hasher().Sum(data) == id
		release()
		if !ok {
			return fromVault(&vault.CorruptError{Key: vault.BlobKey(id), Err: errors.New("content does not match its id")})
		}
	}
	return nil
}

// writeContent writes the file's bytes: blobs (those of the file left to
// write) in order, or for a layout the rebuild of their concatenation (all
// of the file's blobs, as a layout never resumes).
func writeContent(ctx context.Context, v *vault.Vault, sh *sharedBlobs, o Options, n *vault.Node, blobs []vault.ID, w io.Writer) error {
	if n.Layout == "" {
		return fetchBlobs(ctx, v, sh, blobs, w)
	}
	rb := o.Rebuilders[n.Layout]
	if rb == nil {
		return fmt.Errorf("stored with layout %q, which this program cannot rebuild", n.Layout)
	}
	pr, pw := io.Pipe()
	go func() { pw.CloseWithError(fetchBlobs(ctx, v, sh, blobs, pw)) }()
	err := rb.Rebuild(pr, w)
	pr.CloseWithError(errors.New("rebuild stopped reading"))
	return err
}

type fetched struct {
	data    []byte
	release func()
	err     error
}

// fetchBlobs writes blobs in order, fetching a few ahead, each with one
// Write (a partial file records the length of each). It returns once the
// downloads it started have ended: none outlives the file's restore.
func fetchBlobs(ctx context.Context, v *vault.Vault, sh *sharedBlobs, ids []vault.ID, w io.Writer) error {
	ctx, cancel := context.WithCancel(ctx)
	futures := make(chan chan fetched, prefetch)
	defer func() {
		cancel()
		for f := range futures {
			if r := <-f; r.err == nil {
				r.release()
			}
		}
	}()
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
			return fromVault(r.err)
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

func (tg *target) hashFile(lp string) (string, error) {
	f, err := tg.root.Open(lp)
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
