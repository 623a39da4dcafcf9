package restore

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/tunesafe/tunesafe/internal/testenv"
)

// Permissions and times the target refuses (FAT and exFAT refuse every
// chmod; here, a folder of another user's that this one may write into)
// are counted, not a failure: the content is restored, with its time.
func TestRefusedModesAreCounted(t *testing.T) {
	if !testenv.Unprivileged() {
		if os.Geteuid() != 0 {
			testenv.SkipOrFail(t, "needs root, to make a folder another user can write into but not chmod")
		}
		// Root's folders, open to all, for the rerun as user nobody.
		base, err := os.MkdirTemp("", "tunesafe-modes-")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.RemoveAll(base) })
		for _, d := range []string{base, filepath.Join(base, "Music")} {
			if err := os.MkdirAll(d, 0o777); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(d, 0o777); err != nil {
				t.Fatal(err)
			}
		}
		t.Setenv("TUNESAFE_TEST_TO", base)
		if !testenv.AsUnprivileged(t) {
			t.Fatal("not rerun as another user")
		}
		return
	}
	to := os.Getenv("TUNESAFE_TEST_TO")
	f := newFixture(t)
	snap := f.snapshot(f.dir("Music", 0o755, f.file("a.flac", 0o644, "audio")))
	res, err := f.restore(snap, Options{To: to})
	if err != nil {
		t.Fatalf("restore: %v", err)
	}
	if res.Restored != 1 || res.AttrsNotSet != 1 {
		t.Errorf("restored %d, attributes not set %d; want 1 and 1 (the folder's)", res.Restored, res.AttrsNotSet)
	}
	p := filepath.Join(to, "Music", "a.flac")
	if readFile(t, p) != "audio" {
		t.Error("content not restored")
	}
	if fi, err := os.Stat(p); err != nil || !fi.ModTime().Equal(testTime) {
		t.Errorf("a.flac: %v, want mtime %v", err, testTime)
	}
}
