package main

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/tunesafe/tunesafe/internal/bwlimit"
	"github.com/tunesafe/tunesafe/internal/bytesize"
	"github.com/tunesafe/tunesafe/internal/library"
	"github.com/tunesafe/tunesafe/internal/restore"
	"github.com/tunesafe/tunesafe/internal/vault"
)

type restoreOptions struct {
	snapshot   string
	host       string
	to         string
	overwrite  bool
	workers    int
	noProgress bool
	sel        selection
	m3u8       bool
	// freeSpace tells the free bytes of a folder's file system
	// (restore.FreeSpace; tests fake it).
	freeSpace func(dir string) (int64, error)
}

func (a *app) restoreCommand() *cobra.Command {
	var o restoreOptions
	c := &cobra.Command{
		Use:   "restore --to DIR [PATTERN...]",
		Short: "Restore files from a snapshot, byte for byte",
		Long: `Restore a snapshot (default: the latest) into DIR. PATTERNs select paths as
shown by 'tunesafe ls' (shell patterns: "Music/Sibelius*" selects those folders
and everything in them), or as this computer has them ("/home/anna/Music/Sibelius*"
for a backup of /home/anna/Music); --playlist, --artist and --album select by the music
library recorded with 'backup --library'. Every file is checked against its
SHA-256. Files already present with the right content are skipped, so an
interrupted restore can be run again; a different existing file is never
replaced without --overwrite. A symlink found in DIR where the snapshot has a
folder is never followed: it is replaced by the folder with --overwrite, and
is an error without. Files a library keeps outside the backed-up folders come
back under their whole path (DIR/Volumes/data/...); the folders above them,
which were not backed up, are made as mkdir -p makes folders (not with the
permissions of /Volumes or /tmp), and existing ones are left as they are.

Computers backing up into one vault each record their host name in their
snapshots (backup --host, default this computer's name). "latest" is this
computer's newest snapshot; --host NAME restores the newest of computer NAME
instead. A computer with no snapshot of its own (a new one replacing a lost
one) restores the newest of any computer, and says whose; one whose own
newest snapshot holds fewer files than another computer's is told of that
one. --snapshot with an ID reads that snapshot, whatever its host; with
--host too, it must be of that host.

Exit status: 0 when everything selected is in place; 1 when some entries could
not be restored (each is listed; the others are), when DIR cannot be
written to (disk full, read-only, permission denied: the restore stops at
once), or when DIR has less free space than the files to write (checked
before anything is written; files already there are not counted); 2 when a PATTERN, --playlist, --artist or --album matches nothing in
the snapshot (nothing is written); 4 when the vault's data is damaged (a file
or folder whose content or tree the vault lost or holds damaged is listed, and
the rest restored; a pattern reads only the folders it may match).

Example: tunesafe restore --playlist "Sunday Morning" --m3u8 --to /media/usb`,
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.runRestore(cmd.Context(), args, o)
		},
	}
	f := c.Flags()
	f.StringVar(&o.snapshot, "snapshot", "latest", "snapshot ID (prefix) or latest")
	f.StringVar(&o.host, "host", "", "latest is the newest snapshot of this host, not this computer's (a --snapshot ID must be of it)")
	f.StringVar(&o.to, "to", "", "target folder (required)")
	f.BoolVar(&o.overwrite, "overwrite", false, "replace existing files whose content differs, and files or symlinks in the way")
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
	if o.workers < 1 {
		return usagef("", "--workers must be at least 1")
	}
	if err := restore.CheckPatterns(patterns); err != nil {
		return usagef("", "%v", err)
	}
	if err := a.checkTargetOutsideVault(o.to); err != nil {
		return err
	}
	if a.lim != nil && a.lim.down == nil {
		// Unlimited, but counting: the stores and transports built on
		// it count the bytes received as they arrive, for the rate and
		// the time left that progress shows (showRestoreProgress).
		a.lim.down = bwlimit.New(0)
	}
	opts := restore.Options{To: o.to, Patterns: patterns, Overwrite: o.overwrite, Workers: o.workers, Logger: a.logger(), Progress: &restore.Progress{}}
	s, err := a.openVault(ctx)
	if err != nil {
		return err
	}
	defer s.Close()
	// The passphrase is checked before anything is written: a vault this
	// computer opened before reads its snapshots and trees without it (from
	// the id-key and the cache), and would otherwise create the folders and
	// empty files of the restore before the first blob fails to open.
	if err := s.vault.Unlock(); err != nil {
		return err
	}
	snap, err := a.findSnapshot(ctx, s, o.snapshot, latestOf(o.host))
	if err != nil {
		return err
	}
	if isLatest(o.snapshot) && o.host == "" && ofThisComputer(snap.Host) {
		a.noteLargerElsewhere(ctx, s, snap)
	}
	// Patterns may be paths as this computer has them; an error names
	// them as the user wrote them.
	given := map[string]string{}
	for i, p := range opts.Patterns {
		if q := inSnapshot(snap.Snapshot, p); q != p {
			opts.Patterns[i], given[q] = q, p
		}
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
			const hint = "the library lists the tracks, but the backup stored none of their files: 'tunesafe ls -r' lists what it holds"
			if len(tracks) == 1 {
				return usagef(hint, "the selected track has no file in the snapshot")
			}
			return usagef(hint, "none of the %d selected tracks has a file in the snapshot", len(tracks))
		}
		opts.Select = func(rel string, _ *vault.Node) bool { return set[rel] }
		playlist = tracks
	}
	opts.Rebuilders = rebuilders()
	opts.FreeSpace = o.freeSpace
	if opts.FreeSpace == nil {
		opts.FreeSpace = restore.FreeSpace
	}
	stop := a.showRestoreProgress(opts.Progress, o.noProgress)
	res, err := restore.Run(ctx, s.vault, snap.Snapshot, opts)
	stop()
	err = noSpaceHint(err)
	if err == nil && o.m3u8 {
		name := o.sel.playlist
		if pl, perr := view.Library.PlaylistByName(name); perr == nil {
			name = pl.Name
		}
		if err = writePlaylist(o.to, name, playlist, view, o.overwrite); err != nil {
			return err
		}
	}
	var nm *restore.NoMatchError
	if errors.As(err, &nm) {
		for i, p := range nm.Patterns {
			if g, ok := given[p]; ok {
				nm.Patterns[i] = g
			}
		}
	}
	err = restoreHint(err, o.to)
	if res != nil && a.json {
		if perr := a.printJSON(restoreSummary{snap.ID.String(), snap.Host, snap.Time, res}); perr != nil {
			return perr
		}
	} else if res != nil {
		if len(res.Failures) > 1 { // one is the error's message
			for _, f := range res.Failures {
				fmt.Fprintf(a.stderr, "tunesafe: not restored: %s: %s\n", f.Path, f.Err)
			}
		}
		a.printf("restored %s, %s (%d already correct), %s, from snapshot %s into %s in %s\n",
			plural(res.Restored, "file", "files"), bytesize.Format(res.BytesRestored), res.Unchanged, plural(res.Dirs, "folder", "folders"),
			snapshotOf(snap), o.to, res.Duration.Round(time.Millisecond))
		if res.Failed > 0 {
			a.printf("not restored: %s (of %s selected)\n", plural(res.Failed, "file or folder", "files or folders"), plural(res.FilesSelected, "file", "files"))
		}
		if res.BytesResumed > 0 {
			a.printf("resumed: %s of it was already downloaded by an interrupted restore\n", bytesize.Format(res.BytesResumed))
		}
		if res.AttrsNotSet > 0 {
			fmt.Fprintf(a.stderr, "tunesafe: note: the permissions or times of %s could not be set (the file system of %s keeps none, as FAT and exFAT, or they belong to another user); their contents are restored\n", plural(res.AttrsNotSet, "file or folder", "files and folders"), o.to)
		}
	}
	return err
}

// noteLargerElsewhere notes, for a plain restore of this computer's
// newest snapshot, the other computers whose newest snapshot holds more
// files: a new computer that has backed up a few files of its own would
// otherwise restore those, and not the old one's library the user wants.
func (a *app) noteLargerElsewhere(ctx context.Context, s *session, snap vault.SnapshotRef) {
	all, _, err := s.vault.ReadableSnapshots(ctx)
	if err != nil {
		return // the restore goes on; a listing error is not its concern
	}
	newest := map[string]vault.SnapshotRef{}
	for _, r := range all {
		if r.Host == snap.Host || r.Host == "" {
			continue
		}
		if n, ok := newest[r.Host]; !ok || r.Time.After(n.Time) {
			newest[r.Host] = r
		}
	}
	for _, host := range slices.Sorted(maps.Keys(newest)) {
		r := newest[host]
		if r.Stats.Files <= snap.Stats.Files {
			continue
		}
		fmt.Fprintf(a.stderr, "tunesafe: note: restoring this computer's newest snapshot %s (%s); %s's newest, %s of %s, holds %s: 'tunesafe restore --host %s' restores that one\n",
			short(snap.ID.String()), plural(snap.Stats.Files, "file", "files"), host, short(r.ID.String()), r.Time.Local().Format(snapshotTime),
			plural(r.Stats.Files, "file", "files"), shellJoin([]string{host}))
	}
}

// restoreSummary is what 'restore --json' prints: which snapshot it
// restored from, and what it did.
type restoreSummary struct {
	Snapshot string    `json:"snapshot_id"`
	Host     string    `json:"snapshot_host"`
	Time     time.Time `json:"snapshot_time"`
	*restore.Result
}

// treeHint gives err, met by command (restore, ls or diff), the hint of a
// folder whose tree the vault lost or holds damaged when it holds one (a
// *restore.TreeError).
func treeHint(err error, command string) error {
	var tr *restore.TreeError
	if !errors.As(err, &tr) {
		return err
	}
	older := ""
	if command == "restore" {
		older = "an older snapshot may hold the folder intact ('tunesafe snapshots', then 'tunesafe restore --snapshot ID PATH'); "
	}
	return withHint(err, fmt.Sprintf("the vault lost or holds damaged the tree (the list of files) of a folder, so running %s again will not help: "+older+
		"run 'tunesafe verify' to see what else is lost or damaged ('tunesafe audit' also says by whom), "+
		"then 'tunesafe repair --from LOCATION' to put it back from a replica made by 'tunesafe copy' "+
		"(without one, 'tunesafe repair' and then a backup of the unchanged folder store it again)", command))
}

// restoreHint says what to do about the errors a restore can end with.
func restoreHint(err error, to string) error {
	var te *restore.TargetError
	var nm *restore.NoMatchError
	var tr *restore.TreeError
	var rf *restore.FailedError
	switch {
	case errors.As(err, &tr):
		return treeHint(err, "restore")
	case errors.As(err, &nm):
		return withHint(err, "list the snapshot's paths with 'tunesafe ls -r'; a pattern matches whole names (\"Music/Sibelius*\")")
	case errors.As(err, &rf) && inTheWay(rf) == "folders":
		return withHint(err, fmt.Sprintf("what is in the way stays there when you run restore again: move the folders in the way away (--overwrite never replaces a folder), or restore into another --to than %s", to))
	case errors.As(err, &rf) && inTheWay(rf) != "":
		return withHint(err, fmt.Sprintf("what is in the way stays there when you run restore again: add --overwrite to replace the files and symlinks in the way (a folder in the way is never replaced: move it away), or restore into another --to than %s", to))
	case !errors.As(err, &te):
		return err
	case errors.Is(err, restore.ErrBusy):
		return withHint(err, fmt.Sprintf("wait for the other restore into %s to finish, or restore elsewhere; run this one again then, and files already restored are skipped", to))
	case errors.Is(err, syscall.ENOSPC), errors.Is(err, syscall.EDQUOT):
		return withHint(err, fmt.Sprintf("free some space on the disk of %s, or restore elsewhere; files already restored are skipped when you run restore again", to))
	case errors.Is(err, syscall.EROFS):
		return withHint(err, fmt.Sprintf("%s is on a read-only file system; choose another --to", to))
	case errors.Is(err, fs.ErrPermission):
		return withHint(err, fmt.Sprintf("you may not write there: check the permissions of %s, or choose another --to", to))
	case errors.Is(err, syscall.ENOTDIR):
		return withHint(err, fmt.Sprintf("%s is a file, not a folder: give --to a folder (it is created if missing)", to))
	}
	return err
}

// inTheWay says whether every failure of a restore is something in the
// way in the target: "folders" when each is a folder where the snapshot
// has a file or symlink, "files" when they are different files
// (restore.ErrExists), or files or symlinks where the snapshot has
// another kind (which --overwrite replaces), maybe folders too; "" when
// some failure is of another kind.
func inTheWay(rf *restore.FailedError) string {
	errs := rf.Unwrap()
	what := ""
	for _, e := range errs {
		var iw *restore.InTheWayError
		switch {
		case errors.As(e, &iw) && iw.Found == "folder":
			what = cmp.Or(what, "folders")
		case errors.Is(e, restore.ErrExists), errors.As(e, &iw):
			what = "files"
		default:
			return ""
		}
	}
	return what
}

// checkTargetOutsideVault refuses a restore into a folder vault or a
// folder inside it, before anything is written: the music would lie among
// the vault's objects, which verify reports as foreign ones. A target
// reached through a symlink is compared where it leads.
func (a *app) checkTargetOutsideVault(to string) error {
	loc, err := a.vaultLocation()
	if err != nil || loc == "" || isS3(loc) || strings.Contains(loc, "://") {
		return nil // openVault reports what is wrong with it
	}
	vaultDir, err1 := resolvePath(loc)
	target, err2 := resolvePath(to)
	if err1 != nil || err2 != nil {
		return nil
	}
	rel, err := filepath.Rel(vaultDir, target)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return nil
	}
	what := "inside the vault at " + loc
	if rel == "." {
		what = "the vault folder"
	}
	return usagef("restore into a folder outside the vault, for example --to ~/restored; nothing was written",
		"--to %s is %s", to, what)
}

// resolvePath is p made absolute, with the symlinks of the longest part
// of it that exists resolved.
func resolvePath(p string) (string, error) {
	abs, err := filepath.Abs(p)
	if err != nil {
		return "", err
	}
	rest := ""
	for dir := abs; ; dir = filepath.Dir(dir) {
		if real, err := filepath.EvalSymlinks(dir); err == nil {
			return filepath.Join(real, rest), nil
		}
		if filepath.Dir(dir) == dir {
			return abs, nil
		}
		rest = filepath.Join(filepath.Base(dir), rest)
	}
}

// writePlaylist writes NAME.m3u8 in dir with paths relative to it, to a
// temporary name first; a different existing playlist is only replaced
// with overwrite, and a symlink of that name is never followed.
func writePlaylist(dir, name string, tracks []library.Track, view *library.View, overwrite bool) error {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return err
	}
	defer root.Close()
	var b bytes.Buffer
	if err := library.WriteM3U8(&b, tracks, func(t library.Track) string { return view.Paths[t.ID] }); err != nil {
		return err
	}
	file := safeFileName(name) + ".m3u8"
	if fi, err := root.Lstat(file); err == nil {
		if cur, err := root.ReadFile(file); err == nil && fi.Mode().IsRegular() && bytes.Equal(cur, b.Bytes()) {
			return nil
		}
		if !overwrite {
			return fmt.Errorf("%s: %w", filepath.Join(dir, file), restore.ErrExists)
		}
		if fi.IsDir() {
			return fmt.Errorf("%s: a folder is in the way of the playlist", filepath.Join(dir, file))
		}
	}
	// A temporary name like the restore's, which removes it if left.
	tmp := fmt.Sprintf(".tunesafe-%012x.tmp", rand.Int64N(1<<48))
	f, err := root.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	_, err = f.Write(b.Bytes())
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = root.Rename(tmp, file)
	}
	if err != nil {
		root.Remove(tmp)
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
