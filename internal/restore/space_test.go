package restore

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/tunesafe/tunesafe/internal/vault"
)

// The space a restore needs leaves out the files already there with
// their size; checkSpace compares it with the free space of the nearest
// folder of the target that exists.
func TestSpaceNeeded(t *testing.T) {
	f := newFixture(t)
	s := f.snapshot(f.dir("music", 0o755, f.file("a.mp3", 0o644, "aaaa"), f.file("b.mp3", 0o644, "bbbbbb")))
	to := filepath.Join(t.TempDir(), "out")
	need, err := spaceNeeded(f.ctx, f.v, s, Options{To: to})
	if err != nil || need != 10 {
		t.Fatalf("SpaceNeeded into an empty target: %d, %v; want 10", need, err)
	}
	os.MkdirAll(filepath.Join(to, "music"), 0o755)
	os.WriteFile(filepath.Join(to, "music", "a.mp3"), []byte("aaaa"), 0o644)
	if need, err := spaceNeeded(f.ctx, f.v, s, Options{To: to}); err != nil || need != 6 {
		t.Fatalf("SpaceNeeded with a.mp3 in place: %d, %v; want 6", need, err)
	}
	if _, err := spaceNeeded(f.ctx, f.v, s, Options{To: to, Patterns: []string{"nothing"}}); err == nil {
		t.Fatal("SpaceNeeded with a pattern matching nothing: no error")
	}

	var asked string
	free := func(n int64) func(string) (int64, error) {
		return func(dir string) (int64, error) { asked = dir; return n, nil }
	}
	missing := filepath.Join(to, "new", "deeper")
	var ns *NoSpaceError
	if err := checkSpace(missing, 6, free(5)); !errors.As(err, &ns) || ns.Need != 6 || ns.Free != 5 || asked != to {
		t.Fatalf("checkSpace with 5 bytes free for 6: %v (asked %s)", err, asked)
	}
	if err := checkSpace(to, 6, free(6)); err != nil {
		t.Fatalf("checkSpace with enough space: %v", err)
	}
	unknown := func(string) (int64, error) { return 0, errors.ErrUnsupported }
	if err := checkSpace(to, 6, unknown); err != nil {
		t.Fatalf("checkSpace where free space is unknown: %v", err)
	}
	if n, err := FreeSpace(to); err == nil && n <= 0 {
		t.Errorf("FreeSpace(%s) = %d", to, n)
	}
}

// What the partial file of an interrupted restore holds is not written
// again (resume.go), so it is not counted as needed.
func TestSpaceNeededLessPartial(t *testing.T) {
	f := newFixture(t)
	s := f.snapshot(f.dir("music", 0o755, f.file("c.flac", 0o644, "first piece ", "second piece ", "third piece")))
	to := t.TempDir()
	sel, err := newSelection(Options{To: to})
	if err != nil {
		t.Fatal(err)
	}
	p, err := walk(f.ctx, f.v, s.Tree, sel, nil)
	if err != nil || len(p.files) != 1 {
		t.Fatalf("walk: %d files, %v", len(p.files), err)
	}
	c := p.files[0]
	os.MkdirAll(filepath.Join(to, "music"), 0o755)
	if err := os.WriteFile(filepath.Join(to, partialBase(c.lp, &c.node)+partSuffix), []byte("first piece "), 0o600); err != nil {
		t.Fatal(err)
	}
	if need, err := spaceNeeded(f.ctx, f.v, s, Options{To: to}); err != nil || need != int64(len("second piece third piece")) {
		t.Fatalf("SpaceNeeded with the first piece in a partial file: %d, %v; want %d", need, err, len("second piece third piece"))
	}
}

// spaceNeeded is what Run finds its restore of s with o needs in o.To
// (plan.spaceNeeded), or the error of its selection.
func spaceNeeded(ctx context.Context, v *vault.Vault, s *vault.Snapshot, o Options) (int64, error) {
	sel, err := newSelection(o)
	if err != nil {
		return 0, err
	}
	p, err := walk(ctx, v, s.Tree, sel, nil)
	if err != nil {
		return 0, err
	}
	if err := sel.check(); err != nil {
		return 0, err
	}
	return p.spaceNeeded(o.To), nil
}
