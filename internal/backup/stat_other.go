//go:build !linux && !darwin

package backup

import (
	"io/fs"

	"github.com/tunesafe/tunesafe/internal/state"
)

func statOf(fi fs.FileInfo) state.Stat {
	return state.Stat{Size: fi.Size(), MTime: fi.ModTime().UnixNano()}
}
