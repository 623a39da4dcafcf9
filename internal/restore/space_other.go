//go:build !unix

package restore

import (
	"errors"
	"fmt"
)

// FreeSpace is not known on this system: a restore is not checked.
func FreeSpace(dir string) (int64, error) {
	return 0, fmt.Errorf("free space of %s: %w", dir, errors.ErrUnsupported)
}
