package auditlog

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"

	"github.com/tunesafe/tunesafe/internal/store/folder"
)

// TestCrashBeforeFlush: a run journals records and stops without
// flushing; the next Open publishes them. An operation that was journaled
// but never sent, and one that was sent but whose outcome was never
// recorded, are settled by asking the store.
func TestCrashBeforeFlush(t *testing.T) {
	f := newFixture(t)
	l := f.open()
	s := Wrap(f.store, l)
	put(t, s, "blobs/aa", "one")
	put(t, s, "blobs/bb", "two")
	del(t, s, "blobs/bb")
	if _, err := l.Begin(Put{Key: "blobs/never-sent", SHA256: sum("x"), Size: 1}); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Begin(Put{Key: "blobs/sent", SHA256: sum("y"), Size: 1}); err != nil {
		t.Fatal(err)
	}
	put(t, f.store, "blobs/sent", "y") // the PUT happened; the process died before Done
	l.release()                        // the process dies: nothing published
	if _, err := f.store.Stat(t.Context(), checkpointKey); err == nil {
		t.Fatal("a checkpoint was published without Flush")
	}

	l = f.open()
	want := []string{"put blobs/aa ok", "put blobs/bb ok", "delete blobs/bb ok", "put blobs/never-sent failed", "put blobs/sent ok"}
	if got := keysOf(entries(t, l)); !slices.Equal(got, want) {
		t.Fatalf("entries %q, want %q", got, want)
	}
	if ents, _ := os.ReadDir(filepath.Join(f.dir, journalDir)); len(ents) != 1 {
		t.Fatalf("journal holds %d files after recovery, want 1 (the new one)", len(ents))
	}
	rep, err := Audit(t.Context(), l, f.store, AuditOptions{Deep: true})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Failures() != 0 || rep.Counts.Foreign != 0 {
		t.Fatalf("audit after recovery: %+v\n%+v", rep.Counts, rep.Findings)
	}
}

// TestCrashAfterPublish: a run publishes a flush in the vault and dies
// before committing it locally. The next Open finds its own records in the
// vault and does not publish them twice.
func TestCrashAfterPublish(t *testing.T) {
	f := newFixture(t)
	l := f.open()
	s := Wrap(f.store, l)
	put(t, s, "blobs/aa", "one")
	flush(t, l)
	put(t, s, "blobs/bb", "two")
	put(t, s, "blobs/cc", "three")
	before := t.TempDir()
	copyDir(t, f.dir, before)
	flush(t, l)
	l.release()

	f.dir = before // the local commit never happened
	l = f.open()
	want := []string{"put blobs/aa ok", "put blobs/bb ok", "put blobs/cc ok"}
	if got := keysOf(entries(t, l)); !slices.Equal(got, want) {
		t.Fatalf("entries %q, want %q", got, want)
	}
}

// TestCrashMidFlush: a run writes the entries object and dies before the
// checkpoint. The leftover object is replaced, not counted twice.
func TestCrashMidFlush(t *testing.T) {
	f := newFixture(t)
	fs := &faultStore{Store: f.mem}
	f.store = fs
	l := f.open()
	s := Wrap(fs, l)
	put(t, s, "blobs/aa", "one")
	fs.setFail(func(op, key string) bool { return op == "put" && key != segmentKey(0, 1) && !isBlob(key) })
	if err := l.Flush(t.Context()); err == nil {
		t.Fatal("Flush succeeded")
	}
	put(t, s, "blobs/bb", "two") // journaled after the failed flush
	l.release()
	fs.setFail(nil)

	l = f.open()
	want := []string{"put blobs/aa ok", "put blobs/bb ok"}
	if got := keysOf(entries(t, l)); !slices.Equal(got, want) {
		t.Fatalf("entries %q, want %q", got, want)
	}
	if _, err := f.mem.Stat(t.Context(), segmentKey(0, 1)); err == nil {
		t.Error("the unfinished entries object is still there")
	}
}

func isBlob(key string) bool { return len(key) > 6 && key[:6] == "blobs/" }

// TestKill9 runs a real process that journals records through the audited
// folder store and kills itself with SIGKILL (TerminateProcess on
// Windows) in the middle of an operation; the next Open publishes
// everything and the audit is clean.
func TestKill9(t *testing.T) {
	if dir := os.Getenv("AUDITLOG_KILL_DIR"); dir != "" {
		killChild(t, dir)
		return
	}
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestKill9$")
	cmd.Env = append(os.Environ(), "AUDITLOG_KILL_DIR="+dir)
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.Success() {
		t.Fatalf("child did not die: %v\n%s", err, out)
	}
	if _, err := os.Stat(filepath.Join(dir, "ready")); err != nil {
		t.Fatalf("child died before its work was done: %v\n%s", err, out)
	}

	f := newFixture(t)
	vault, err := folderStore(filepath.Join(dir, "vault"))
	if err != nil {
		t.Fatal(err)
	}
	f.store, f.dir = vault, filepath.Join(dir, "state")
	l := f.open()
	es := entries(t, l)
	if len(es) != 21 {
		t.Fatalf("%d entries after the kill, want 21: %q", len(es), keysOf(es))
	}
	if got := keysOf(es[20:]); !slices.Equal(got, []string{"put blobs/never-sent failed"}) {
		t.Fatalf("last entry %q", got)
	}
	rep, err := Audit(t.Context(), l, vault, AuditOptions{Deep: true})
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Clean() || rep.Counts.OK != 21 { // 20 objects and one PUT that never happened
		t.Fatalf("audit: %+v %+v", rep.Counts, rep.Findings)
	}
}

func killChild(t *testing.T, dir string) {
	f := newFixtureIn(t, filepath.Join(dir, "state"))
	vault, err := folderStore(filepath.Join(dir, "vault"))
	if err != nil {
		t.Fatal(err)
	}
	f.store = vault
	l := f.open()
	s := Wrap(vault, l)
	for i := range 20 {
		put(t, s, fmt.Sprintf("blobs/%02d", i), fmt.Sprint("content ", i))
	}
	if _, err := l.Begin(Put{Key: "blobs/never-sent", SHA256: sum("z"), Size: 1}); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "ready"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	p, _ := os.FindProcess(os.Getpid())
	p.Kill()
	select {}
}

// TestTornJournal: a crash mid-write leaves a partial last line (or, after
// a power cut, garbage); recovery keeps every complete line before it.
func TestTornJournal(t *testing.T) {
	for name, tail := range map[string]string{
		"partial line": `i 99 {"op":"put","time":"2026`,
		"garbage":      "\x00\x00\x00\x00\nd 1 ok\n",
	} {
		t.Run(name, func(t *testing.T) {
			f := newFixture(t)
			l := f.open()
			s := Wrap(f.store, l)
			put(t, s, "blobs/aa", "one")
			put(t, s, "blobs/bb", "two")
			l.release()
			ents, err := os.ReadDir(filepath.Join(f.dir, journalDir))
			if err != nil || len(ents) != 1 {
				t.Fatalf("journal: %v %v", ents, err)
			}
			jf, err := os.OpenFile(filepath.Join(f.dir, journalDir, ents[0].Name()), os.O_APPEND|os.O_WRONLY, 0)
			if err != nil {
				t.Fatal(err)
			}
			jf.WriteString(tail)
			jf.Close()
			l = f.open()
			want := []string{"put blobs/aa ok", "put blobs/bb ok"}
			if got := keysOf(entries(t, l)); !slices.Equal(got, want) {
				t.Fatalf("entries %q, want %q", got, want)
			}
		})
	}
}

func folderStore(dir string) (*folder.Store, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	return folder.New(dir)
}
