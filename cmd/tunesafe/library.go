package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"

	"github.com/tunesafe/tunesafe/internal/backup"
	"github.com/tunesafe/tunesafe/internal/library"
	"github.com/tunesafe/tunesafe/internal/vault"
)

// libraryOptions say which music library to back up with the folders.
type libraryOptions struct {
	xml   string
	remap []string
}

// discoverLibrary returns the first default library XML that exists here.
func discoverLibrary() string {
	home, err := os.UserHomeDir()
	if err != nil {
		return ""
	}
	for _, p := range library.DefaultLocations(runtime.GOOS, home) {
		if strings.HasSuffix(strings.ToLower(p), ".xml") {
			if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() {
				return p
			}
		}
	}
	return ""
}

// loadLibrary parses the library and applies --library-remap.
func loadLibrary(o libraryOptions) (*library.Library, error) {
	f, err := os.Open(o.xml)
	if err != nil {
		return nil, usagef("give the library XML (File > Library > Export Library... in iTunes or Music)", "library: %v", err)
	}
	defer f.Close()
	lib, err := library.Parse(f)
	if err != nil {
		return nil, withHint(fmt.Errorf("library %s: %w", o.xml, err), "give the XML library (iTunes Library.xml or an exported Library.xml), not the .itl or .musicdb database")
	}
	for _, r := range o.remap {
		from, to, ok := strings.Cut(r, "=")
		if !ok || from == "" {
			return nil, usagef("for example --library-remap /Users/anna/Music=/home/anna/Music", "--library-remap %q: want FROM=TO", r)
		}
		lib.Remap(from, to)
	}
	return lib, nil
}

// planLibrary adds the library's tracks and database files to a backup and
// prepares the library view recorded in the snapshot.
func (a *app) planLibrary(o libraryOptions, opts *backup.Options) (*library.View, error) {
	lib, err := loadLibrary(o)
	if err != nil {
		return nil, err
	}
	if len(opts.Paths) == 0 {
		if mf, err := lib.MusicFolder(); err == nil {
			for _, r := range o.remap {
				from, to, _ := strings.Cut(r, "=")
				if p, ok := library.Remap(mf, from, to); ok {
					mf = p
				}
			}
			if native := library.NativePath(mf); isDir(native) {
				opts.Paths = append(opts.Paths, native)
			}
		}
	}
	xmlAbs, _ := filepath.Abs(o.xml)
	view := &library.View{Source: xmlAbs, Library: lib, Paths: map[int]string{}}
	var missing []library.Track
	for _, t := range lib.AllTracks() {
		if !t.IsLocal() {
			continue
		}
		p := library.NativePath(t.Path)
		if fi, err := os.Stat(p); err != nil || !fi.Mode().IsRegular() {
			missing = append(missing, t)
			view.Missing = append(view.Missing, t.ID)
			continue
		}
		opts.Files = append(opts.Files, p)
	}
	dbFiles, err := library.DatabaseFiles(filepath.Dir(xmlAbs))
	if err != nil {
		return nil, err
	}
	opts.Files = append(opts.Files, xmlAbs)
	opts.Files = append(opts.Files, dbFiles...)
	if err := checkClash(opts); err != nil {
		return nil, err
	}
	for _, t := range lib.AllTracks() {
		if !t.IsLocal() || contains(view.Missing, t.ID) {
			continue
		}
		rel, err := backup.SnapshotPath(*opts, library.NativePath(t.Path))
		if err == nil {
			view.Paths[t.ID] = rel
		}
	}
	if len(missing) > 0 {
		a.warnMissing(missing)
	}
	return view, nil
}

// checkClash refuses, before the pass, library files outside the paths
// backed up that a snapshot would store under the name of one of those
// paths (backup.NameClashError): backing up /Volumes/Users while the
// library is in /Users.
func checkClash(opts *backup.Options) error {
	err := backup.CheckFiles(opts.Paths, opts.Files)
	var ce *backup.NameClashError
	if !errors.As(err, &ce) {
		return err
	}
	parent := fmt.Sprintf("back up %s, the folder that holds %s, instead of it", filepath.Dir(ce.Source), ce.Source)
	hint := "a snapshot holds each backed-up path under its folder's name, and other files under their full path: " + parent
	if dir := filepath.Dir(ce.File); filepath.Base(dir) != ce.Name {
		hint += ", or back up " + dir + " as well"
	}
	return usagef(hint, "%v", ce)
}

func (a *app) warnMissing(missing []library.Track) {
	var names []string
	for i, t := range missing {
		if i == 5 {
			names = append(names, fmt.Sprintf("and %d more", len(missing)-5))
			break
		}
		names = append(names, fmt.Sprintf("%q (%s)", t.Name, library.NativePath(t.Path)))
	}
	fmt.Fprintf(a.stderr, "tunesafe: warning: no file for %s in your library: %s\n", plural(len(missing), "track", "tracks"), strings.Join(names, ", "))
}

func contains(s []int, v int) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

func isDir(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.IsDir()
}

// storeView uploads the library view before the backup (it is part of the
// irreplaceable metadata) and returns the hook that records it in the
// snapshot.
func storeView(ctx context.Context, v *vault.Vault, view *library.View) (func(context.Context, *vault.Snapshot) error, error) {
	return viewHook(view, func(b []byte) ([]vault.ID, error) {
		ids, err := v.PutData(ctx, b)
		if err != nil {
			return nil, fmt.Errorf("store library view: %w", err)
		}
		return ids, nil
	})
}

// viewIDs returns the hook storeView would, storing nothing: for
// backup.Probe, which compares the view with the newest snapshot's.
func viewIDs(v *vault.Vault, view *library.View) (func(context.Context, *vault.Snapshot) error, error) {
	return viewHook(view, v.DataIDs)
}

// viewHook encodes view, has ids turn it into blob IDs, and returns the
// hook that records them in the snapshot.
func viewHook(view *library.View, ids func([]byte) ([]vault.ID, error)) (func(context.Context, *vault.Snapshot) error, error) {
	b, err := library.EncodeView(view)
	if err != nil {
		return nil, err
	}
	lib, err := ids(b)
	if err != nil {
		return nil, err
	}
	return func(_ context.Context, s *vault.Snapshot) error {
		s.Library = lib
		return nil
	}, nil
}

// selection is a library-based choice of tracks.
type selection struct {
	artist, album, playlist string
}

func (s selection) empty() bool { return s.artist == "" && s.album == "" && s.playlist == "" }

// loadView reads the library view of a snapshot.
func loadView(ctx context.Context, v *vault.Vault, s *vault.Snapshot) (*library.View, error) {
	if len(s.Library) == 0 {
		return nil, usagef("back up with --library PATH-TO-XML to select by artist, album or playlist", "this snapshot has no music library view")
	}
	b, err := v.GetData(ctx, s.Library)
	if err != nil {
		return nil, err
	}
	return library.DecodeView(b)
}

// tracks returns the selected tracks, in the library's order.
func (s selection) tracks(view *library.View) ([]library.Track, error) {
	lib := view.Library
	var out []library.Track
	switch {
	case s.playlist != "":
		t, err := lib.PlaylistTracks(s.playlist)
		if errors.Is(err, library.ErrPlaylistNotFound) {
			return nil, usagef("list playlists with 'tunesafe ls --playlists'", "no playlist %q in the snapshot's library", s.playlist)
		}
		if err != nil {
			return nil, err
		}
		out = t
		if s.artist != "" || s.album != "" {
			out = filterTracks(out, s)
		}
	case s.album != "":
		out = lib.TracksByAlbum(s.album, s.artist)
	default:
		out = lib.TracksByArtist(s.artist)
	}
	if len(out) == 0 {
		return nil, usagef("", "no tracks in the snapshot's library match")
	}
	return out, nil
}

func filterTracks(ts []library.Track, s selection) []library.Track {
	var out []library.Track
	for _, t := range ts {
		if s.artist != "" && library.Fold(t.Artist) != library.Fold(s.artist) && library.Fold(t.AlbumArtist) != library.Fold(s.artist) {
			continue
		}
		if s.album != "" && library.Fold(t.Album) != library.Fold(s.album) {
			continue
		}
		out = append(out, t)
	}
	return out
}

// pathsOf returns the snapshot paths of the tracks that were stored.
func pathsOf(view *library.View, ts []library.Track) (map[string]bool, []library.Track) {
	set := map[string]bool{}
	var notStored []library.Track
	for _, t := range ts {
		if p, ok := view.Paths[t.ID]; ok {
			set[p] = true
		} else {
			notStored = append(notStored, t)
		}
	}
	return set, notStored
}

func playlistNames(view *library.View) []string {
	names := []string{} // a list in JSON, even when empty
	for _, p := range view.Library.Playlists {
		if p.Master {
			continue
		}
		names = append(names, p.Name)
	}
	sort.Strings(names)
	return names
}
