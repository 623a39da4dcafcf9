package backup

import (
	"io/fs"
	"syscall"

	"github.com/tunesafe/tunesafe/internal/state"
)

func statOf(fi fs.FileInfo) state.Stat {
	s := state.Stat{Size: fi.Size(), MTime: fi.ModTime().UnixNano()}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		s.CTime = st.Ctimespec.Sec*1e9 + st.Ctimespec.Nsec
		s.Dev, s.Ino = uint64(st.Dev), st.Ino
	}
	return s
}
