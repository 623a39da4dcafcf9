package library

import (
	"errors"
	"fmt"
	"strings"
)

// A FormatError reports input that is not a well-formed library property
// list: broken XML, an unexpected element, a value of the wrong type for a
// key this package reads, or a file that is not an XML library at all. It
// is permanent: reading the same bytes again gives the same error. Errors
// from the underlying reader are returned wrapped, never as a FormatError.
type FormatError struct {
	Line, Column int    // 1-based position in the input, 0 when unknown
	Context      string // where in the plist, e.g. "Tracks/634/Size"; may be empty
	Msg          string
}

func (e *FormatError) Error() string {
	var b strings.Builder
	b.WriteString("library: ")
	if e.Line > 0 {
		fmt.Fprintf(&b, "line %d", e.Line)
		if e.Column > 0 {
			fmt.Fprintf(&b, ", column %d", e.Column)
		}
		b.WriteString(": ")
	}
	if e.Context != "" {
		b.WriteString(e.Context)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// within prefixes the error's context with one more enclosing step (a
// dictionary key or an array index) as the error travels outwards.
func within(err error, step string) error {
	var fe *FormatError
	if errors.As(err, &fe) {
		if fe.Context == "" {
			fe.Context = step
		} else {
			fe.Context = step + "/" + fe.Context
		}
	}
	return err
}

var (
	// ErrNotLocal is returned by DecodeLocation for a location that does
	// not name a file (an http: stream, an empty string).
	ErrNotLocal = errors.New("location is not a local file")

	// ErrPlaylistNotFound is returned when no playlist has the name asked for.
	ErrPlaylistNotFound = errors.New("playlist not found")

	// ErrAmbiguousPlaylist is returned when several playlists share the
	// name asked for; select one by persistent ID instead.
	ErrAmbiguousPlaylist = errors.New("playlist name is ambiguous")
)
