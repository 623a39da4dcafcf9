// Package testenv finds what tests need outside the repository (the shared
// corpus of real audio files, external programs, S3 servers) and decides what
// happens when it is missing: on a user's clone the test is skipped; in CI
// (TUNESAFE_CI=1, set by .ci/run) a skip becomes a failure, so that nothing
// CI is meant to check passes silently.
package testenv

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
)

// Strict reports whether missing test prerequisites are failures.
func Strict() bool { return os.Getenv("TUNESAFE_CI") == "1" }

// SkipOrFail skips the test, or fails it in strict mode.
func SkipOrFail(t testing.TB, format string, args ...any) {
	t.Helper()
	if Strict() {
		t.Fatalf("required in CI: "+format, args...)
	}
	t.Skipf(format, args...)
}

// ModuleRoot returns the repository's root directory.
func ModuleRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
}

// Shared returns the path of ../shared beside the repository (or
// $TUNESAFE_SHARED), skipping or failing when it is absent.
func Shared(t testing.TB) string {
	t.Helper()
	dir := os.Getenv("TUNESAFE_SHARED")
	if dir == "" {
		dir = filepath.Join(ModuleRoot(), "..", "shared")
	}
	if _, err := os.Stat(filepath.Join(dir, "corpus")); err != nil {
		SkipOrFail(t, "shared corpus not found at %s", dir)
	}
	return dir
}

// Corpus returns the path of a folder under shared/corpus, e.g. "mutagen".
func Corpus(t testing.TB, name string) string {
	t.Helper()
	return filepath.Join(Shared(t), "corpus", name)
}

// LookPath returns the path of an external program, skipping or failing
// when it is not installed.
func LookPath(t testing.TB, prog string) string {
	t.Helper()
	p, err := exec.LookPath(prog)
	if err != nil {
		SkipOrFail(t, "%s not installed", prog)
	}
	return p
}
