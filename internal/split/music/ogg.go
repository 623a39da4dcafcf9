package music

import (
	"errors"
	"fmt"

	"github.com/tunesafe/tunesafe/internal/split"
	"github.com/tunesafe/tunesafe/internal/split/oggsplit"
)

// Ogg files (Vorbis, Opus, Speex, FLAC, Theora), with or without an ID3v2
// tag in front, go to package oggsplit. Taggers renumber the pages after
// the comment header, or repaginate the whole stream, so the audio bytes
// of an Ogg file change on every edit that resizes the comment; oggsplit
// stores a transformed stream (Layout "ogg1") whose audio part does not.

// splitOgg returns oggsplit's plan, with its errors classified like ours.
func splitOgg(s *source) (split.Plan, error) {
	p, err := oggsplit.SplitUnverified(s.r, s.size)
	switch {
	case err == nil:
		return p, nil
	case errors.Is(err, oggsplit.ErrCorrupt):
		return split.Plan{}, fmt.Errorf("%w: ogg: %w", ErrMalformed, err)
	case errors.Is(err, oggsplit.ErrNotOgg), errors.Is(err, oggsplit.ErrUnsupported):
		return split.Plan{}, fmt.Errorf("%w: ogg: %w", ErrUnknownFormat, err)
	}
	return split.Plan{}, fmt.Errorf("ogg: %w", err)
}
