package library

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// Selections return tracks in a deterministic order: playlists in
// playlist order, everything else sorted by SortTracks.

// AllTracks returns every track, sorted by SortTracks.
func (l *Library) AllTracks() []Track {
	out := make([]Track, 0, len(l.Tracks))
	for _, t := range l.Tracks {
		out = append(out, t)
	}
	SortTracks(out)
	return out
}

// TracksByArtist returns the tracks whose Artist or Album Artist matches
// artist under Fold, sorted by SortTracks. An empty artist matches nothing.
func (l *Library) TracksByArtist(artist string) []Track {
	key := Fold(artist)
	if key == "" {
		return nil
	}
	return l.filter(func(t *Track) bool {
		return Fold(t.Artist) == key || Fold(t.AlbumArtist) == key
	})
}

// TracksByAlbum returns the tracks of the album matching album under Fold,
// sorted by SortTracks. A non-empty artist also requires the Artist or
// Album Artist to match, to tell apart albums that share a title ("Greatest
// Hits"). An empty album matches nothing.
func (l *Library) TracksByAlbum(album, artist string) []Track {
	key, artistKey := Fold(album), Fold(artist)
	if key == "" {
		return nil
	}
	return l.filter(func(t *Track) bool {
		if Fold(t.Album) != key {
			return false
		}
		return artistKey == "" || Fold(t.Artist) == artistKey || Fold(t.AlbumArtist) == artistKey
	})
}

func (l *Library) filter(keep func(*Track) bool) []Track {
	var out []Track
	for _, t := range l.Tracks {
		if keep(&t) {
			out = append(out, t)
		}
	}
	SortTracks(out)
	return out
}

// SortTracks sorts tracks the way a music player lists them: by album
// artist (the artist when there is none), album, disc, track number and
// name, compared under Fold, with the Track ID as the final tie-break.
func SortTracks(tracks []Track) {
	type keyed struct {
		artist, album, name string
		t                   Track
	}
	ks := make([]keyed, len(tracks))
	for i, t := range tracks {
		artist := t.AlbumArtist
		if artist == "" {
			artist = t.Artist
		}
		ks[i] = keyed{Fold(artist), Fold(t.Album), Fold(t.Name), t}
	}
	slices.SortFunc(ks, func(a, b keyed) int {
		return cmp.Or(
			cmp.Compare(a.artist, b.artist),
			cmp.Compare(a.album, b.album),
			cmp.Compare(a.t.DiscNumber, b.t.DiscNumber),
			cmp.Compare(a.t.TrackNumber, b.t.TrackNumber),
			cmp.Compare(a.name, b.name),
			cmp.Compare(a.t.ID, b.t.ID),
		)
	})
	for i := range ks {
		tracks[i] = ks[i].t
	}
}

// PlaylistByName returns the playlist called name. A playlist whose name
// is exactly name wins; otherwise names are compared under Fold. Names are
// not unique in iTunes: when several playlists match, the error wraps
// ErrAmbiguousPlaylist and lists their persistent IDs. No match is
// ErrPlaylistNotFound.
func (l *Library) PlaylistByName(name string) (Playlist, error) {
	var exact, folded []int
	key := Fold(name)
	for i := range l.Playlists {
		switch p := &l.Playlists[i]; {
		case p.Name == name:
			exact = append(exact, i)
		case key != "" && Fold(p.Name) == key:
			folded = append(folded, i)
		}
	}
	found := exact
	if len(found) == 0 {
		found = folded
	}
	switch len(found) {
	case 0:
		return Playlist{}, fmt.Errorf("%w: %q", ErrPlaylistNotFound, name)
	case 1:
		return l.Playlists[found[0]], nil
	}
	ids := make([]string, len(found))
	for i, j := range found {
		ids[i] = l.Playlists[j].PersistentID
	}
	return Playlist{}, fmt.Errorf("%w: %d playlists are called %q (persistent IDs %s)",
		ErrAmbiguousPlaylist, len(found), name, strings.Join(ids, ", "))
}

// PlaylistByPersistentID returns the playlist with the given persistent ID,
// compared case-insensitively.
func (l *Library) PlaylistByPersistentID(id string) (Playlist, bool) {
	for _, p := range l.Playlists {
		if id != "" && strings.EqualFold(p.PersistentID, id) {
			return p, true
		}
	}
	return Playlist{}, false
}

// PlaylistTracks returns the tracks of the playlist called name (see
// PlaylistByName and PlaylistItems).
func (l *Library) PlaylistTracks(name string) ([]Track, error) {
	p, err := l.PlaylistByName(name)
	if err != nil {
		return nil, err
	}
	return l.PlaylistItems(p), nil
}

// PlaylistItems returns the tracks of p in playlist order. For a plain or
// smart playlist these are its items as exported, duplicates included.
// For a folder they are the folder's own items followed by those of every
// playlist inside it, depth first in file order, each track once. Items
// naming a Track ID the library does not have are left out.
func (l *Library) PlaylistItems(p Playlist) []Track {
	if !p.Folder {
		out := make([]Track, 0, len(p.Items))
		for _, id := range p.Items {
			if t, ok := l.Tracks[id]; ok {
				out = append(out, t)
			}
		}
		return out
	}

	children := map[string][]int{}
	for i, c := range l.Playlists {
		if c.ParentPersistentID != "" {
			children[c.ParentPersistentID] = append(children[c.ParentPersistentID], i)
		}
	}
	var out []Track
	seenTrack := map[int]bool{}
	seenList := map[string]bool{} // parent links can form a cycle in a damaged export
	var walk func(p *Playlist)
	walk = func(p *Playlist) {
		if p.PersistentID != "" {
			if seenList[p.PersistentID] {
				return
			}
			seenList[p.PersistentID] = true
		}
		for _, id := range p.Items {
			if t, ok := l.Tracks[id]; ok && !seenTrack[id] {
				seenTrack[id] = true
				out = append(out, t)
			}
		}
		if p.PersistentID == "" {
			return
		}
		for _, i := range children[p.PersistentID] {
			walk(&l.Playlists[i])
		}
	}
	walk(&p)
	return out
}
