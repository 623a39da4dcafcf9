//go:build unix

package estimate

import (
	"path/filepath"
	"syscall"
	"testing"
)

func TestScanSkipsSpecialFiles(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "a.flac"), 100)
	if err := syscall.Mkfifo(filepath.Join(dir, "pipe"), 0o600); err != nil {
		t.Skip("cannot make a FIFO:", err)
	}
	got, err := Scan(t.Context(), []string{dir}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := (Totals{Files: 1, Bytes: 100, Dirs: 1, Skipped: 1}); got != want {
		t.Errorf("Scan = %+v, want %+v", got, want)
	}
}
