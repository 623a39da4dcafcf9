package s3store

import (
	"context"
	"crypto/md5"
	"encoding/base64"
	"errors"
	"fmt"
	"time"

	"github.com/minio/minio-go/v7"

	"github.com/tunesafe/tunesafe/internal/store"
)

// Object Lock. A bucket created with Object Lock enabled (which also turns
// on versioning) keeps every version of an object written with a retention
// date until that date: a DELETE of the version is refused (403 on AWS and
// versitygw, 400 on MinIO) for everyone in COMPLIANCE mode, and for everyone
// without the s3:BypassGovernanceRetention permission in GOVERNANCE mode. A
// DELETE without a version ID still succeeds, but only hides the object
// behind a delete marker: the locked version stays, readable by version ID,
// until its retention ends and something (a lifecycle rule for noncurrent
// versions) removes it.

// LockMode is an Object Lock retention mode.
type LockMode string

// The retention modes of S3 Object Lock.
const (
	Governance LockMode = "GOVERNANCE"
	Compliance LockMode = "COMPLIANCE"
)

// ObjectLock is the retention a store gives every object it puts: Mode
// until Period after the upload. The zero value locks nothing.
type ObjectLock struct {
	Mode   LockMode
	Period time.Duration
}

// Enabled reports whether l locks anything.
func (l ObjectLock) Enabled() bool { return l.Period > 0 }

func (l ObjectLock) validate() error {
	if l.Period < 0 {
		return fmt.Errorf("object lock: negative period %v", l.Period)
	}
	if l.Period > 0 && l.Mode != Governance && l.Mode != Compliance {
		return fmt.Errorf("object lock: mode %q, want %s or %s", l.Mode, Governance, Compliance)
	}
	return nil
}

// RetainUntil is the retention date of an object put at t under a lock of
// the given period: t + period, rounded up to a whole second (S3 dates have
// no fractions) and in UTC.
func RetainUntil(t time.Time, period time.Duration) time.Time {
	u := t.Add(period).UTC()
	if r := u.Truncate(time.Second); !r.Equal(u) {
		u = r.Add(time.Second)
	}
	return u
}

// apply adds the retention headers of l to opts and returns the
// Content-MD5 to send with the object, or "" when l locks nothing. S3
// requires an integrity header on every PUT with a retention; the store
// always sends x-amz-checksum-sha256, which AWS accepts, but some
// S3-compatible providers insist on Content-MD5, so a locked PUT carries
// both.
func (l ObjectLock) apply(opts *minio.PutObjectOptions, data []byte) string {
	if !l.Enabled() {
		return ""
	}
	opts.Mode = minio.RetentionMode(l.Mode)
	opts.RetainUntilDate = RetainUntil(time.Now(), l.Period)
	sum := md5.Sum(data)
	return base64.StdEncoding.EncodeToString(sum[:])
}

// WithObjectLock returns a store over the same bucket, prefix and
// connection whose Puts give every object the retention l. A vault records
// its lock policy in tunesafe.json, which can only be read once the store
// is open: this is how the policy is applied afterwards.
func (s *Store) WithObjectLock(l ObjectLock) (*Store, error) {
	if err := l.validate(); err != nil {
		return nil, store.Permanent(store.KindInvalid, err)
	}
	c := *s
	c.lock = l
	return &c, nil
}

// ObjectLock returns the retention the store's Puts apply.
func (s *Store) ObjectLock() ObjectLock { return s.lock }

// ObjectLockEnabled reports whether the bucket has Object Lock enabled
// (GetObjectLockConfiguration). Object Lock can only be turned on when a
// bucket is created (AWS also allows it later, which enables versioning).
func (s *Store) ObjectLockEnabled(ctx context.Context) (bool, error) {
	status, _, _, _, err := s.client.GetObjectLockConfig(ctx, s.bucket)
	if err != nil {
		var resp minio.ErrorResponse
		if errors.As(err, &resp) && resp.Code == "ObjectLockConfigurationNotFoundError" {
			return false, nil
		}
		return false, classify(ctx, "get the object lock configuration of bucket "+s.bucket, err)
	}
	return status == "Enabled", nil
}
