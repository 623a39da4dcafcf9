package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/tunesafe/tunesafe/internal/exclude"
)

// excludeHelp explains --exclude and the config file's "exclude".
const excludeHelp = `leave out files and folders matching this pattern (repeatable; adds to "exclude" in the config file): a name alone (".DS_Store", "*.tmp", "Podcasts/" for folders only) matches at any depth, a path ("~/Music/Downloads") one place`

// exclusions is what a backup leaves out: the config file's "exclude"
// patterns and extra (from --exclude), and Tunesafe's own files when they
// lie inside a source: the vault if it is a folder, folder replicas, and
// the local state.
func (a *app) exclusions(cfg *fileConfig, extra []string) (*exclude.Set, error) {
	home, _ := os.UserHomeDir()
	set := &exclude.Set{}
	if err := set.Add(cfg.Exclude, home); err != nil {
		file := a.configFile()
		return nil, usagef(fmt.Sprintf(`fix "exclude" in %s, for example "exclude": [".DS_Store", "*.tmp", "~/Music/Podcasts"]`, file),
			"config file %s: %q: %v", file, "exclude", err)
	}
	if err := set.Add(extra, home); err != nil {
		return nil, usagef(`for example --exclude .DS_Store --exclude "*.tmp" --exclude ~/Music/Podcasts`, "%v", err)
	}
	own := func(path, why string) error {
		if err := set.Own(path, why); err != nil {
			return withHint(err, "check the path")
		}
		return nil
	}
	if loc, err := a.vaultLocation(); err == nil && !isS3(loc) {
		if err := own(loc, "the vault"); err != nil {
			return nil, err
		}
	}
	for _, c := range cfg.Copies {
		// A copy the config file names wrongly is never written to.
		if c.err == nil && c.To != "" && !isS3(c.To) {
			if err := own(c.To, "a copy of the vault"); err != nil {
				return nil, err
			}
		}
	}
	cache := a.cacheFile()
	if a.statePath == "" {
		// The default state folder is Tunesafe's alone.
		return set, own(filepath.Dir(cache), "Tunesafe's local state")
	}
	// A cache named with --cache may sit in any folder: leave out only
	// what Tunesafe keeps beside it.
	for _, p := range []string{cache, cache + "-wal", cache + "-shm", cache + "-journal",
		filepath.Join(filepath.Dir(cache), "vaults"), a.agentStatusFile()} {
		if err := own(p, "Tunesafe's local state"); err != nil {
			return nil, err
		}
	}
	return set, nil
}
