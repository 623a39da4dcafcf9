package s3store

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"syscall"

	"github.com/minio/minio-go/v7"

	"github.com/tunesafe/tunesafe/internal/store"
)

// classify turns an error of operation op (e.g. "put blobs/ab/ab12") into
// the error the store returns: a not-found error for a missing object, the
// context's error when ctx is done, and otherwise a store.Transient or
// store.Permanent error with a Kind. It decides by S3 error code, HTTP
// status and Go error type, never by message text.
func classify(ctx context.Context, op string, err error) error {
	if err == nil {
		return nil
	}
	if cerr := ctx.Err(); cerr != nil {
		// Whatever broke, the caller gave up first.
		return fmt.Errorf("%s: %w", op, cerr)
	}
	var se *store.Error
	if errors.As(err, &se) {
		return err
	}
	var ce *credError
	if errors.As(err, &ce) {
		return store.Permanent(store.KindCredentials, fmt.Errorf("%s: %w", op, ce))
	}
	var resp minio.ErrorResponse
	if errors.As(err, &resp) {
		return classifyResponse(op, resp)
	}
	return classifyNetwork(op, err)
}

// Error codes by class. AWS documents them in the S3 API reference, "Error
// responses"; the non-AWS ones are named where they come from.
var (
	codesNotFound = set("NoSuchKey", "NoSuchVersion", "NotFound")
	codesNoBucket = set("NoSuchBucket")
	codesCreds    = set(
		"InvalidAccessKeyId", "SignatureDoesNotMatch", "InvalidToken",
		"ExpiredToken", "ExpiredTokenException", "TokenRefreshRequired",
		"InvalidSecurity", "MissingSecurityHeader", "InvalidClientTokenId",
		"AuthorizationHeaderMalformed", "MissingAuthenticationToken",
		"MissingFields",      // versitygw: malformed or missing Authorization
		"XAdminUserNotFound", // versitygw: unknown access key (HTTP 404)
	)
	codesDenied = set("AccessDenied", "AllAccessDisabled", "AccountProblem", "InvalidPayer")
	// Throttled: the provider asks the client to slow down.
	codesThrottled = set(
		"SlowDown", "SlowDownWrite", "Throttling", "ThrottlingException",
		"RequestLimitExceeded", "RequestThrottled", "TooManyRequests",
	)
	// Transient: the server failed or the body was damaged on the way (a
	// new attempt resends it). MinIO's SlowDownRead, despite its name,
	// means it could not read the object from enough disks.
	codesTransient = set(
		"SlowDownRead", "InternalError", "ServiceUnavailable",
		"RequestTimeout", "OperationAborted", "ConditionalRequestConflict",
		"BadDigest", "XAmzContentSHA256Mismatch", "XAmzContentChecksumMismatch",
		"IncompleteBody",
		"XMinioServerNotInitialized",
	)
	codesFull = set("XMinioStorageFull", "QuotaExceeded", "XMinioAdminBucketQuotaExceeded")
	// Permanent despite a 409 or 5xx status.
	codesInvalid = set(
		"ObjectParentIsFile", "ExistingObjectIsDirectory", // versitygw posix
		"XMinioParentIsObject", "XMinioObjectExistsAsDirectory", // MinIO
		"NotImplemented",
		"BucketAlreadyExists", "EntityTooLarge",
	)
	// Region: the request was signed for another region than the
	// bucket's. AuthorizationHeaderMalformed also stands for a malformed
	// Authorization header; it is a region error only when the answer
	// names a region (AWS's <Region>, MinIO's x-amz-bucket-region).
	codesRegion = set("AuthorizationHeaderMalformed", "InvalidRegion", "IllegalLocationConstraintException")
	codesClock  = set("RequestTimeTooSkewed")
)

// RegionError is the cause of a store.KindRegion error: the server keeps
// the bucket in region Want ("" when it did not say which).
type RegionError struct {
	Want string
}

func (e *RegionError) Error() string {
	if e.Want == "" {
		return "the bucket is in another region than the requests were signed for (AWS_REGION)"
	}
	return fmt.Sprintf("the bucket is in region %s, not the one the requests were signed for (AWS_REGION)", e.Want)
}

func classifyResponse(op string, resp minio.ErrorResponse) error {
	code, status := resp.Code, resp.StatusCode
	err := fmt.Errorf("%s: %w (S3 %s, HTTP %d)", op, resp, code, status)
	switch {
	case codesNotFound[code]:
		return fmt.Errorf("%s: %w", op, fs.ErrNotExist)
	case codesNoBucket[code]:
		return store.Permanent(store.KindNoBucket, fmt.Errorf("%s: the bucket does not exist (S3 %s, HTTP %d)", op, code, status))
	case codesRegion[code] && (resp.Region != "" || code != "AuthorizationHeaderMalformed"):
		return store.Permanent(store.KindRegion, fmt.Errorf("%s: %w (S3 %s, HTTP %d)", op, &RegionError{Want: resp.Region}, code, status))
	case codesClock[code]:
		return store.Permanent(store.KindClock, fmt.Errorf("%s: the server refused the request for its time: this computer's clock is more than a few minutes off the server's (S3 %s, HTTP %d)", op, code, status))
	case codesCreds[code]:
		return store.Permanent(store.KindCredentials, err)
	case codesDenied[code]:
		if strings.HasPrefix(op, "put ") || strings.HasPrefix(op, "delete ") {
			// Reading worked, or this would not be the first refusal.
			err = fmt.Errorf("%s: %w (S3 %s, HTTP %d: the key may not write to this bucket)", op, resp, code, status)
		}
		return store.Permanent(store.KindAccessDenied, err)
	case codesInvalid[code]:
		return store.Permanent(store.KindInvalid, err)
	case codesFull[code]:
		return store.Permanent(store.KindDiskFull, err)
	case codesThrottled[code], status == http.StatusTooManyRequests:
		return store.Transient(store.KindThrottled, err)
	case codesTransient[code], status >= 500, status == http.StatusRequestTimeout:
		return store.Transient(store.KindServer, err)
	case status == http.StatusForbidden:
		return store.Permanent(store.KindAccessDenied, err)
	}
	// Other 4xx answers (a 404 only means a missing object with one of
	// the codes above), and minio-go's own refusals before any request
	// (status 0), are requests that will not succeed as they are.
	return store.Permanent(store.KindInvalid, err)
}

// classifyNetwork classifies an error below HTTP: DNS, TCP, TLS. Its
// message is the operation and what went wrong (netReason), without the
// request's URL, which names the bucket's listing query or an object's
// key a second time.
func classifyNetwork(op string, err error) error {
	werr := &netError{msg: op + ": " + netReason(err), err: err}

	var (
		unknownCA   x509.UnknownAuthorityError
		hostErr     x509.HostnameError
		invalidCert x509.CertificateInvalidError
		verifyErr   *tls.CertificateVerificationError
		recordErr   tls.RecordHeaderError
	)
	switch {
	case errors.As(err, &unknownCA), errors.As(err, &hostErr), errors.As(err, &invalidCert), errors.As(err, &verifyErr):
		return store.Permanent(store.KindTLS, fmt.Errorf("%w (TLS: the server's certificate is not trusted; AWS_CA_BUNDLE names extra CAs)", werr))
	case errors.As(err, &recordErr), errors.Is(err, http.ErrSchemeMismatch):
		return store.Permanent(store.KindTLS, fmt.Errorf("%w (the endpoint does not speak TLS; use an http:// endpoint)", werr))
	}

	var dnsErr *net.DNSError
	switch {
	case errors.As(err, &dnsErr):
		// "no such host" may be a typo, but it is also what a laptop
		// without network gets; only a retry tells them apart.
		return store.Transient(store.KindUnreachable, werr)
	case errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET),
		errors.Is(err, syscall.ECONNABORTED), errors.Is(err, syscall.EPIPE),
		errors.Is(err, syscall.ETIMEDOUT), errors.Is(err, syscall.EHOSTUNREACH),
		errors.Is(err, syscall.ENETUNREACH), errors.Is(err, syscall.ENETDOWN),
		errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF),
		errors.Is(err, context.DeadlineExceeded): // a transport timeout, not the caller's
		return store.Transient(store.KindUnreachable, werr)
	}
	var netErr net.Error
	if errors.As(err, &netErr) && netErr.Timeout() {
		return store.Transient(store.KindUnreachable, werr)
	}
	var opErr *net.OpError
	var urlErr *url.Error
	if errors.As(err, &opErr) || errors.As(err, &urlErr) {
		// The request did not get an HTTP answer.
		return store.Transient(store.KindUnreachable, werr)
	}
	// Not from the network or the server. Keep the message but cut the
	// chain, so that an fs.ErrNotExist deep inside (a missing CA file, say)
	// cannot pass for a missing object.
	return store.Permanent("", fmt.Errorf("%s: %v", op, err))
}

// netError is an error below HTTP with a message of its own; it unwraps
// to the error it stands for, so that its type and causes are kept.
type netError struct {
	msg string
	err error
}

func (e *netError) Error() string { return e.msg }
func (e *netError) Unwrap() error { return e.err }

// netReason says what went wrong below HTTP in words: "cannot connect to
// 127.0.0.1:9000: connection refused", "cannot find the host s3.example
// (no such host)", rather than Go's 'Get "http://…?list-type=2…": dial
// tcp …' chain.
func netReason(err error) string {
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		return fmt.Sprintf("cannot find the host %s (%s)", dnsErr.Name, dnsErr.Err)
	}
	var opErr *net.OpError
	if errors.As(err, &opErr) && opErr.Op == "dial" {
		addr := ""
		if opErr.Addr != nil {
			addr = " " + opErr.Addr.String()
		}
		why := opErr.Err
		var sysErr *os.SyscallError
		if errors.As(why, &sysErr) {
			why = sysErr.Err
		}
		return fmt.Sprintf("cannot connect to%s: %v", addr, why)
	}
	var urlErr *url.Error
	if errors.As(err, &urlErr) {
		return urlErr.Err.Error()
	}
	return err.Error()
}

func set(codes ...string) map[string]bool {
	m := make(map[string]bool, len(codes))
	for _, c := range codes {
		m[c] = true
	}
	return m
}
