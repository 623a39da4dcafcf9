package restore

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/tunesafe/tunesafe/internal/bytesize"
)

// NoSpaceError reports a target whose file system has less free space
// than the files a restore would write there: found before anything is
// written, rather than as a disk full halfway through.
type NoSpaceError struct {
	To         string
	Need, Free int64
}

func (e *NoSpaceError) Error() string {
	return fmt.Sprintf("not enough free space for the restore into %s: it would write %s, and %s is free",
		e.To, bytesize.Format(e.Need), bytesize.Format(e.Free))
}

// spaceNeeded returns how many bytes the restore of p would write into
// to: the sizes of the selected files, less those of the files already
// there with their size (taken as already correct: the restore leaves
// them alone), and less what the partial files of an interrupted restore
// hold of them (resumed, not written again, see resume.go).
func (p *plan) spaceNeeded(to string) int64 {
	var need int64
	for _, f := range p.files {
		fi, err := os.Lstat(filepath.Join(to, f.lp))
		if err == nil && fi.Mode().IsRegular() && fi.Size() == f.node.Size {
			continue
		}
		need += f.node.Size
		if resumable(&f.node) {
			if fi, err := os.Lstat(filepath.Join(to, partialBase(f.lp, &f.node)+partSuffix)); err == nil && fi.Mode().IsRegular() {
				need -= min(fi.Size(), f.node.Size)
			}
		}
	}
	return need
}

// checkSpace returns a *NoSpaceError when the file system of to (or of
// the nearest folder above it that exists, as to is created by the
// restore) has less than need bytes free by free, which is FreeSpace
// outside tests. A file system whose free space cannot be told is not
// checked.
func checkSpace(to string, need int64, free func(dir string) (int64, error)) error {
	if need <= 0 || free == nil {
		return nil
	}
	dir, err := filepath.Abs(to)
	if err != nil {
		return nil
	}
	for {
		if _, err := os.Stat(dir); err == nil || filepath.Dir(dir) == dir {
			break
		}
		dir = filepath.Dir(dir)
	}
	n, err := free(dir)
	if err != nil {
		return nil // errors.ErrUnsupported, or the restore will report it
	}
	if n < need {
		return &NoSpaceError{To: to, Need: need, Free: n}
	}
	return nil
}
