package library

import (
	"encoding/json"
	"fmt"
)

// View is what a snapshot records of a music library: the parsed library
// (tracks with their tags, playlists) and where each stored track lives in
// the snapshot, so that restores can select by playlist, artist or album
// years later without the original library file.
type View struct {
	// Source is the library file the view was read from.
	Source  string   `json:"source"`
	Library *Library `json:"library"`
	// Paths maps a Track ID to the track's slash-separated path in the
	// snapshot; tracks without a stored file are absent.
	Paths map[int]string `json:"paths"`
	// Missing lists Track IDs the library references whose file was not
	// found at backup time.
	Missing []int `json:"missing,omitempty"`
}

// EncodeView returns the view as JSON (documented in docs/FORMAT.md).
func EncodeView(v *View) ([]byte, error) { return json.Marshal(v) }

// DecodeView parses a stored view.
func DecodeView(b []byte) (*View, error) {
	var v View
	if err := json.Unmarshal(b, &v); err != nil {
		return nil, fmt.Errorf("library view: %w", err)
	}
	if v.Library == nil {
		return nil, fmt.Errorf("library view: no library")
	}
	if v.Library.Tracks == nil {
		v.Library.Tracks = map[int]Track{}
	}
	return &v, nil
}
