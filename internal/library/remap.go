package library

import "strings"

// Remap rewrites the leading from of a path in the OS-independent form (see
// DecodeLocation) to to, for a library whose files have moved since the
// export, or to point an export at a copy of its files. It reports whether
// from matched.
//
// from matches whole components only: "/Music" matches "/Music" and
// "/Music/a.mp3" but not "/Musical/a.mp3". Backslashes in from and to are
// read as separators when they start with a drive or `\\` (so a Windows
// user may type `D:\Music`), and trailing separators are ignored. When from
// is a Windows path (a drive or a share) it matches case-insensitively, as
// Windows does. An empty to makes the result relative to from ("a.mp3", or
// "." for from itself).
func Remap(path, from, to string) (string, bool) {
	from = slashForm(from)
	to = slashForm(to)
	if from == "" {
		return path, false
	}
	if isUNC(path) && !strings.HasPrefix(from, "//") {
		return path, false // a POSIX prefix never covers a network share
	}
	n := len(from)
	if len(path) < n {
		return path, false
	}
	head, rest := path[:n], path[n:]
	if isDrive(from, false) || isUNC(from) {
		if !strings.EqualFold(head, from) {
			return path, false
		}
	} else if head != from {
		return path, false
	}
	switch {
	case rest == "":
	case strings.HasSuffix(from, "/"): // a root: "/" or "C:/"
	case rest[0] == '/':
		rest = rest[1:]
	default:
		return path, false // a longer component: "/Musical" for "/Music"
	}
	switch {
	case to == "" && rest == "":
		return ".", true
	case to == "":
		return rest, true
	case rest == "":
		return to, true
	}
	if strings.HasSuffix(to, "/") {
		return to + rest, true
	}
	return to + "/" + rest, true
}

// Remap applies Remap to the Path of every local track and returns how many
// changed. Location keeps the URL of the export.
func (l *Library) Remap(from, to string) int {
	n := 0
	for id, t := range l.Tracks {
		if t.Path == "" {
			continue
		}
		if p, ok := Remap(t.Path, from, to); ok {
			t.Path = p
			l.Tracks[id] = t
			n++
		}
	}
	return n
}

// slashForm converts a user-supplied prefix to the OS-independent form and
// drops trailing separators, keeping those of a root.
func slashForm(p string) string {
	if len(p) >= 2 && isDrive(p[:2], false) || strings.HasPrefix(p, `\\`) {
		p = strings.ReplaceAll(p, `\`, "/")
	}
	return trimTrailingSlash(p)
}
