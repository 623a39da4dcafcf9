package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A restore whose files need more than the free space of the target is
// refused before anything is written, with how much it needs and how much
// is free, and the ways out; files already in place are not counted.
func TestRestoreChecksFreeSpace(t *testing.T) {
	env, dir := restoreEnv(t)
	for k, v := range env {
		t.Setenv(k, v)
	}
	out := filepath.Join(dir, "out")
	size := int64(len("ID3 not really 01.mp3") * 2)
	restoreWith := func(free int64) error {
		a := newApp(strings.NewReader(""), &bytes.Buffer{}, &bytes.Buffer{})
		return a.runRestore(t.Context(), nil, restoreOptions{to: out, workers: 1, noProgress: true,
			freeSpace: func(string) (int64, error) { return free, nil }})
	}
	err := restoreWith(size - 1)
	code, msg, hint := classify(err)
	if code != exitFailure || !strings.HasPrefix(msg, "not enough free space for the restore into "+out+": it would write 42 B, and 41 B is free") ||
		!strings.Contains(hint, "nothing was written; the restore needs 1 B more than the 41 B free there") || !strings.Contains(hint, "another --to") || !strings.Contains(hint, "PATTERN") {
		t.Fatalf("restore into too little space: exit %d: %s\nhint: %s", code, msg, hint)
	}
	if _, err := os.Stat(out); err == nil {
		t.Fatal("the restore into too little space created the target")
	}
	if err := restoreWith(size); err != nil {
		t.Fatalf("restore into just enough space: %v", err)
	}
	// Everything is in place: nothing more is needed.
	if err := restoreWith(0); err != nil {
		t.Fatalf("restore again with no space left: %v", err)
	}
}
