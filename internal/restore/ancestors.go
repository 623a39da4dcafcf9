package restore

import (
	"io/fs"

	"github.com/tunesafe/tunesafe/internal/vault"
)

// Ancestors. A snapshot made with a music library holds, besides the
// backed-up paths, files that lie outside them (tracks on another disk,
// the library's XML), each under its absolute path: /tmp/x/song.mp3 is
// tmp/x/song.mp3, and the folders tmp and tmp/x hold only such files
// (docs/FORMAT.md, "Snapshots"). Those folders were not backed up, only
// passed through on the way to the files: the modes they record are the
// system's (/tmp world-writable and sticky, a shared folder setgid), not
// anything the user chose for a restore. So a restore makes them as
// mkdir -p would: a new one gets 0755 less the umask (and what the system
// passes on from its parent, such as a setgid group), one found is left
// as it is, mode and time (given the owner's rwx only while the restore
// writes into it). No special bit or world-writability of theirs comes
// back, and a restore of such files in place (--to /) leaves the system's
// folders alone.
//
// The snapshot does not mark them. They are the folders of the root tree
// whose names are none of the snapshot's paths' (rootNames), and every
// folder below those; a folder at or below a backed-up path, named by a
// pattern or only on the way to one, gets the mode and time it records.

// rootNames returns the names of the root tree's entries for the
// backed-up paths (vault.RootName).
func rootNames(paths []string) map[string]bool {
	names := map[string]bool{}
	for _, p := range paths {
		names[vault.RootName(p)] = true
	}
	return names
}

// finishAncestor gives the ancestor lp back the mode mkdir found it with,
// when mkdir changed it (found is not 0); its time is left as it is.
func (tg *target) finishAncestor(lp string, found fs.FileMode) {
	if found != 0 && tg.root.Chmod(lp, found) != nil {
		tg.attrsNotSet.Add(1)
	}
}
