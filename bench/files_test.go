package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCompareTrees checks that the restore check catches every kind of
// difference, since a benchmark that passes a wrong restore is worse than
// none.
func TestCompareTrees(t *testing.T) {
	src := t.TempDir()
	for name, data := range map[string]string{"Music/a/01 x.mp3": "audio", "Music/b/02 y.flac": "more audio", "top.txt": ""} {
		p := filepath.Join(src, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	dst := filepath.Join(t.TempDir(), "copy")
	files, n, err := copyTree(src, dst)
	if err != nil || files != 3 || n != int64(len("audio")+len("more audio")) {
		t.Fatalf("copyTree: %d files, %d bytes, %v", files, n, err)
	}
	want, err := hashTree(src)
	if err != nil {
		t.Fatal(err)
	}
	check := func(wantErr string) {
		t.Helper()
		got, err := hashTree(dst)
		if err != nil {
			t.Fatal(err)
		}
		err = compareTrees(want, got)
		switch {
		case wantErr == "" && err != nil:
			t.Fatalf("identical trees: %v", err)
		case wantErr != "" && (err == nil || !strings.Contains(err.Error(), wantErr)):
			t.Fatalf("got %v, want an error mentioning %q", err, wantErr)
		}
	}
	check("")
	// Same size, one byte different.
	if err := os.WriteFile(filepath.Join(dst, "Music", "a", "01 x.mp3"), []byte("audiO"), 0o644); err != nil {
		t.Fatal(err)
	}
	check("different: Music/a/01 x.mp3")
	if err := os.WriteFile(filepath.Join(dst, "Music", "a", "01 x.mp3"), []byte("audio"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dst, "stray"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	check("extra: stray")
	if err := os.Remove(filepath.Join(dst, "stray")); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(dst, "top.txt")); err != nil {
		t.Fatal(err)
	}
	check("missing: top.txt")
}

// TestPlanLibrary checks the generator's promises: every format present,
// with covers, distinct seeds, about a tenth of the tracks marked for retagging, and
// the same plan for the same parameters (the cache relies on it).
func TestPlanLibrary(t *testing.T) {
	for _, c := range []struct {
		size  int64
		short bool
	}{{4_000_000, true}, {2_000_000_000, false}} {
		tracks := planLibrary(c.size, c.short)
		formats, covered, seeds, retag := map[string]int{}, map[string]bool{}, map[int64]bool{}, 0
		for _, tr := range tracks {
			formats[tr.Format]++
			covered[tr.Format] = covered[tr.Format] || tr.Cover != ""
			if seeds[tr.Seed] || seeds[mirrorSeed(tr.Seed)] || tr.Seed <= 0 || tr.Seed >= 1<<32 {
				t.Errorf("%s: seed %d repeated or out of anoisesrc's range", tr.Path, tr.Seed)
			}
			seeds[tr.Seed], seeds[mirrorSeed(tr.Seed)] = true, true
			if tr.Retag {
				retag++
				if !strings.Contains(tr.Artist, ", ") {
					t.Errorf("%s: marked for retagging but artist %q is not \"Last, First\"", tr.Path, tr.Artist)
				}
			}
		}
		if len(formats) != len(musicFormats) || len(covered) != len(musicFormats) {
			t.Errorf("size %d: formats %v, want all of %d", c.size, formats, len(musicFormats))
		}
		for f, ok := range covered {
			if !ok {
				t.Errorf("size %d: no %s track has a cover", c.size, f)
			}
		}
		if retag != len(tracks)/10 {
			t.Errorf("size %d: %d of %d tracks to retag, want a tenth", c.size, retag, len(tracks))
		}
		again := planLibrary(c.size, c.short)
		for i := range tracks {
			if tracks[i] != again[i] {
				t.Fatalf("size %d: plan differs between calls at track %d", c.size, i)
			}
		}
	}
}
