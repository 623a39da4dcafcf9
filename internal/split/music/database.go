package music

import (
	"path/filepath"
	"strings"
)

// IsLibraryDatabase reports whether name is a music library database:
// iTunes' "iTunes Library.xml", "iTunes Music Library.xml" and *.itl, its
// *.itdb side databases, Music.app's exported "Library.xml" and *.musicdb,
// or any file inside a *.musiclibrary bundle. These are opaque (the binary
// ones are encrypted and compressed as a whole), so they are stored as one
// Database region. name may be a base name or a slash- or
// separator-delimited path; a path is needed to see the bundle.
//
// This is the only rule that goes by name: macOS names are compared
// case-insensitively, as its file systems do.
func IsLibraryDatabase(name string) bool {
	parts := strings.FieldsFunc(name, func(r rune) bool { return r == '/' || r == filepath.Separator })
	if len(parts) == 0 {
		return false
	}
	for _, dir := range parts[:len(parts)-1] {
		if hasSuffixFold(dir, ".musiclibrary") {
			return true
		}
	}
	base := parts[len(parts)-1]
	for _, n := range []string{"iTunes Library.xml", "iTunes Music Library.xml", "Library.xml"} {
		if strings.EqualFold(base, n) {
			return true
		}
	}
	for _, ext := range []string{".itl", ".itdb", ".musicdb"} {
		if hasSuffixFold(base, ext) {
			return true
		}
	}
	return false
}

func hasSuffixFold(s, suffix string) bool {
	return len(s) >= len(suffix) && strings.EqualFold(s[len(s)-len(suffix):], suffix)
}
