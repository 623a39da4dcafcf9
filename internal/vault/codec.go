package vault

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"sync"

	"filippo.io/age"
)

// codec turns plaintext into stored bytes and back. Blobs are stored as is
// (audio does not compress); trees and snapshots are gzip-compressed first.
// In an encrypted vault the result is then a standard age file.
type codec struct {
	recipient age.Recipient
	identity  age.Identity
	// lazy, when identity is nil in an encrypted vault, opens the key
	// files on first need (remembered.go).
	lazy *lazyKeys
	// bufs recycles the buffers blobs are encrypted into (*bytes.Buffer):
	// a backup seals most of a library's bytes, and a fresh buffer for
	// each blob would be allocated, cleared and collected.
	bufs *sync.Pool
}

// sealBlob seals a blob for storage; release must be called once the
// sealed bytes are no longer used.
func (c codec) sealBlob(plain []byte) (sealed []byte, release func(), err error) {
	if c.recipient == nil {
		return plain, func() {}, nil
	}
	out, _ := c.bufs.Get().(*bytes.Buffer)
	if out == nil {
		out = new(bytes.Buffer)
	}
	out.Reset()
	if err := c.encrypt(out, plain); err != nil {
		c.bufs.Put(out)
		return nil, nil, err
	}
	return out.Bytes(), func() { c.bufs.Put(out) }, nil
}

// encrypt appends the age encryption of plain to out.
func (c codec) encrypt(out *bytes.Buffer, plain []byte) error {
	out.Grow(len(plain) + 256 + len(plain)/(64<<10)*16)
	w, err := age.Encrypt(out, c.recipient)
	if err != nil {
		return err
	}
	if _, err := w.Write(plain); err != nil {
		return err
	}
	return w.Close()
}

func (c codec) seal(plain []byte, compress bool) ([]byte, error) {
	if compress {
		var b bytes.Buffer
		b.Grow(len(plain)/3 + 64)
		zw := gzip.NewWriter(&b)
		zw.Write(plain)
		if err := zw.Close(); err != nil {
			return nil, err
		}
		plain = b.Bytes()
	}
	if c.recipient == nil {
		return plain, nil
	}
	var out bytes.Buffer
	if err := c.encrypt(&out, plain); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

// ident returns the identity that decrypts, opening the key files first
// when the vault was opened with a remembered id-key; nil in a plain vault.
func (c codec) ident() (age.Identity, error) {
	if c.identity == nil && c.lazy != nil {
		k, err := c.lazy.get()
		if err != nil {
			return nil, &lockedError{err}
		}
		return k.Identity, nil
	}
	return c.identity, nil
}

// openBlobTo decrypts a blob of an encrypted vault into out.
func (c codec) openBlobTo(stored []byte, out *bytes.Buffer) error {
	identity, err := c.ident()
	if err != nil {
		return err
	}
	r, err := age.Decrypt(bytes.NewReader(stored), identity)
	if err != nil {
		return fmt.Errorf("decrypt: %w", err)
	}
	out.Grow(len(stored) + bytes.MinRead) // ReadFrom wants MinRead free to see EOF
	if _, err := out.ReadFrom(r); err != nil {
		return fmt.Errorf("decrypt: %w", err)
	}
	return nil
}

func (c codec) open(stored []byte, compressed bool) ([]byte, error) {
	plain := stored
	identity, err := c.ident()
	if err != nil {
		return nil, err
	}
	if identity != nil {
		r, err := age.Decrypt(bytes.NewReader(stored), identity)
		if err != nil {
			return nil, fmt.Errorf("decrypt: %w", err)
		}
		// The plaintext is a little shorter than the age file. Grow, unlike
		// make, does not clear memory about to be overwritten.
		var buf bytes.Buffer
		buf.Grow(len(stored) + bytes.MinRead) // ReadFrom wants MinRead free to see EOF
		if _, err := buf.ReadFrom(r); err != nil {
			return nil, fmt.Errorf("decrypt: %w", err)
		}
		plain = buf.Bytes()
	}
	if compressed {
		zr, err := gzip.NewReader(bytes.NewReader(plain))
		if err != nil {
			return nil, fmt.Errorf("gunzip: %w", err)
		}
		if plain, err = io.ReadAll(zr); err != nil {
			return nil, fmt.Errorf("gunzip: %w", err)
		}
	}
	return plain, nil
}
