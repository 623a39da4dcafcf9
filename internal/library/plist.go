package library

import (
	"bufio"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"
)

// This file is a pull decoder for Apple's XML property list format, just
// large enough for library exports. It walks the encoding/xml token stream
// once: dictionaries and arrays are visited with callbacks, scalars are
// decoded on request, and values nobody asks for are skipped without being
// built. Memory is therefore proportional to what the caller keeps, and
// every step is linear in the input.

// maxDepth bounds the nesting of dictionaries and arrays. A library export
// nests five deep; the bound only stops hostile input from growing the
// decoder's stack without limit.
const maxDepth = 64

// kind is the type of a plist value, named after its XML element.
type kind uint8

const (
	kindInvalid kind = iota
	kindDict
	kindArray
	kindString
	kindInteger
	kindReal
	kindDate
	kindData
	kindTrue
	kindFalse
	kindKey // not a value: the key element inside a dict
)

var kindNames = [...]string{"", "dict", "array", "string", "integer", "real", "date", "data", "true", "false", "key"}

func (k kind) String() string { return "<" + kindNames[k] + ">" }

func kindOf(name string) kind {
	for k, n := range kindNames {
		if k != 0 && n == name {
			return kind(k)
		}
	}
	return kindInvalid
}

// elem is the start of a value that the decoder has read but not yet
// consumed. seq identifies it, so that a container can tell whether its
// callback consumed the value or left it to be skipped.
type elem struct {
	kind      kind
	line, col int
	seq       uint64
}

// errReader remembers the reader's own errors, so that I/O failures can be
// told apart from syntax errors reported by encoding/xml.
type errReader struct {
	r   io.Reader
	err error
}

func (e *errReader) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	if err != nil && err != io.EOF {
		e.err = err
	}
	return n, err
}

type decoder struct {
	x        *xml.Decoder
	src      *errReader
	depth    int
	seq      uint64
	consumed uint64 // seq of the last value fully read
}

// newDecoder reads XML from br, which buffers src.
func newDecoder(br *bufio.Reader, src *errReader) *decoder {
	x := xml.NewDecoder(br) // br is an io.ByteReader, so no second buffer
	x.Strict = true
	return &decoder{x: x, src: src}
}

// errorf returns a FormatError at the given position.
func errorf(line, col int, format string, args ...any) error {
	return &FormatError{Line: line, Column: col, Msg: fmt.Sprintf(format, args...)}
}

// token returns the next XML token, turning encoding/xml's errors into
// FormatErrors and the reader's errors into wrapped I/O errors. It uses
// RawToken, which on library exports is markedly faster than Token and
// allocates a third less because it keeps no element stack; the decoder
// checks end tags itself (see closes), since it always knows which element
// it is in.
func (d *decoder) token() (xml.Token, error) {
	t, err := d.x.RawToken()
	if err != nil {
		return nil, d.classify(err)
	}
	return t, nil
}

// classify turns an error from the XML decoder into a FormatError, unless
// the reader failed: then whatever the decoder made of the short input,
// the reader's error is the one to report.
func (d *decoder) classify(err error) error {
	if d.src.err != nil {
		return fmt.Errorf("read library: %w", d.src.err)
	}
	line, col := d.x.InputPos()
	if err == io.EOF {
		return errorf(line, col, "unexpected end of input")
	}
	var se *xml.SyntaxError
	if errors.As(err, &se) {
		fe := &FormatError{Line: se.Line, Msg: "malformed XML: " + se.Msg}
		if line == se.Line {
			fe.Column = col
		}
		return fe
	}
	return errorf(line, col, "malformed XML: %v", err)
}

// next returns the next element inside the container element named
// parent, skipping comments, processing instructions and whitespace. end
// reports the container's end tag instead.
func (d *decoder) next(parent string) (e elem, end bool, err error) {
	for {
		line, col := d.x.InputPos()
		t, err := d.token()
		if err != nil {
			return elem{}, false, err
		}
		switch t := t.(type) {
		case xml.StartElement:
			k := kindOf(t.Name.Local)
			if k == kindInvalid || t.Name.Space != "" {
				return elem{}, false, errorf(line, col, "unknown element <%s>", t.Name.Local)
			}
			d.seq++
			return elem{kind: k, line: line, col: col, seq: d.seq}, false, nil
		case xml.EndElement:
			if err := closes(t, parent, line, col); err != nil {
				return elem{}, false, err
			}
			return elem{}, true, nil
		case xml.CharData:
			if !isSpace(t) {
				return elem{}, false, errorf(line, col, "unexpected text %q between elements", abbrev(string(t)))
			}
		default:
			// Comments, processing instructions and directives carry
			// nothing a library uses.
		}
	}
}

// text reads the character data of a scalar element up to its end tag.
func (d *decoder) text(e elem) (string, error) {
	var s string
	var b *strings.Builder
	for {
		line, col := d.x.InputPos()
		t, err := d.token()
		if err != nil {
			return "", err
		}
		switch t := t.(type) {
		case xml.CharData:
			// The common case is a single run of text; only text broken by
			// a comment needs a builder.
			switch {
			case b != nil:
				b.Write(t)
			case s == "":
				s = string(t)
			default:
				b = new(strings.Builder)
				b.WriteString(s)
				b.Write(t)
			}
		case xml.StartElement:
			return "", errorf(line, col, "unexpected element <%s> inside %s", t.Name.Local, e.kind)
		case xml.EndElement:
			if err := closes(t, kindNames[e.kind], line, col); err != nil {
				return "", err
			}
			d.consumed = e.seq
			if b != nil {
				return b.String(), nil
			}
			return s, nil
		}
	}
}

// dict calls fn for each key of the dictionary e. fn receives the value's
// start and may read it with one of the decoder's methods; a value fn
// leaves unread is skipped.
func (d *decoder) dict(e elem, fn func(key string, v elem) error) error {
	if e.kind != kindDict {
		return d.mismatch(e, kindDict)
	}
	if err := d.enter(e); err != nil {
		return err
	}
	for {
		k, end, err := d.next("dict")
		if err != nil {
			return err
		}
		if end {
			d.depth--
			d.consumed = e.seq
			return nil
		}
		if k.kind != kindKey {
			return errorf(k.line, k.col, "dictionary has %s where a <key> belongs", k.kind)
		}
		key, err := d.text(k)
		if err != nil {
			return err
		}
		v, end, err := d.next("dict")
		if err != nil {
			return within(err, key)
		}
		if end || v.kind == kindKey {
			return errorf(k.line, k.col, "key %q has no value", abbrev(key))
		}
		if err := fn(key, v); err != nil {
			return within(err, key)
		}
		if d.consumed != v.seq {
			if err := d.skip(v); err != nil {
				return within(err, key)
			}
		}
	}
}

// array calls fn for each element of the array e, with the same contract
// as dict.
func (d *decoder) array(e elem, fn func(i int, v elem) error) error {
	if e.kind != kindArray {
		return d.mismatch(e, kindArray)
	}
	if err := d.enter(e); err != nil {
		return err
	}
	for i := 0; ; i++ {
		v, end, err := d.next("array")
		if err != nil {
			return err
		}
		if end {
			d.depth--
			d.consumed = e.seq
			return nil
		}
		if v.kind == kindKey {
			return errorf(v.line, v.col, "<key> outside a dictionary")
		}
		if err := fn(i, v); err != nil {
			return within(err, strconv.Itoa(i))
		}
		if d.consumed != v.seq {
			if err := d.skip(v); err != nil {
				return within(err, strconv.Itoa(i))
			}
		}
	}
}

// closes checks that an end tag closes the element named name.
func closes(t xml.EndElement, name string, line, col int) error {
	if t.Name.Local != name || t.Name.Space != "" {
		return errorf(line, col, "malformed XML: element <%s> closed by </%s>", name, qualified(t.Name))
	}
	return nil
}

func qualified(n xml.Name) string {
	if n.Space != "" {
		return n.Space + ":" + n.Local
	}
	return n.Local
}

func (d *decoder) enter(e elem) error {
	if d.depth >= maxDepth {
		return errorf(e.line, e.col, "nesting deeper than %d levels", maxDepth)
	}
	d.depth++
	return nil
}

// skip reads past a value of any kind without keeping it.
func (d *decoder) skip(e elem) error {
	switch e.kind {
	case kindDict:
		return d.dict(e, func(string, elem) error { return nil })
	case kindArray:
		return d.array(e, func(int, elem) error { return nil })
	case kindTrue, kindFalse:
		_, err := d.boolean(e)
		return err
	default:
		_, err := d.text(e)
		return err
	}
}

func (d *decoder) mismatch(e elem, want kind) error {
	return errorf(e.line, e.col, "want %s, found %s", want, e.kind)
}

func (d *decoder) str(e elem) (string, error) {
	if e.kind != kindString {
		return "", d.mismatch(e, kindString)
	}
	return d.text(e)
}

func (d *decoder) boolean(e elem) (bool, error) {
	if e.kind != kindTrue && e.kind != kindFalse {
		return false, d.mismatch(e, kindTrue)
	}
	s, err := d.text(e)
	if err != nil {
		return false, err
	}
	if !isSpace([]byte(s)) {
		return false, errorf(e.line, e.col, "%s has content %q", e.kind, abbrev(s))
	}
	return e.kind == kindTrue, nil
}

func (d *decoder) integer(e elem) (int64, error) {
	if e.kind != kindInteger {
		return 0, d.mismatch(e, kindInteger)
	}
	s, err := d.text(e)
	if err != nil {
		return 0, err
	}
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil {
		return 0, errorf(e.line, e.col, "bad integer %q", abbrev(s))
	}
	return n, nil
}

// integerInt is integer for values kept in an int, which is 32 bits wide
// on some platforms.
func (d *decoder) integerInt(e elem) (int, error) {
	n, err := d.integer(e)
	if err != nil {
		return 0, err
	}
	if n < math.MinInt || n > math.MaxInt {
		return 0, errorf(e.line, e.col, "integer %d out of range", n)
	}
	return int(n), nil
}

func (d *decoder) date(e elem) (time.Time, error) {
	if e.kind != kindDate {
		return time.Time{}, d.mismatch(e, kindDate)
	}
	s, err := d.text(e)
	if err != nil {
		return time.Time{}, err
	}
	t, err := time.Parse(time.RFC3339, strings.TrimSpace(s))
	if err != nil {
		return time.Time{}, errorf(e.line, e.col, "bad date %q", abbrev(s))
	}
	return t.UTC(), nil
}

func (d *decoder) data(e elem) ([]byte, error) {
	if e.kind != kindData {
		return nil, d.mismatch(e, kindData)
	}
	s, err := d.text(e)
	if err != nil {
		return nil, err
	}
	// Apple wraps base64 at 72 columns and indents it.
	clean := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if c := s[i]; !isSpaceByte(c) {
			clean = append(clean, c)
		}
	}
	out := make([]byte, base64.StdEncoding.DecodedLen(len(clean)))
	n, err := base64.StdEncoding.Decode(out, clean)
	if err != nil {
		return nil, errorf(e.line, e.col, "bad base64 in <data>: %v", err)
	}
	return out[:n], nil
}

func isSpaceByte(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func isSpace(b []byte) bool {
	for _, c := range b {
		if !isSpaceByte(c) {
			return false
		}
	}
	return true
}

// abbrev shortens s for an error message.
func abbrev(s string) string {
	const max = 40
	if len(s) <= max {
		return s
	}
	i := max
	for i > 0 && s[i]&0xC0 == 0x80 { // do not cut a UTF-8 sequence
		i--
	}
	return s[:i] + "..."
}
