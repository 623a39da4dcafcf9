package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"path/filepath"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/spf13/cobra"

	"github.com/tunesafe/tunesafe/internal/backup"
	"github.com/tunesafe/tunesafe/internal/restore"
	"github.com/tunesafe/tunesafe/internal/vault"
)

func (a *app) lsCommand() *cobra.Command {
	var recursive, playlists bool
	var host string
	var sel selection
	c := &cobra.Command{
		Use:   "ls [SNAPSHOT] [PATH]",
		Short: "List files in a snapshot (default: the latest)",
		Long: `List the files in a snapshot. SNAPSHOT is an ID prefix or "latest" (the
default); PATH is a folder inside the snapshot, as shown by ls ("Music/Sibelius")
or as this computer has it ("/home/anna/Music/Sibelius" for a backup of
/home/anna/Music). A single argument that is neither "latest" nor an ID prefix
is a PATH in the latest snapshot. With -r, list everything below it. --artist, --album and --playlist list the tracks of the
music library recorded with 'backup --library'; --playlists lists playlists.

A folder whose tree (its list of files) the vault lost or holds damaged is
warned of and everything else listed; ls then exits with 4.

Computers backing up into one vault each record their host name in their
snapshots (backup --host, default this computer's name). "latest" is this
computer's newest snapshot; --host NAME lists the newest of computer NAME
instead. A computer with no snapshot of its own lists the newest of any
computer, and says whose. A SNAPSHOT ID lists that snapshot, whatever its
host (and says so when it is another computer's); with --host too, it must
be of that host.`,
		Args: cobra.MaximumNArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			which, p := "latest", ""
			switch {
			case len(args) == 1 && !snapshotArg(args[0]):
				p = args[0] // tunesafe ls Music/Sibelius
			case len(args) > 0:
				which = args[0]
				if len(args) > 1 {
					p = args[1]
				}
			}
			if playlists || !sel.empty() {
				return a.runLsLibrary(cmd.Context(), which, host, sel, playlists)
			}
			return a.runLs(cmd.Context(), which, host, p, recursive)
		},
	}
	c.Flags().BoolVarP(&recursive, "recursive", "r", false, "list everything below PATH")
	c.Flags().StringVar(&sel.artist, "artist", "", "list this artist's tracks")
	c.Flags().StringVar(&sel.album, "album", "", "list this album's tracks")
	c.Flags().StringVar(&sel.playlist, "playlist", "", "list this playlist's tracks")
	c.Flags().BoolVar(&playlists, "playlists", false, "list the library's playlists")
	c.Flags().StringVar(&host, "host", "", "latest is the newest snapshot of this host, not this computer's (a SNAPSHOT ID must be of it)")
	return c
}

// lsEntry is one line of ls, and one object of ls --json (README).
type lsEntry struct {
	// Path is exact; JSON cannot carry a path that is not valid UTF-8,
	// so PathRaw then holds its bytes (base64 in JSON) for a program to
	// give back to restore, and "path" shows it with U+FFFD.
	Path    string `json:"path"`
	PathRaw []byte `json:"path_raw,omitempty"`
	Type    string `json:"type"`
	// Size is set for every file, 0 included, and for nothing else.
	Size   *int64    `json:"size,omitempty"`
	Mode   string    `json:"mode"`
	MTime  time.Time `json:"mtime"`
	SHA256 string    `json:"sha256,omitempty"`
	// Target of a symlink, and TargetRaw as for PathRaw.
	Target    string `json:"target,omitempty"`
	TargetRaw []byte `json:"target_raw,omitempty"`
}

func newLsEntry(p string, n *vault.Node) lsEntry {
	e := lsEntry{Path: p, Type: n.Type, Mode: lsMode(n.FileMode()), MTime: n.MTime, SHA256: n.SHA256, Target: n.LinkTarget()}
	if !utf8.ValidString(e.Path) {
		e.PathRaw = []byte(e.Path)
	}
	if !utf8.ValidString(e.Target) {
		e.TargetRaw = []byte(e.Target)
	}
	if n.Type == vault.TypeFile {
		size := n.Size
		e.Size = &size
	}
	return e
}

func (a *app) runLs(ctx context.Context, which, host, dir string, recursive bool) error {
	s, err := a.openVault(ctx)
	if err != nil {
		return err
	}
	defer s.Close()
	snap, err := a.lsSnapshot(ctx, s, which, host)
	if err != nil {
		return err
	}
	dir = strings.Trim(inSnapshot(snap.Snapshot, dir), "/")
	treeID, err := findDir(ctx, s.vault, snap.Tree, dir)
	if err != nil {
		return treeHint(err, "ls")
	}
	t, err := restore.ReadTree(ctx, s.vault, treeID, dir)
	if err != nil {
		return treeHint(err, "ls")
	}
	out, unreadable, err := a.lsWalk(ctx, s.vault, t, dir, recursive)
	if err != nil {
		return err
	}
	if a.json {
		if out == nil {
			out = []lsEntry{}
		}
		if err := a.printJSON(out); err != nil {
			return err
		}
	} else {
		a.printLs(out)
	}
	if len(unreadable) > 0 {
		msg := fmt.Sprintf("snapshot %s: %s cannot be read; everything else is listed", short(snap.ID.String()), plural(len(unreadable), "folder", "folders"))
		return treeHint(&lsUnreadableError{msg, unreadable[0]}, "ls")
	}
	return nil
}

// lsSnapshot finds the snapshot ls lists. The listing does not name it,
// so a snapshot ID of another computer's snapshot is noted (one of
// "latest", or with --host, already is).
func (a *app) lsSnapshot(ctx context.Context, s *session, which, host string) (vault.SnapshotRef, error) {
	snap, err := a.findSnapshot(ctx, s, which, latestOf(host))
	if err == nil && host == "" && !isLatest(which) && otherComputer(snap) {
		fmt.Fprintf(a.stderr, "tunesafe: note: listing snapshot %s, not one of this computer (%s)\n", snapshotOf(snap), thisHost())
	}
	return snap, err
}

// lsUnreadableError ends an ls that warned of folders it could not read.
// It unwraps to the first one's *restore.TreeError, so that ls exits with
// the integrity code.
type lsUnreadableError struct {
	msg   string
	first *restore.TreeError
}

func (e *lsUnreadableError) Error() string { return e.msg }
func (e *lsUnreadableError) Unwrap() error { return e.first }

// lsWalk lists the entries of tree t, that of the folder dir, and with
// recursive everything below them. A folder whose tree the vault lost or
// holds damaged is warned of, returned, and the rest listed.
func (a *app) lsWalk(ctx context.Context, v *vault.Vault, t *vault.Tree, dir string, recursive bool) ([]lsEntry, []*restore.TreeError, error) {
	var out []lsEntry
	var unreadable []*restore.TreeError
	var walk func(t *vault.Tree, prefix string) error
	walk = func(t *vault.Tree, prefix string) error {
		for _, n := range t.Nodes {
			p := path.Join(prefix, n.FileName())
			out = append(out, newLsEntry(p, &n))
			if !recursive || n.Type != vault.TypeDir {
				continue
			}
			sub, err := restore.ReadTree(ctx, v, *n.Subtree, p)
			var te *restore.TreeError
			switch {
			case errors.As(err, &te):
				fmt.Fprintf(a.stderr, "tunesafe: warning: %v\n", te)
				unreadable = append(unreadable, te)
			case err != nil:
				return err
			default:
				if err := walk(sub, p); err != nil {
					return err
				}
			}
		}
		return nil
	}
	err := walk(t, dir)
	return out, unreadable, err
}

// printLs prints entries as ls -l does.
func (a *app) printLs(out []lsEntry) {
	for _, e := range out {
		name := e.Path
		if e.Type == vault.TypeDir {
			name += "/"
		}
		if e.Type == vault.TypeSymlink {
			name += " -> " + e.Target
		}
		var size int64
		if e.Size != nil {
			size = *e.Size
		}
		fmt.Fprintf(a.stdout, "%s %12d %s %s\n", e.Mode, size, e.MTime.Local().Format("2006-01-02 15:04"), name)
	}
}

// snapshotArg reports whether arg can name a snapshot: "latest" or an ID
// prefix (hexadecimal digits). Anything else is a path.
func snapshotArg(arg string) bool {
	if isLatest(arg) {
		return true
	}
	for _, c := range arg {
		if !strings.ContainsRune("0123456789abcdef", c) {
			return false
		}
	}
	return true
}

// inSnapshot is the path in snap of p, given as ls and restore show it
// ("Music/Sibelius") or as the computer that made snap has it
// ("/home/anna/Music/Sibelius", the path it backed up and the one a user
// types first): an absolute path is taken for the second.
func inSnapshot(snap *vault.Snapshot, p string) string {
	if !filepath.IsAbs(p) {
		return p
	}
	rel, err := backup.SnapshotPath(backup.Options{Paths: snap.Paths}, p)
	if err != nil {
		return p
	}
	return rel
}

// findDir walks from the root tree to the folder named by p. A tree on
// the way that the vault lost or holds damaged is a *restore.TreeError.
func findDir(ctx context.Context, v *vault.Vault, root vault.ID, p string) (vault.ID, error) {
	id := root
	p = strings.Trim(p, "/")
	if p == "" {
		return id, nil
	}
	at := ""
	for _, name := range strings.Split(p, "/") {
		t, err := restore.ReadTree(ctx, v, id, at)
		if err != nil {
			return vault.ID{}, err
		}
		n := t.Find(name)
		if n == nil {
			return vault.ID{}, usagef("list the snapshot with 'tunesafe ls' to see what it holds", "%s: not in the snapshot", p)
		}
		if n.Type != vault.TypeDir {
			return vault.ID{}, usagef("", "%s is not a folder", p)
		}
		id = *n.Subtree
		at = path.Join(at, name)
	}
	return id, nil
}

type trackJSON struct {
	Artist string `json:"artist"`
	Album  string `json:"album"`
	Track  int    `json:"track_number,omitempty"`
	Title  string `json:"title"`
	Path   string `json:"path,omitempty"`
	Stored bool   `json:"stored"`
}

func (a *app) runLsLibrary(ctx context.Context, which, host string, sel selection, playlists bool) error {
	s, err := a.openVault(ctx)
	if err != nil {
		return err
	}
	defer s.Close()
	snap, err := a.lsSnapshot(ctx, s, which, host)
	if err != nil {
		return err
	}
	view, err := loadView(ctx, s.vault, snap.Snapshot)
	if err != nil {
		return err
	}
	if playlists {
		names := playlistNames(view)
		if a.json {
			return a.printJSON(names)
		}
		for _, n := range names {
			fmt.Fprintln(a.stdout, n)
		}
		return nil
	}
	tracks, err := sel.tracks(view)
	if err != nil {
		return err
	}
	out := []trackJSON{}
	for _, t := range tracks {
		p, ok := view.Paths[t.ID]
		out = append(out, trackJSON{Artist: t.Artist, Album: t.Album, Track: t.TrackNumber, Title: t.Name, Path: p, Stored: ok})
	}
	if a.json {
		return a.printJSON(out)
	}
	for _, t := range out {
		where := t.Path
		if !t.Stored {
			where = "(no file in this snapshot)"
		}
		fmt.Fprintf(a.stdout, "%s - %s - %02d %s\t%s\n", t.Artist, t.Album, t.Track, t.Title, where)
	}
	return nil
}

// lsMode writes a mode as ls -l does ("drwxrwxrwt", "-rwsr-xr-x"), not
// as Go's FileMode.String, which puts the type and the special bits in
// letters of its own before the permissions ("dtrwxrwxrwx", "Lrwx...").
func lsMode(m fs.FileMode) string {
	b := []byte("-rwxrwxrwx")
	// In this order: a character device is also a ModeDevice.
	for _, t := range []struct {
		bit    fs.FileMode
		letter byte
	}{{fs.ModeDir, 'd'}, {fs.ModeSymlink, 'l'}, {fs.ModeNamedPipe, 'p'}, {fs.ModeSocket, 's'}, {fs.ModeCharDevice, 'c'}, {fs.ModeDevice, 'b'}} {
		if m&t.bit != 0 {
			b[0] = t.letter
			break
		}
	}
	for i := range 9 {
		if m&(1<<(8-i)) == 0 {
			b[1+i] = '-'
		}
	}
	// A special bit shows in the execute column: lower case when the
	// execute bit is set too, upper case when not.
	special := func(col int, set bool, c byte) {
		if !set {
			return
		}
		if b[col] == '-' {
			c -= 'a' - 'A'
		}
		b[col] = c
	}
	special(3, m&fs.ModeSetuid != 0, 's')
	special(6, m&fs.ModeSetgid != 0, 's')
	special(9, m&fs.ModeSticky != 0, 't')
	return string(b)
}
