package s3store

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
	"syscall"

	"github.com/minio/minio-go/v7"

	"github.com/tunesafe/tunesafe/internal/store"
)

// maxPut is the largest object one PUT request may carry (S3's limit). The
// store never uses multipart uploads, whose checksums are per part and
// cannot be compared with a whole-object SHA-256.
const maxPut = 5 << 30

// Put stores data under key with one PUT request that carries its SHA-256
// as x-amz-checksum-sha256 and, until the server has shown that it checks
// that header, as the signed payload hash; see the package comment.
// A store with an ObjectLock also sends the retention (lock.go).
func (s *Store) Put(ctx context.Context, key string, data []byte) error {
	if err := store.CheckKey(ctx, key); err != nil {
		return err
	}
	if len(data) > maxPut {
		return store.Permanent(store.KindInvalid, fmt.Errorf("put %s: %d bytes is more than one S3 PUT takes", key, len(data)))
	}
	sum := store.Digest(ctx, data)
	checksum := base64.StdEncoding.EncodeToString(sum[:])
	opts := minio.PutObjectOptions{
		ContentType: "application/octet-stream",
		// Keys starting with "x-amz-checksum-" are sent as they are.
		UserMetadata: map[string]string{"x-amz-checksum-sha256": checksum},
		// No streaming (chunk-signed) body: with the hash known up front,
		// the whole body is signed by its hash, over HTTP and HTTPS, or
		// sent as UNSIGNED-PAYLOAD once the checksum is known to be
		// checked.
		DisableContentSha256: true,
	}
	payloadHash := hex.EncodeToString(sum[:])
	if s.checksumsChecked.Load() {
		payloadHash = "" // UNSIGNED-PAYLOAD
	}
	md5 := s.lock.apply(&opts, data)
	// Core.PutObject sends exactly one request; Client.PutObject would
	// refuse the checksum header without trailing-header support and
	// switch to multipart uploads for large objects.
	info, err := s.core.PutObject(ctx, s.bucket, s.object(key), bytes.NewReader(data), int64(len(data)),
		md5, payloadHash, opts)
	if err == nil {
		if info.ChecksumSHA256 == checksum {
			s.checksumsChecked.Store(true)
		}
		return nil
	}
	err = classify(ctx, "put "+key, err)
	if errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) {
		// A server that refuses a request (bad credentials, no bucket)
		// often answers at once and closes the connection without
		// reading the body; a large body then fails with a reset
		// before the answer is read. One small request tells a refusal,
		// which is permanent, from a network fault.
		if cerr := s.CheckBucket(ctx); store.KindOf(cerr) != "" && store.IsPermanent(cerr) {
			return fmt.Errorf("put %s: the server closed the upload: %w", key, cerr)
		}
	}
	return err
}

// SendsChecksums reports that every Put hands the server the object's
// SHA-256 (x-amz-checksum-sha256), which a server that keeps checksums
// shows on Stat: an object Tunesafe put that shows none there was written
// since by someone else (see auditlog's quick audit).
func (s *Store) SendsChecksums() bool { return true }

// Get returns length bytes of the object from offset on; length < 0 means to
// the end.
func (s *Store) Get(ctx context.Context, key string, offset, length int64) (io.ReadCloser, error) {
	if err := store.CheckKey(ctx, key); err != nil {
		return nil, err
	}
	if offset < 0 {
		return nil, store.Permanent(store.KindInvalid, fmt.Errorf("get %s: negative offset %d", key, offset))
	}
	if length == 0 {
		// S3 has no empty range; the object must still exist.
		if _, err := s.Stat(ctx, key); err != nil {
			return nil, err
		}
		return io.NopCloser(bytes.NewReader(nil)), nil
	}
	var opts minio.GetObjectOptions
	var err error
	switch {
	case length > 0:
		err = opts.SetRange(offset, offset+length-1)
	case offset > 0:
		err = opts.SetRange(offset, 0)
	}
	if err != nil {
		return nil, store.Permanent(store.KindInvalid, fmt.Errorf("get %s: %w", key, err))
	}
	body, info, _, err := s.core.GetObject(ctx, s.bucket, s.object(key), opts)
	if err != nil {
		var resp minio.ErrorResponse
		if errors.As(err, &resp) && resp.Code == "InvalidRange" {
			// The object exists and offset is at or past its end:
			// there is nothing to read there.
			return io.NopCloser(bytes.NewReader(nil)), nil
		}
		return nil, classify(ctx, "get "+key, err)
	}
	return &reader{ctx: ctx, key: key, body: body, size: info.Size}, nil
}

// Stat returns the object's size, modification time and, when the server
// keeps one for the whole object, its SHA-256.
func (s *Store) Stat(ctx context.Context, key string) (store.Info, error) {
	if err := store.CheckKey(ctx, key); err != nil {
		return store.Info{}, err
	}
	oi, err := s.client.StatObject(ctx, s.bucket, s.object(key), minio.StatObjectOptions{Checksum: true})
	if err != nil {
		return store.Info{}, classify(ctx, "stat "+key, err)
	}
	return store.Info{Key: key, Size: oi.Size, ModTime: oi.LastModified, SHA256: wholeSHA256(oi.ChecksumSHA256)}, nil
}

// wholeSHA256 decodes the base64 x-amz-checksum-sha256 of an object, or
// returns nil when there is none or it is the composite checksum of a
// multipart upload ("…-N"), which is not the SHA-256 of the bytes.
func wholeSHA256(b64 string) []byte {
	if b64 == "" || strings.Contains(b64, "-") {
		return nil
	}
	sum, err := base64.StdEncoding.DecodeString(b64)
	if err != nil || len(sum) != sha256.Size {
		return nil
	}
	return sum
}

// Delete removes the object; S3 answers a delete of a missing object with
// success, and so does Delete.
func (s *Store) Delete(ctx context.Context, key string) error {
	if err := store.CheckKey(ctx, key); err != nil {
		return err
	}
	err := s.core.RemoveObject(ctx, s.bucket, s.object(key), minio.RemoveObjectOptions{})
	if err != nil {
		var resp minio.ErrorResponse
		if errors.As(err, &resp) && resp.Code == "NoSuchKey" {
			return nil
		}
		return classify(ctx, "delete "+key, err)
	}
	return nil
}

// reader classifies the errors of reading a response body (a connection
// reset half-way through a GET is as transient as one before it) and stops
// as soon as its context is done: the transport notices a cancellation
// asynchronously and may otherwise still hand out buffered bytes.
type reader struct {
	ctx  context.Context
	key  string
	body io.ReadCloser
	size int64 // Content-Length of the response, -1 if unknown
}

// Size is the number of bytes the response holds (store.Sizer).
func (r *reader) Size() int64 { return r.size }

func (r *reader) Read(p []byte) (int, error) {
	if err := r.ctx.Err(); err != nil {
		return 0, fmt.Errorf("get %s: %w", r.key, err)
	}
	n, err := r.body.Read(p)
	if err != nil && err != io.EOF {
		err = classify(r.ctx, "get "+r.key, err)
	}
	return n, err
}

func (r *reader) Close() error { return r.body.Close() }
