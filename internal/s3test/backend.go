package s3test

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/versity/versitygw/backend/meta"
	"github.com/versity/versitygw/backend/posix"
)

// PosixBackend returns versitygw's posix backend storing objects under
// dir/data, versions (for Object Lock) under dir/versions, and object
// metadata in user xattrs where the filesystem has them (ext4, xfs,
// btrfs), else in a sidecar tree dir/meta.
//
// posix.New makes dir/data the working directory of the process and
// resolves objects relative to it: call it only in a process of its own
// (the gateway children of this package and of the benchmark).
func PosixBackend(dir string) (*posix.Posix, error) {
	root, versions := filepath.Join(dir, "data"), filepath.Join(dir, "versions")
	for _, d := range []string{root, versions} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, err
		}
	}
	var ms meta.MetadataStorer = meta.XattrMeta{}
	if (meta.XattrMeta{}).Test(root) != nil {
		side := filepath.Join(dir, "meta")
		if err := os.MkdirAll(side, 0o700); err != nil {
			return nil, err
		}
		var err error
		if ms, err = meta.NewSideCar(side); err != nil {
			return nil, err
		}
	}
	be, err := posix.New(root, ms, posix.PosixOpts{
		VersioningDir: versions,
		// Not defaulted when embedded: 0 would refuse every CopyObject.
		CopyObjectThreshold: 5 << 30,
	})
	if err != nil {
		return nil, fmt.Errorf("posix backend: %w", err)
	}
	return be, nil
}
