// Package s3store keeps a vault's objects in an S3 bucket: AWS S3 or any
// server that speaks its API (versitygw, MinIO, Ceph RGW, Garage, Backblaze
// B2, Cloudflare R2 …), through github.com/minio/minio-go/v7.
//
// Key k of a store with prefix p is the S3 object "p/k". A vault URL
// s3://bucket/prefix names both; ConfigFromEnv reads the rest (credentials,
// region, endpoint, CA bundle) from the standard AWS environment variables
// and files, so a user's existing AWS setup works unchanged.
//
// Integrity. Every Put is a single PUT request that carries the SHA-256 of
// the object as x-amz-checksum-sha256, a signed header, which the server
// checks against the bytes it received and keeps with the object. A body
// damaged on the way is refused (BadDigest) instead of stored. The first
// PUTs also send the SHA-256 as the signed payload hash
// (x-amz-content-sha256), which every SigV4 server checks, because a server
// that does not know the checksum header ignores it. Once a server has
// answered a PUT with the checksum it was sent, proof that it handles
// them, the store sends UNSIGNED-PAYLOAD instead: the signed checksum
// header binds the body to the signature just as well, and the server is
// spared hashing every byte a second time (a third of a self-hosted
// server's CPU for a backup, measured on MinIO). Stat asks for
// the kept checksum (x-amz-checksum-mode: ENABLED) and reports it in
// store.Info.SHA256, so an audit can compare it with the content ID without
// downloading the object. The checksum is sent as a plain header rather
// than as minio-go's trailing checksum, which versitygw rejects over plain
// HTTP with a signed streaming body.
//
// Errors. Every error from the server or the network is classified here,
// once (classify.go): bad credentials, access denied, a missing bucket and
// invalid requests are permanent; refused or reset connections, DNS
// failures, timeouts, 5xx answers and throttling are transient. The store
// itself does not retry (minio-go's retries are off): the retry decorator
// above it decides, by class.
package s3store

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
	"github.com/minio/minio-go/v7/pkg/s3utils"

	"github.com/tunesafe/tunesafe/internal/store"
)

// Store is a store.Store over one bucket and prefix.
type Store struct {
	client *minio.Client
	core   minio.Core
	bucket string
	prefix string // "" or ending in '/'
	region string
	name   string
	lock   ObjectLock
	// endpoint is the server's host[:port], lowercased; "" for AWS's
	// default endpoint (see Endpoint).
	endpoint string

	// checksumsChecked is set once the server has echoed an
	// x-amz-checksum-sha256 (see the package comment). Stores made by
	// WithObjectLock share it: it is a fact about the server.
	checksumsChecked *atomic.Bool
}

var _ store.Store = (*Store)(nil)

// New returns a store for cfg. It contacts no S3 server (CheckBucket does),
// but gets the credentials once, under ctx, and fails with a
// store.KindCredentials error when there are none.
func New(ctx context.Context, cfg Config) (*Store, error) {
	if cfg.Bucket == "" {
		return nil, store.Permanent(store.KindInvalid, errors.New("s3: no bucket given"))
	}
	if err := s3utils.CheckValidBucketName(cfg.Bucket); err != nil {
		return nil, store.Permanent(store.KindInvalid, fmt.Errorf("s3: bucket %q: %w", cfg.Bucket, err))
	}
	prefix, err := cfg.keyPrefix()
	if err != nil {
		return nil, store.Permanent(store.KindInvalid, fmt.Errorf("s3: %w", err))
	}
	host, secure, err := cfg.endpoint()
	if err != nil {
		return nil, store.Permanent(store.KindInvalid, fmt.Errorf("s3: %w", err))
	}
	if err := cfg.ObjectLock.validate(); err != nil {
		return nil, store.Permanent(store.KindInvalid, fmt.Errorf("s3: %w", err))
	}
	if cfg.Credentials == nil {
		return nil, store.Permanent(store.KindCredentials, errors.New("s3: no credentials given"))
	}
	v, err := cfg.Credentials.GetWithContext(&credentials.CredContext{Context: ctx})
	if err != nil {
		return nil, store.Permanent(store.KindCredentials, fmt.Errorf("s3: reading credentials: %w", err))
	}
	if v.AccessKeyID == "" || v.SecretAccessKey == "" {
		return nil, store.Permanent(store.KindCredentials, errors.New("s3: the credentials have no access key and secret key"))
	}
	endpoint := ""
	if strings.TrimSpace(cfg.Endpoint) != "" {
		endpoint = strings.ToLower(host)
	}
	region := cfg.Region
	if region == "" && !isAWS(host) {
		region = "us-east-1"
	}
	tr, err := cfg.transport(secure)
	if err != nil {
		return nil, err
	}
	var rt http.RoundTripper = tr
	if cfg.WrapTransport != nil {
		rt = cfg.WrapTransport(tr)
	}
	client, err := minio.New(host, &minio.Options{
		Creds:        credentials.New(&credProvider{creds: cfg.Credentials}),
		Secure:       secure,
		Transport:    rt,
		Region:       region,
		BucketLookup: cfg.PathStyle.lookup(),
		// One attempt per call: retrying is the retry decorator's job,
		// and it needs to see each failure to back off and report.
		MaxRetries: 1,
	})
	if err != nil {
		return nil, store.Permanent(store.KindInvalid, fmt.Errorf("s3: %w", err))
	}
	return &Store{
		client: client,
		core:   minio.Core{Client: client},
		bucket: cfg.Bucket,
		prefix: prefix,
		region: region,
		name:   "s3://" + cfg.Bucket + "/" + prefix,
		lock:   cfg.ObjectLock,

		endpoint:         endpoint,
		checksumsChecked: new(atomic.Bool),
	}, nil
}

// String returns the vault URL, "s3://bucket/prefix/".
func (s *Store) String() string { return s.name }

// Endpoint returns the host[:port] of the server the store talks to,
// lowercased, or "" when the configuration named no endpoint: AWS S3, where
// a bucket name means the same bucket in every region. With String it names
// where the objects are, for state kept per location.
func (s *Store) Endpoint() string { return s.endpoint }

// object returns the S3 object name of key.
func (s *Store) object(key string) string { return s.prefix + key }

// CheckBucket makes one cheap request (a listing of at most one object) and
// returns a classified error when the bucket is missing
// (store.KindNoBucket), the credentials are wrong (store.KindCredentials),
// access is denied or the server is unreachable.
func (s *Store) CheckBucket(ctx context.Context) error {
	for obj := range s.client.ListObjectsIter(ctx, s.bucket, minio.ListObjectsOptions{
		Prefix: s.prefix, Recursive: true, MaxKeys: 1, FetchOwner: new(false),
	}) {
		if obj.Err != nil {
			return classify(ctx, fmt.Sprintf("check bucket %s", s.bucket), obj.Err)
		}
		break
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("check bucket %s: %w", s.bucket, err)
	}
	return nil
}

// MakeBucket creates the bucket in the store's region; a bucket that exists
// and is ours already is fine.
func (s *Store) MakeBucket(ctx context.Context) error {
	err := s.client.MakeBucket(ctx, s.bucket, minio.MakeBucketOptions{Region: s.region})
	if err == nil {
		return nil
	}
	var resp minio.ErrorResponse
	if errors.As(err, &resp) && resp.Code == "BucketAlreadyOwnedByYou" {
		return nil
	}
	return classify(ctx, fmt.Sprintf("make bucket %s", s.bucket), err)
}

// credProvider passes credentials through, marking the errors of getting
// them so that classify can tell "cannot read ~/.aws/credentials" (a
// credentials problem) from "no such key" (a missing object).
type credProvider struct {
	creds *credentials.Credentials
}

type credError struct{ err error }

func (e *credError) Error() string { return "getting S3 credentials: " + e.err.Error() }

func (p *credProvider) RetrieveWithCredContext(cc *credentials.CredContext) (credentials.Value, error) {
	v, err := p.creds.GetWithContext(cc)
	if err != nil {
		return v, &credError{err}
	}
	return v, nil
}

func (p *credProvider) Retrieve() (credentials.Value, error) {
	return p.RetrieveWithCredContext(&credentials.CredContext{})
}

func (p *credProvider) IsExpired() bool { return p.creds.IsExpired() }

// Enclosing returns the stores of the prefixes that contain this one, the
// nearest first, down to the bucket itself: s3://b/x/y/ is within
// s3://b/x/ and s3://b/. They share the client and its credentials. A
// store at the bucket's root has none.
func (s *Store) Enclosing() []*Store {
	var out []*Store
	p := strings.TrimSuffix(s.prefix, "/")
	for p != "" {
		i := strings.LastIndexByte(p, '/')
		if i < 0 {
			p = ""
		} else {
			p = p[:i]
		}
		c := *s
		c.prefix = ""
		if p != "" {
			c.prefix = p + "/"
		}
		c.name = "s3://" + s.bucket + "/" + c.prefix
		out = append(out, &c)
	}
	return out
}
