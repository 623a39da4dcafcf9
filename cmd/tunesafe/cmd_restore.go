package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/tunesafe/tunesafe/internal/bytesize"
	"github.com/tunesafe/tunesafe/internal/library"
	"github.com/tunesafe/tunesafe/internal/restore"
	"github.com/tunesafe/tunesafe/internal/vault"
)

type restoreOptions struct {
	snapshot   string
	to         string
	overwrite  bool
	workers    int
	noProgress bool
	sel        selection
	m3u8       bool
}

func (a *app) restoreCommand() *cobra.Command {
	var o restoreOptions
	c := &cobra.Command{
		Use:   "restore --to DIR [PATTERN...]",
		Short: "Restore files from a snapshot, byte for byte",
		Long: `Restore a snapshot (default: the latest) into DIR. PATTERNs select paths as
shown by 'tunesafe ls' (shell patterns: "Music/Sibelius*" selects those folders
and everything in them); --playlist, --artist and --album select by the music
library recorded with 'backup --library'. Every file is checked against its
SHA-256. Files already present with the right content are skipped, so an
interrupted restore can be run again; a different existing file is never
replaced without --overwrite.

Example: tunesafe restore --playlist "Sunday Morning" --m3u8 --to /media/usb`,
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.runRestore(cmd.Context(), args, o)
		},
	}
	f := c.Flags()
	f.StringVar(&o.snapshot, "snapshot", "latest", "snapshot ID (prefix) or latest")
	f.StringVar(&o.to, "to", "", "target folder (required)")
	f.BoolVar(&o.overwrite, "overwrite", false, "replace existing files whose content differs")
	f.IntVar(&o.workers, "workers", 8, "files restored at once")
	f.BoolVar(&o.noProgress, "no-progress", false, "do not draw progress on the terminal")
	f.StringVar(&o.sel.playlist, "playlist", "", "restore the tracks of this playlist (a folder includes its playlists)")
	f.StringVar(&o.sel.artist, "artist", "", "restore this artist's tracks (artist or album artist)")
	f.StringVar(&o.sel.album, "album", "", "restore this album's tracks")
	f.BoolVar(&o.m3u8, "m3u8", false, "with --playlist: write PLAYLIST.m3u8 beside the restored files")
	return c
}

func (a *app) runRestore(ctx context.Context, patterns []string, o restoreOptions) error {
	if o.to == "" {
		return usagef("for example: tunesafe restore --to ~/restored", "--to DIR is required")
	}
	if o.m3u8 && o.sel.playlist == "" {
		return usagef("", "--m3u8 goes with --playlist")
	}
	if len(patterns) > 0 && !o.sel.empty() {
		return usagef("", "give either path patterns or --playlist/--artist/--album, not both")
	}
	opts := restore.Options{To: o.to, Overwrite: o.overwrite, Workers: o.workers, Logger: a.logger(), Progress: &restore.Progress{}}
	if len(patterns) > 0 {
		sel, err := restore.Patterns(patterns)
		if err != nil {
			return usagef("", "%v", err)
		}
		opts.Select = sel
	}
	s, err := a.openVault(ctx)
	if err != nil {
		return err
	}
	defer s.Close()
	snap, err := s.vault.FindSnapshot(ctx, o.snapshot)
	if err != nil {
		return err
	}
	var playlist []library.Track
	var view *library.View
	if !o.sel.empty() {
		if view, err = loadView(ctx, s.vault, snap.Snapshot); err != nil {
			return err
		}
		tracks, err := o.sel.tracks(view)
		if err != nil {
			return err
		}
		set, notStored := pathsOf(view, tracks)
		if len(notStored) > 0 {
			a.warnMissing(notStored)
		}
		if len(set) == 0 {
			return fmt.Errorf("none of the %d selected tracks has a file in the snapshot", len(tracks))
		}
		opts.Select = func(rel string, _ *vault.Node) bool { return set[rel] }
		playlist = tracks
	}
	opts.Rebuilders = rebuilders()
	stop := a.showRestoreProgress(opts.Progress, o.noProgress)
	res, err := restore.Run(ctx, s.vault, snap.Snapshot, opts)
	stop()
	if err == nil && o.m3u8 {
		name := o.sel.playlist
		if pl, perr := view.Library.PlaylistByName(name); perr == nil {
			name = pl.Name
		}
		if err = writePlaylist(o.to, name, playlist, view); err != nil {
			return err
		}
	}
	if res != nil && a.json {
		if perr := a.printJSON(res); perr != nil {
			return perr
		}
	} else if res != nil {
		a.printf("restored %d files (%d already correct), %s, from snapshot %s into %s in %s\n",
			res.Restored, res.Unchanged, bytesize.Format(res.Bytes), short(snap.ID.String()), o.to, res.Duration.Round(time.Millisecond))
	}
	return err
}

// writePlaylist writes NAME.m3u8 in dir with paths relative to it.
func writePlaylist(dir, name string, tracks []library.Track, view *library.View) error {
	p := filepath.Join(dir, safeFileName(name)+".m3u8")
	f, err := os.Create(p)
	if err != nil {
		return err
	}
	err = library.WriteM3U8(f, tracks, func(t library.Track) string { return view.Paths[t.ID] })
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

func safeFileName(s string) string {
	out := []rune{}
	for _, r := range s {
		switch r {
		case '/', '\\', ':', '*', '?', '"', '<', '>', '|', 0:
			r = '_'
		}
		out = append(out, r)
	}
	if len(out) == 0 {
		return "playlist"
	}
	return string(out)
}
