package s3store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/minio/minio-go/v7"

	"github.com/tunesafe/tunesafe/internal/store"
)

// Reading and extending the Object Lock retention of one object, for the
// pass that keeps the objects a vault still needs locked (package retain).
// Both act on the object's current version, the one a Get reads.

// Retention returns the Object Lock retention of the object under key: its
// mode (GOVERNANCE or COMPLIANCE) and the date it is retained until, or ""
// and the zero time when it has none. A missing object, or one hidden
// behind a delete marker, is an error for which errors.Is(err,
// fs.ErrNotExist) holds.
//
// It asks with a HEAD, whose x-amz-object-lock-* headers every server
// tested sends (AWS only to callers allowed s3:GetObjectRetention), and
// only when those are absent with GetObjectRetention, which tells "no
// retention" (NoSuchObjectLockConfiguration) from "not allowed to see it"
// (AccessDenied). GetObjectRetention is not the first choice because
// versitygw answers it with a document minio-go cannot parse.
func (s *Store) Retention(ctx context.Context, key string) (mode string, until time.Time, err error) {
	if err := store.CheckKey(ctx, key); err != nil {
		return "", time.Time{}, err
	}
	op := "get the retention of " + key
	oi, err := s.client.StatObject(ctx, s.bucket, s.object(key), minio.StatObjectOptions{})
	if err != nil {
		return "", time.Time{}, classify(ctx, op, err)
	}
	if m := oi.Metadata.Get("X-Amz-Object-Lock-Mode"); m != "" {
		u, err := time.Parse(time.RFC3339, oi.Metadata.Get("X-Amz-Object-Lock-Retain-Until-Date"))
		if err != nil {
			return "", time.Time{}, store.Permanent(store.KindServer, fmt.Errorf("%s: the server sent an unreadable retain-until date: %w", op, err))
		}
		return m, u.UTC(), nil
	}
	rm, ru, err := s.client.GetObjectRetention(ctx, s.bucket, s.object(key), "")
	if err != nil {
		var resp minio.ErrorResponse
		if errors.As(err, &resp) && resp.Code == "NoSuchObjectLockConfiguration" {
			return "", time.Time{}, nil
		}
		return "", time.Time{}, classify(ctx, op, err)
	}
	if rm == nil || ru == nil || *rm == "" {
		return "", time.Time{}, nil
	}
	return string(*rm), ru.UTC(), nil
}

// ExtendRetention sets the retention of the object under key to mode until
// the given date, with PutObjectRetention. It never sends the governance
// bypass, so it cannot shorten a retention or weaken its mode: S3 refuses
// that (permanently, as access denied) in both modes. Callers pass the
// object's current mode, and a date later than its current one.
func (s *Store) ExtendRetention(ctx context.Context, key, mode string, until time.Time) error {
	if err := store.CheckKey(ctx, key); err != nil {
		return err
	}
	op := "extend the retention of " + key
	m := minio.RetentionMode(mode)
	if !m.IsValid() {
		return store.Permanent(store.KindInvalid, fmt.Errorf("%s: mode %q, want %s or %s", op, mode, Governance, Compliance))
	}
	if until.IsZero() {
		return store.Permanent(store.KindInvalid, fmt.Errorf("%s: no date", op))
	}
	u := until.UTC()
	err := s.client.PutObjectRetention(ctx, s.bucket, s.object(key), minio.PutObjectRetentionOptions{Mode: &m, RetainUntilDate: &u})
	if err != nil {
		return classify(ctx, op, err)
	}
	return nil
}
