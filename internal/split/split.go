// Package split defines how a file is cut into byte regions before it is
// chunked into blobs, and the seam where music-aware splitters plug in.
//
// A Splitter looks at a file and returns a Plan: an ordered list of regions
// of a "stored stream" whose kinds tell the backup engine what each region is
// (tag bytes, an embedded picture, audio). Each region is chunked on its own
// by content-defined chunking, so a change in one region (a retitled track)
// never moves the chunk boundaries of another (the audio), and identical
// regions in different files (an album's shared cover) become the same blobs.
//
// For most formats the stored stream is the file itself (Layout ""): the
// regions are consecutive byte ranges of the file and their concatenation is
// the file. A splitter may instead store a transformed stream (Layout names
// it, e.g. "ogg1"); restoring then needs the matching Rebuilder, and the
// transformation is specified in docs/FORMAT.md so it can be reimplemented.
// The backup engine verifies every plan by rebuilding the file's SHA-256 at
// backup time and falls back to plain chunking when it differs.
package split

import (
	"fmt"
	"io"
)

// Kind says what a region holds; it decides upload priority (tags and
// pictures before audio) and nothing about the format.
type Kind uint8

const (
	// Data is bytes of no particular meaning (plain chunking).
	Data Kind = iota
	// Audio is sample or codec data: bulky, rarely changes.
	Audio
	// Tag is tag or container metadata: small, edited by people.
	Tag
	// Picture is an embedded picture (cover art), often shared by an album.
	Picture
	// Database is a music library database file (iTunes Library.xml, .itl).
	Database
)

func (k Kind) String() string {
	switch k {
	case Data:
		return "data"
	case Audio:
		return "audio"
	case Tag:
		return "tag"
	case Picture:
		return "picture"
	case Database:
		return "database"
	}
	return fmt.Sprintf("kind(%d)", k)
}

// Metadata reports whether regions of this kind go up before bulk data.
func (k Kind) Metadata() bool { return k == Tag || k == Picture || k == Database }

// Region is a run of bytes of the stored stream.
type Region struct {
	Kind   Kind
	Offset int64
	Length int64
}

// Plan says how one file is stored.
type Plan struct {
	// Layout is "" when the stored stream is the file itself, or the name of
	// a reconstruction documented in docs/FORMAT.md.
	Layout string
	// Stream is the stored stream when Layout != ""; nil means the file.
	Stream io.ReaderAt
	// Size is the length of the stored stream.
	Size int64
	// Regions cover [0, Size) in order without gaps or overlaps. Zero-length
	// regions are not allowed.
	Regions []Region
}

// Splitter describes a file as a Plan. name is the file's path, a hint
// only: splitters must decide by content (library database files, known by
// name and by the bundle they sit in, are the one exception). A Splitter must never panic and
// must bound its allocations by the file size; when it does not understand
// a file it returns an error and the caller falls back to Whole.
type Splitter interface {
	Split(name string, f io.ReaderAt, size int64) (Plan, error)
}

// Rebuilder turns a stored stream of one layout back into the file.
type Rebuilder interface {
	Rebuild(stream io.Reader, w io.Writer) error
}

// Whole is the plan for plain chunking: one region of kind k covering the file.
func Whole(size int64, k Kind) Plan {
	p := Plan{Size: size}
	if size > 0 {
		p.Regions = []Region{{Kind: k, Offset: 0, Length: size}}
	}
	return p
}

// Check reports whether p is well formed: regions in order, contiguous,
// non-empty, and covering exactly [0, p.Size).
func (p Plan) Check() error {
	var off int64
	for i, r := range p.Regions {
		if r.Length <= 0 {
			return fmt.Errorf("region %d: length %d", i, r.Length)
		}
		if r.Offset != off {
			return fmt.Errorf("region %d: offset %d, want %d", i, r.Offset, off)
		}
		off += r.Length
	}
	if off != p.Size {
		return fmt.Errorf("regions cover %d bytes, stream has %d", off, p.Size)
	}
	if p.Layout != "" && p.Stream == nil {
		return fmt.Errorf("layout %q without a stream", p.Layout)
	}
	return nil
}
