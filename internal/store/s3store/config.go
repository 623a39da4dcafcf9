package s3store

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/tunesafe/tunesafe/internal/store"
)

// Config says where a vault lives in S3 and how to reach it. ConfigFromEnv
// fills one from a vault URL and the standard AWS environment.
type Config struct {
	// Bucket holds the vault. Required.
	Bucket string
	// Prefix is prepended, with a '/', to every key, so that several
	// vaults can share a bucket. Empty means the bucket's root.
	Prefix string
	// Endpoint is the server: "host", "host:port" or a URL
	// "http://host:port" / "https://host". Empty means AWS S3 in Region.
	Endpoint string
	// Region is the bucket's region. Empty means "us-east-1" for a non-AWS
	// endpoint and a bucket-location lookup on AWS.
	Region string
	// PathStyle chooses between path-style (https://host/bucket/key) and
	// virtual-hosted-style (https://bucket.host/key) requests.
	PathStyle PathStyle
	// Insecure sends requests over plain HTTP when Endpoint has no scheme.
	// A scheme in Endpoint wins.
	Insecure bool
	// Credentials sign the requests. Required; see ConfigFromEnv for the
	// AWS chain of environment and shared files.
	Credentials *credentials.Credentials
	// CABundle is a PEM file of certificates trusted for TLS in addition
	// to the system's (AWS_CA_BUNDLE), for servers with a private CA or a
	// self-signed certificate.
	CABundle string
	// WrapTransport, when set, wraps the HTTP transport the client sends
	// its requests through: bandwidth limits, or a fault relay in tests.
	WrapTransport func(http.RoundTripper) http.RoundTripper
	// ObjectLock, when its Period is not zero, gives every object a Put
	// writes an Object Lock retention (see lock.go). The bucket must have
	// Object Lock enabled.
	ObjectLock ObjectLock
}

// PathStyle is the bucket addressing of requests.
type PathStyle int

const (
	// PathStyleAuto uses virtual-hosted style on AWS (and the few other
	// providers that require it) and path style everywhere else: IP
	// addresses, localhost and self-hosted servers.
	PathStyleAuto PathStyle = iota
	// PathStyleOn always puts the bucket in the path.
	PathStyleOn
	// PathStyleOff always puts the bucket in the host name.
	PathStyleOff
)

func (p PathStyle) lookup() minio.BucketLookupType {
	switch p {
	case PathStyleOn:
		return minio.BucketLookupPath
	case PathStyleOff:
		return minio.BucketLookupDNS
	}
	return minio.BucketLookupAuto
}

// endpoint returns the host[:port] to connect to and whether to use TLS.
func (c *Config) endpoint() (host string, secure bool, err error) {
	e := strings.TrimSpace(c.Endpoint)
	if e == "" {
		if c.Region == "" {
			return "s3.amazonaws.com", true, nil
		}
		return "s3." + c.Region + ".amazonaws.com", true, nil
	}
	secure = !c.Insecure
	if strings.Contains(e, "://") {
		u, err := url.Parse(e)
		if err != nil {
			return "", false, fmt.Errorf("endpoint %q: %w", e, err)
		}
		switch u.Scheme {
		case "https":
			secure = true
		case "http":
			secure = false
		default:
			return "", false, fmt.Errorf("endpoint %q: scheme must be http or https", e)
		}
		if u.Path != "" && u.Path != "/" {
			return "", false, fmt.Errorf("endpoint %q: a path is not supported; put the bucket and prefix in the vault URL", e)
		}
		e = u.Host
	}
	if e == "" || strings.ContainsAny(e, "/ ") {
		return "", false, fmt.Errorf("endpoint %q: want host, host:port or a URL", c.Endpoint)
	}
	return e, secure, nil
}

// isAWS reports whether host is an AWS S3 endpoint.
func isAWS(host string) bool {
	h := host
	if hh, _, err := net.SplitHostPort(host); err == nil {
		h = hh
	}
	return strings.HasSuffix(h, ".amazonaws.com") || strings.HasSuffix(h, ".amazonaws.com.cn")
}

// maxIdlePerHost is how many idle connections to the server are kept for
// reuse. A restore has dozens of requests in flight (files in parallel,
// blobs fetched ahead); with minio's default of 16, the rest would open a
// new connection for every blob.
const maxIdlePerHost = 64

// transport returns the HTTP transport for the client: minio's defaults,
// with more idle connections kept and the CA bundle added to the trusted
// roots.
func (c *Config) transport(secure bool) (*http.Transport, error) {
	tr, err := minio.DefaultTransport(secure)
	if err != nil {
		return nil, err
	}
	tr.MaxIdleConnsPerHost = maxIdlePerHost
	if c.CABundle == "" {
		return tr, nil
	}
	pem, err := os.ReadFile(c.CABundle)
	if err != nil {
		return nil, store.Permanent(store.KindInvalid, fmt.Errorf("CA bundle: %w", err))
	}
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool()
	}
	if !pool.AppendCertsFromPEM(pem) {
		return nil, store.Permanent(store.KindInvalid, fmt.Errorf("CA bundle %s: no PEM certificates in it", c.CABundle))
	}
	if tr.TLSClientConfig == nil {
		tr.TLSClientConfig = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	tr.TLSClientConfig.RootCAs = pool
	return tr, nil
}

// keyPrefix returns the cleaned prefix with a trailing '/', or "".
func (c *Config) keyPrefix() (string, error) {
	p := strings.Trim(c.Prefix, "/")
	if p == "" {
		return "", nil
	}
	if !store.ValidKey(p) {
		return "", fmt.Errorf("prefix %q: want slash-separated segments of printable ASCII", c.Prefix)
	}
	return p + "/", nil
}
