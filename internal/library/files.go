package library

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// DefaultLocations lists where iTunes and Music.app keep a user's library
// on goos ("darwin" or "windows"), given the home folder (on Windows
// %USERPROFILE%). XML exports come first, newest naming first, then the
// binary databases and Music.app's library bundle, which this package
// cannot read but a backup must copy. The paths use goos's separator and
// may not exist; callers stat them. Other systems have no default library
// (point Tunesafe at a folder instead), so the list is empty.
func DefaultLocations(goos, home string) []string {
	var sep string
	var rel []string
	switch goos {
	case "darwin":
		sep = "/"
		rel = []string{
			"Music/iTunes/iTunes Library.xml",       // iTunes 10.8+
			"Music/iTunes/iTunes Music Library.xml", // older; may be a stale leftover
			// Music.app (macOS 10.15+) writes no XML by default; with "Share
			// Library XML with other applications" on, it is reported to
			// write this one.
			"Music/Music/Library.xml",
			"Music/iTunes/iTunes Library.itl", // iTunes 10.4+
			"Music/iTunes/iTunes Library",     // before 10.4
			"Music/Music/Music Library.musiclibrary",
		}
	case "windows":
		sep = `\`
		rel = []string{
			`Music\iTunes\iTunes Library.xml`,
			`Music\iTunes\iTunes Music Library.xml`,
			`My Documents\My Music\iTunes\iTunes Library.xml`, // Windows XP
			`My Documents\My Music\iTunes\iTunes Music Library.xml`,
			`Music\iTunes\iTunes Library.itl`,
			`Music\iTunes\iTunes Library`,
			`My Documents\My Music\iTunes\iTunes Library.itl`,
			`My Documents\My Music\iTunes\iTunes Library`,
			`Music\Apple Music\Apple Music Library.musiclibrary`, // the Apple Music app
		}
	default:
		return nil
	}
	home = strings.TrimRight(home, `/\`)
	out := make([]string, len(rel))
	for i, r := range rel {
		out[i] = home + sep + r
	}
	return out
}

// DatabaseFiles lists the library database files in dir, the folder that
// holds a library XML: the XML exports ("... Library.xml"), the iTunes
// database (".itl", or "iTunes Library" without an extension before iTunes
// 10.4), its companions (".itdb"), Music.app databases (".musicdb"), and
// every regular file inside a ".musiclibrary" bundle (also when dir is the
// bundle itself). Media folders and "Previous iTunes Libraries" are not
// searched; symbolic links are not followed. The result is sorted.
func DatabaseFiles(dir string) ([]string, error) {
	if isBundle(dir) {
		return bundleFiles(dir)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("list library database files: %w", err)
	}
	var out []string
	for _, e := range entries {
		p := filepath.Join(dir, e.Name())
		switch {
		case e.IsDir() && isBundle(e.Name()):
			files, err := bundleFiles(p)
			if err != nil {
				return nil, err
			}
			out = append(out, files...)
		case e.Type().IsRegular() && isDatabaseName(e.Name()):
			out = append(out, p)
		}
	}
	slices.Sort(out)
	return out, nil
}

func isBundle(name string) bool {
	return strings.EqualFold(filepath.Ext(filepath.Clean(name)), ".musiclibrary")
}

func isDatabaseName(name string) bool {
	lower := strings.ToLower(name)
	switch filepath.Ext(lower) {
	case ".itl", ".itdb", ".musicdb":
		return true
	case ".xml":
		return strings.HasSuffix(lower, "library.xml")
	case "":
		return lower == "itunes library" || lower == "itunes music library"
	}
	return false
}

func bundleFiles(dir string) ([]string, error) {
	var out []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() {
			out = append(out, p)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list library bundle %s: %w", dir, err)
	}
	slices.Sort(out)
	return out, nil
}
