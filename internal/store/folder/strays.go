package folder

import (
	"context"
	"fmt"
	"io/fs"
	"iter"
	"path/filepath"
	"strings"

	"github.com/tunesafe/tunesafe/internal/store"
)

// Strays yields what List cannot show, each with its path (slash-separated,
// relative to the folder) as Info.Key and, for a regular file, its size: files whose path is no key (a space or a letter
// outside ASCII in a name, "blobs/ab/My Song.mp3"), and symlinks, fifos
// and other files that are not regular. An audit reports them, since
// nothing else would: a folder vault is one place where the user, or a
// program, can drop anything. Put's temporary files (".put …") are left
// out: they are this store's own, of a Put under way or cut short.
func (s *Store) Strays(ctx context.Context) iter.Seq2[store.Info, error] {
	return func(yield func(store.Info, error) bool) {
		err := filepath.WalkDir(s.root, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				if isMissing(err) && p != s.root {
					return nil // removed while we walked
				}
				if d != nil && d.IsDir() && filepath.Dir(p) == s.root && SystemFolder(d.Name()) {
					return filepath.SkipDir
				}
				return classify(fmt.Errorf("strays: %w", err))
			}
			if err := ctx.Err(); err != nil {
				return err
			}
			if p == s.root {
				return nil
			}
			if d.IsDir() {
				if filepath.Dir(p) == s.root && SystemFolder(d.Name()) {
					return filepath.SkipDir
				}
				return nil
			}
			rel, err := filepath.Rel(s.root, p)
			if err != nil {
				return err
			}
			key := filepath.ToSlash(rel)
			if strings.HasPrefix(d.Name(), ".put ") {
				return nil
			}
			if store.ValidKey(key) && d.Type().IsRegular() {
				return nil // an object: List yields it
			}
			info := store.Info{Key: key}
			if fi, err := d.Info(); err == nil {
				info.ModTime = fi.ModTime()
				if fi.Mode().IsRegular() {
					info.Size = fi.Size()
				}
			}
			if !yield(info, nil) {
				return filepath.SkipAll
			}
			return nil
		})
		if err != nil {
			yield(store.Info{}, err)
		}
	}
}
