package backup

import (
	"fmt"
	"path/filepath"
)

// CheckNames reports two source paths that would have the same name at the
// root of a snapshot, which holds each source path under its last element
// (rootName): /a/Music and /b/Music cannot both be "Music". The command
// line calls it before it opens or creates the vault; a pass checks again.
func CheckNames(paths []string) error {
	names := map[string]string{}
	for _, p := range paths {
		abs, err := filepath.Abs(p)
		if err != nil {
			return err
		}
		name := rootName(abs)
		if other, dup := names[name]; dup {
			return sameNameError(other, abs, name)
		}
		names[name] = abs
	}
	return nil
}

func sameNameError(a, b, name string) error {
	return fmt.Errorf("%s and %s have the same name %q: back them up to separate vaults or pass their parent", a, b, name)
}
