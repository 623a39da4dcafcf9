package music

import (
	"bytes"
	"errors"
	"fmt"
	"io"

	"github.com/tunesafe/tunesafe/internal/split"
)

// Errors wrapped by Split. Any error means "store this file with plain
// chunking"; the two kinds only tell why, for logs and statistics. Errors
// from the io.ReaderAt are wrapped as they are and match neither.
var (
	// ErrUnknownFormat: the content is not a format this package cuts.
	ErrUnknownFormat = errors.New("unknown music format")
	// ErrMalformed: the content looks like a known format but its
	// structure is damaged or inconsistent (a size points past the end of
	// the file, structures overlap, bytes are left over).
	ErrMalformed = errors.New("malformed music file")
)

// Splitter cuts music files into tag, picture and audio regions. The zero
// value is ready to use and safe for concurrent use.
type Splitter struct{}

var _ split.Splitter = Splitter{}

// Split returns the plan of the file f of the given size. name is the
// file's base name (or a path, whose directories are then considered too);
// it only matters for library databases, every other format is recognised
// by content. The plan's Layout is "" except for Ogg files.
func (Splitter) Split(name string, f io.ReaderAt, size int64) (split.Plan, error) {
	if IsLibraryDatabase(name) {
		return split.Whole(size, split.Database), nil
	}
	if size < 0 {
		return split.Plan{}, fmt.Errorf("%w: negative size %d", ErrMalformed, size)
	}
	return splitContent(&source{r: f, size: size})
}

// splitContent dispatches on the first bytes of the file.
func splitContent(s *source) (split.Plan, error) {
	if s.size == 0 {
		return split.Plan{}, fmt.Errorf("%w: empty file", ErrUnknownFormat)
	}
	var head [16]byte
	h := head[:min(s.size, int64(len(head)))]
	if err := s.readAt(h, 0); err != nil {
		return split.Plan{}, err
	}
	switch {
	case bytes.HasPrefix(h, []byte("OggS")):
		return splitOgg(s)
	case bytes.HasPrefix(h, []byte("ID3")):
		if end, err := firstID3End(s); err == nil && s.matches(end, "OggS") {
			return splitOgg(s)
		}
	case bytes.HasPrefix(h, []byte("fLaC")):
		return finish(s, func(b *planBuilder) error { return splitFLAC(s, b, 0) })
	case isRIFF(h):
		return finish(s, func(b *planBuilder) error { return splitRIFF(s, b) })
	case isAIFF(h):
		return finish(s, func(b *planBuilder) error { return splitAIFF(s, b) })
	case isDSDIFF(h):
		return finish(s, func(b *planBuilder) error { return splitDSDIFF(s, b) })
	case isDSF(h):
		return finish(s, func(b *planBuilder) error { return splitDSF(s, b) })
	case isASF(h):
		return finish(s, func(b *planBuilder) error { return splitASF(s, b) })
	case isMP4(h):
		return finish(s, func(b *planBuilder) error { return splitMP4(s, b) })
	}
	return finish(s, func(b *planBuilder) error { return splitTagged(s, b) })
}

// finish runs one container parser on a fresh builder and returns its plan.
func finish(s *source, parse func(*planBuilder) error) (split.Plan, error) {
	b := &planBuilder{size: s.size}
	if err := parse(b); err != nil {
		return split.Plan{}, err
	}
	return b.plan()
}
