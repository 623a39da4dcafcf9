package library

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"unicode/utf8"
)

// Locations are file: URLs (RFC 8089) whose path is percent-encoded UTF-8.
// iTunes writes three shapes:
//
//	file:///Users/u/Music/iTunes/iTunes%20Media/a.m4a    macOS (older: file://localhost/Users/...)
//	file://localhost/C:/Users/u/Music/iTunes/a.mp3        Windows drive
//	file://localhost//server/share/Music/a.mp3            Windows network share (also file://server/share/...)
//
// This package decodes them to one OS-independent form, a slash-separated
// absolute path that keeps the drive or share as written:
//
//	/Users/u/Music/iTunes/iTunes Media/a.m4a
//	C:/Users/u/Music/iTunes/a.mp3
//	//server/share/Music/a.mp3
//
// The form is the same whatever OS reads the export, so a Windows library
// can be listed, remapped and compared on Linux; NativePath turns it into a
// path for the OS the program runs on.

// DecodeLocation decodes a file: URL into the OS-independent path form
// described above. '+' is a literal plus, not a space. The host must be
// empty or "localhost", or else name the server of a network share. A query
// or fragment is dropped. Locations that are not file: URLs (streams, empty
// strings) give an error wrapping ErrNotLocal; malformed file: URLs give
// other errors.
func DecodeLocation(loc string) (string, error) {
	scheme, rest, ok := strings.Cut(loc, ":")
	if !ok || !strings.EqualFold(scheme, "file") {
		return "", fmt.Errorf("%w: %q", ErrNotLocal, abbrev(loc))
	}
	if i := strings.IndexAny(rest, "?#"); i >= 0 {
		rest = rest[:i]
	}
	var host, p string
	if after, ok := strings.CutPrefix(rest, "//"); ok {
		host, p = after, ""
		if i := strings.IndexByte(after, '/'); i >= 0 {
			host, p = after[:i], after[i:]
		}
	} else {
		p = rest
	}
	var err error
	if host, err = unescape(host); err != nil {
		return "", fmt.Errorf("decode location %q: host: %w", abbrev(loc), err)
	}
	if p, err = unescape(p); err != nil {
		return "", fmt.Errorf("decode location %q: %w", abbrev(loc), err)
	}
	if strings.EqualFold(host, "localhost") {
		host = ""
	}
	if host != "" {
		if strings.ContainsAny(host, `/\`) {
			return "", fmt.Errorf("decode location %q: bad host %q", abbrev(loc), host)
		}
		p = "//" + host + p
		if !isUNC(p) {
			return "", fmt.Errorf("decode location %q: network location without a share", abbrev(loc))
		}
		return p, nil
	}
	if !strings.HasPrefix(p, "/") {
		return "", fmt.Errorf("decode location %q: not an absolute path", abbrev(loc))
	}
	if isUNC(p) {
		return p, nil
	}
	// Extra leading slashes without a server and share ("file:////Music/")
	// mean the root, as they do on POSIX systems.
	p = "/" + strings.TrimLeft(p, "/")
	if isDrive(p[1:], true) {
		return p[1:2] + ":" + p[3:], nil // "|" was the drive colon in old URLs
	}
	return p, nil
}

// EncodeLocation is the inverse of DecodeLocation: it turns a path in the
// OS-independent form into a file: URL in the style iTunes writes,
// percent-encoding everything but RFC 3986 unreserved characters,
// sub-delimiters, ':', '@' and '/'. For every path p it accepts,
// DecodeLocation(EncodeLocation(p)) == p. It rejects relative paths, paths
// with NUL bytes or invalid UTF-8, and POSIX paths whose first component
// looks like a drive ("/C:/x"), which would decode as one.
func EncodeLocation(p string) (string, error) {
	if !utf8.ValidString(p) || strings.IndexByte(p, 0) >= 0 {
		return "", fmt.Errorf("encode location %q: invalid UTF-8 or NUL byte", abbrev(p))
	}
	switch {
	case isDrive(p, false):
		return "file://localhost/" + escapePath(p), nil
	case isUNC(p):
		return "file://localhost" + escapePath(p), nil
	case strings.HasPrefix(p, "/") && !strings.HasPrefix(p, "//") && !isDrive(p[1:], true):
		return "file://" + escapePath(p), nil
	}
	return "", fmt.Errorf("encode location %q: not an absolute path in slash form", abbrev(p))
}

// NativePath turns a path in the OS-independent form into one for the
// running OS: on Windows "C:/a/b" becomes `C:\a\b` and "//srv/share/a"
// becomes `\\srv\share\a`; elsewhere it is unchanged. A Windows path read on
// a POSIX system (or the reverse) does not name a local file until it has
// been rewritten with Remap.
func NativePath(p string) string { return filepath.FromSlash(p) }

// WindowsPath turns a path in the OS-independent form into Windows syntax
// on any OS, for display: "C:/Users/u/a.mp3" becomes `C:\Users\u\a.mp3`.
func WindowsPath(p string) string { return strings.ReplaceAll(p, "/", `\`) }

// isDrive reports whether p starts with a Windows drive, "X:" alone or
// followed by a slash. bar also accepts the "X|" spelling of old URLs.
func isDrive(p string, bar bool) bool {
	if len(p) < 2 || !isASCIILetter(p[0]) || !(p[1] == ':' || bar && p[1] == '|') {
		return false
	}
	return len(p) == 2 || p[2] == '/'
}

// isUNC reports whether p is "//server/share" or starts with it followed
// by a slash.
func isUNC(p string) bool {
	rest, ok := strings.CutPrefix(p, "//")
	if !ok {
		return false
	}
	server, after, ok := strings.Cut(rest, "/")
	if !ok || server == "" {
		return false
	}
	share, _, _ := strings.Cut(after, "/")
	return share != ""
}

func isASCIILetter(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }

// trimTrailingSlash removes trailing slashes, but not the one of a root
// ("/", "C:/").
func trimTrailingSlash(p string) string {
	for len(p) > 1 && strings.HasSuffix(p, "/") && !(len(p) == 3 && isDrive(p, false)) {
		p = p[:len(p)-1]
	}
	return p
}

var errBadEscape = errors.New("bad percent-escape")

// unescape decodes %XX escapes and checks that the result is a usable path:
// valid UTF-8 without NUL bytes. Unlike form decoding, '+' stays '+'.
func unescape(s string) (string, error) {
	if strings.IndexByte(s, '%') < 0 {
		return s, checkPath(s)
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '%' {
			if i+2 >= len(s) || !isHex(s[i+1]) || !isHex(s[i+2]) {
				return "", fmt.Errorf("%w at %q", errBadEscape, abbrev(s[i:]))
			}
			c = unhex(s[i+1])<<4 | unhex(s[i+2])
			i += 2
		}
		b = append(b, c)
	}
	return string(b), checkPath(string(b))
}

func checkPath(s string) error {
	if !utf8.ValidString(s) {
		return errors.New("path is not valid UTF-8")
	}
	if strings.IndexByte(s, 0) >= 0 {
		return errors.New("path contains a NUL byte")
	}
	return nil
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c <= 'F':
		return c - 'A' + 10
	default:
		return c - 'a' + 10
	}
}

// escapePath percent-encodes every byte but the characters RFC 3986 allows
// unescaped in a path segment, plus '/'. iTunes does the same: it escapes
// space, #, [, ] and non-ASCII bytes, and leaves &, (, ), the comma, the
// apostrophe and + alone.
func escapePath(p string) string {
	const hexDigits = "0123456789ABCDEF"
	n := 0
	for i := 0; i < len(p); i++ {
		if !pathSafe(p[i]) {
			n++
		}
	}
	if n == 0 {
		return p
	}
	b := make([]byte, 0, len(p)+2*n)
	for i := 0; i < len(p); i++ {
		c := p[i]
		if pathSafe(c) {
			b = append(b, c)
		} else {
			b = append(b, '%', hexDigits[c>>4], hexDigits[c&15])
		}
	}
	return string(b)
}

func pathSafe(c byte) bool {
	if isASCIILetter(c) || '0' <= c && c <= '9' {
		return true
	}
	return strings.IndexByte("-._~!$&'()*+,;=:@/", c) >= 0
}
