package restore

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/tunesafe/tunesafe/internal/vault"
)

// The summary counts the folders as they are made, so that a restore that
// stops early still says how many it put in place, and states what the
// selection holds and how many entries failed.
func TestResultCounts(t *testing.T) {
	f := newFixture(t)
	s := f.snapshot(f.dir("music", 0o755,
		f.dir("A", 0o755, f.file("1.mp3", 0o644, "one"), f.file("2.mp3", 0o644, "two!")),
		f.dir("B", 0o755, f.file("3.mp3", 0o644, "three")),
	))
	to := t.TempDir()

	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	res, err := Run(ctx, f.v, s, Options{To: to, Workers: 1, OnFile: func(string, string, *vault.Node) { cancel() }})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupted restore: %v", err)
	}
	if res.Dirs != 3 || res.FilesSelected != 3 || res.BytesSelected != 12 {
		t.Errorf("interrupted restore: dirs %d, files selected %d, bytes selected %d; want 3, 3, 12", res.Dirs, res.FilesSelected, res.BytesSelected)
	}

	if err := os.WriteFile(filepath.Join(to, "music", "B", "3.mp3"), []byte("other"), 0o644); err != nil {
		t.Fatal(err)
	}
	res, err = f.restore(s, Options{To: to})
	if err == nil || res.Failed != 1 || len(res.Failures) != 1 {
		t.Fatalf("restore over a different file: %v; failed %d", err, res.Failed)
	}
	if res.Dirs != 3 || res.Files != 2 || res.FilesSelected != 3 || res.BytesSelected != 12 {
		t.Errorf("second restore: %+v", res)
	}
}
