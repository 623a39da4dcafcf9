package vault

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"

	"filippo.io/age"
)

// codec turns plaintext into stored bytes and back. Blobs are stored as is
// (audio does not compress); trees and snapshots are gzip-compressed first.
// In an encrypted vault the result is then a standard age file.
type codec struct {
	recipient age.Recipient
	identity  age.Identity
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
	out.Grow(len(plain) + 256 + len(plain)/(64<<10)*16)
	w, err := age.Encrypt(&out, c.recipient)
	if err != nil {
		return nil, err
	}
	if _, err := w.Write(plain); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

func (c codec) open(stored []byte, compressed bool) ([]byte, error) {
	plain := stored
	if c.identity != nil {
		r, err := age.Decrypt(bytes.NewReader(stored), c.identity)
		if err != nil {
			return nil, fmt.Errorf("decrypt: %w", err)
		}
		// The plaintext is a little shorter than the age file.
		buf := bytes.NewBuffer(make([]byte, 0, len(stored)))
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
