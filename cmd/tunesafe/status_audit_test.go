package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tunesafe/tunesafe/internal/agent"
	"github.com/tunesafe/tunesafe/internal/state"
)

// statusAt runs 'tunesafe status' on e's computer with the clock at now.
func (e *reviewEnv) statusAt(now time.Time, args ...string) (stdout, stderr string, err error) {
	e.t.Helper()
	var out, errOut bytes.Buffer
	a := newApp(nil, &out, &errOut)
	a.now = func() time.Time { return now }
	root := a.rootCommand()
	root.SetArgs(append(append([]string{"status"}, args...), "--config", e.config, "--cache", filepath.Join(e.dir, "state", "cache.db")))
	err = root.ExecuteContext(context.Background())
	return out.String(), errOut.String(), err
}

// snapshots returns the vault's snapshots, oldest first.
func (e *reviewEnv) snapshots() []snapshotJSON {
	e.t.Helper()
	code, out, errOut := e.run("snapshots", "--json")
	var all []snapshotJSON
	if code != 0 || json.Unmarshal([]byte(out), &all) != nil {
		e.t.Fatalf("snapshots: exit %d\n%s%s", code, out, errOut)
	}
	return all
}

// statusJSON runs 'tunesafe status --json' and decodes its report.
func (e *reviewEnv) statusJSON() statusReport {
	e.t.Helper()
	code, out, errOut := e.run("status", "--json")
	var r statusReport
	if code != 0 || json.Unmarshal([]byte(out), &r) != nil {
		e.t.Fatalf("status --json: exit %d\n%s%s", code, out, errOut)
	}
	return r
}

// newVaultEnv is a reviewEnv whose config file names a folder vault, made
// by init, and the music folder.
func newVaultEnv(t *testing.T) (e *reviewEnv, vaultDir string) {
	t.Helper()
	e = newReviewEnv(t)
	vaultDir = filepath.Join(e.dir, "vault")
	e.writeConfig(`{"vault": "` + vaultDir + `", "paths": ["` + e.music + `"]}`)
	if code, out, errOut := e.run("init", "--no-encrypt", vaultDir); code != 0 {
		t.Fatalf("init: exit %d\n%s%s", code, out, errOut)
	}
	e.writeConfig(`{"vault": "` + vaultDir + `", "paths": ["` + e.music + `"]}`)
	return e, vaultDir
}

// A checkpoint is not a success: after a complete backup and then one
// stopped at its limit in the middle of a big file, the last success is
// the complete one. What remains is at most the big file, whole, as the
// checkpoint and the cache cannot tell which of its pieces are stored,
// and counts a file changed since it was stored.
func TestStatusCheckpointIsNoSuccess(t *testing.T) {
	e, _ := newVaultEnv(t)
	if code, out, errOut := e.run("backup", "--no-progress"); code != 0 {
		t.Fatalf("backup: exit %d\n%s%s", code, out, errOut)
	}
	big := make([]byte, 3_000_000)
	for i := range big {
		big[i] = byte(rand.N(256))
	}
	if err := os.WriteFile(filepath.Join(e.music, "c.flac"), big, 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := e.run("backup", "--no-progress", "--max-upload", "1B")
	if code != exitStopped || !strings.Contains(out, "checkpoint") {
		t.Fatalf("backup --max-upload: exit %d\n%s%s", code, out, errOut)
	}
	all := e.snapshots()
	if len(all) != 2 || all[0].Partial || !all[1].Partial {
		t.Fatalf("snapshots: %+v", all)
	}
	complete, checkpoint := all[0], all[1]

	r := e.statusJSON()
	if !r.LastSuccess.Equal(complete.Time) {
		t.Errorf("last success %v, want the complete snapshot's %v, not the checkpoint's %v", r.LastSuccess, complete.Time, checkpoint.Time)
	}
	if r.Protected == nil || !r.Protected.Partial || r.Protected.ID != checkpoint.ID {
		t.Errorf("protected %+v, want the checkpoint", r.Protected)
	}
	if rem := r.Remaining; rem == nil || !r.RemainingEstimated || rem.Files != 1 || rem.Bytes != 3_000_000 {
		t.Errorf("remaining %+v (estimated %v), want at most the big file", rem, r.RemainingEstimated)
	}
	_, out, errOut = e.run("status")
	if !strings.Contains(out, "remaining:     at most 1 file, 2.9 MiB (the folders now, less the files stored whole)\n") {
		t.Errorf("status:\n%s%s", out, errOut)
	}

	// A file changed since it was stored remains, though the checkpoint
	// holds as many files as before.
	a := filepath.Join(e.music, "a.flac")
	if err := os.WriteFile(a, bytes.Repeat([]byte{1}, 3000), 0o644); err != nil {
		t.Fatal(err)
	}
	later := time.Now().Add(time.Hour)
	if err := os.Chtimes(a, later, later); err != nil {
		t.Fatal(err)
	}
	if rem := e.statusJSON().Remaining; rem == nil || rem.Files != 2 || rem.Bytes != 3_003_000 {
		t.Errorf("remaining %+v after a.flac changed, want 2 files, 3003000 bytes", rem)
	}
}

// While the agent waits for its window, before its first pass, the last
// success is the backup run by hand before, as this computer's cache
// recorded it: not "never".
func TestStatusLastSuccessWhileTheAgentWaits(t *testing.T) {
	e, vaultDir := newVaultEnv(t)
	if code, out, errOut := e.run("backup", "--no-progress"); code != 0 {
		t.Fatalf("backup: exit %d\n%s%s", code, out, errOut)
	}
	complete := e.snapshots()[0]
	e.writeStatus(agent.Status{Version: agent.StatusVersion, PID: os.Getpid(), State: agent.StateWaiting,
		Reason: "outside the windows 23:00-07:00", Updated: time.Now(), Vault: vaultDir, Windows: "23:00-07:00"})
	code, out, errOut := e.run("status")
	if code != 0 || !strings.Contains(out, "agent:         running (pid ") ||
		!strings.Contains(out, "last success:  "+stamp(complete.Time)+"\n") || strings.Contains(out, "never") {
		t.Fatalf("status: exit %d, want the last success of %s\n%s%s", code, stamp(complete.Time), out, errOut)
	}
	if r := e.statusJSON(); !r.LastSuccess.Equal(complete.Time) || r.Source != "agent" {
		t.Fatalf("status --json: last success %v, source %s", r.LastSuccess, r.Source)
	}
}

// The running agent's last success is its last complete pass, not a later
// checkpoint.
func TestStatusRunningAgentsCheckpointIsNoSuccess(t *testing.T) {
	e := newReviewEnv(t)
	e.writeConfig(`{"vault": "` + filepath.Join(e.dir, "vault") + `", "paths": ["` + e.music + `"]}`)
	complete := time.Date(2026, 3, 1, 6, 30, 0, 0, time.Local)
	checkpoint := time.Date(2026, 3, 2, 7, 0, 0, 0, time.Local)
	e.writeStatus(agent.Status{Version: agent.StatusVersion, PID: os.Getpid(), State: agent.StateWaiting, Updated: time.Now(),
		Vault: filepath.Join(e.dir, "vault"), Windows: "always", LastSuccess: checkpoint, LastCheckpoint: checkpoint, LastComplete: complete,
		LastPass:  &agent.PassSummary{Ended: checkpoint, Outcome: "checkpoint: the window closed"},
		Protected: &agent.Snapshot{ID: "0123456789abcdef", Time: checkpoint, Partial: true, Files: 40, Bytes: 4000}})
	code, out, errOut := e.run("status")
	if code != 0 || !strings.Contains(out, "last success:  2026-03-01 06:30\n") || strings.Contains(out, "2026-03-02 07:00\nlast") {
		t.Fatalf("status: exit %d\n%s%s", code, out, errOut)
	}
	if !strings.Contains(out, "protected:     40 files, 3.9 KiB (checkpoint 0123456789ab of 2026-03-02 07:00)\n") {
		t.Fatalf("status does not name the checkpoint:\n%s", out)
	}
}

// A pass goes on after its window closes, while it stores its checkpoint:
// status judges the window from the clock, says it closed and that the
// pass is finishing, and when the next one opens. What remains, counted
// by the pass, is at most what it says.
func TestStatusWindowClosedWhileThePassFinishes(t *testing.T) {
	e := newReviewEnv(t)
	vaultDir := filepath.Join(e.dir, "vault")
	e.writeConfig(`{"vault": "` + vaultDir + `", "paths": ["` + e.music + `"]}`)
	at := func(day, hour, minute, sec int) time.Time {
		return time.Date(2026, 3, day, hour, minute, sec, 0, time.Local)
	}
	// The agent last wrote before the window closed.
	e.writeStatus(agent.Status{Version: agent.StatusVersion, PID: os.Getpid(), State: agent.StateRunning, Updated: at(3, 6, 59, 58),
		Reason: "backing up until the window closes at 2026-03-03 07:00", Vault: vaultDir, Windows: "23:00-07:00", WindowOpen: true,
		Pass:      &agent.PassStatus{Started: at(2, 23, 0, 0), Deadline: at(3, 7, 0, 0), Phase: "data", FilesTotal: 100, FilesDone: 40},
		Remaining: &agent.Remaining{Files: 60, Bytes: 1_000_000_000}, Rate: 36_864})

	out, errOut, err := e.statusAt(at(3, 6, 59, 59))
	if err != nil || !strings.Contains(out, "next window:   open now (windows: 23:00-07:00)\n") {
		t.Fatalf("before the window closed: %v\n%s%s", err, out, errOut)
	}
	if !strings.Contains(out, "remaining:     at most 60 files, 954 MiB\n") {
		t.Fatalf("remaining claims exactness:\n%s", out)
	}
	out, errOut, err = e.statusAt(at(3, 7, 0, 20))
	want := "next window:   2026-03-03 23:00 (windows: 23:00-07:00); the window closed at 2026-03-03 07:00, the pass is finishing\n"
	if err != nil || !strings.Contains(out, want) {
		t.Fatalf("after the window closed: %v, want %q\n%s%s", err, want, out, errOut)
	}
	out, _, err = e.statusAt(at(3, 7, 0, 20), "--json")
	var r statusReport
	if err != nil || json.Unmarshal([]byte(out), &r) != nil || r.WindowOpen || !r.NextWindow.Equal(at(3, 23, 0, 0)) || r.WindowsFrom != "agent" {
		t.Fatalf("status --json after the window closed: %v\n%s", err, out)
	}
}

// While no agent runs, the windows shown are the config file's (here
// none: the default), labelled so, with those the agent last ran with
// (its --window) when they differ.
func TestStatusWindowsWhileNoAgentRuns(t *testing.T) {
	e, vaultDir := newVaultEnv(t)
	if code, out, errOut := e.run("backup", "--no-progress"); code != 0 {
		t.Fatalf("backup: exit %d\n%s%s", code, out, errOut)
	}
	e.writeStatus(agent.Status{Version: agent.StatusVersion, PID: os.Getpid(), State: agent.StateStopped, Updated: time.Now(),
		Vault: vaultDir, Windows: "23:00-07:00"})
	noon := time.Date(2026, 3, 3, 12, 0, 0, 0, time.Local)
	out, errOut, err := e.statusAt(noon)
	want := "next window:   open now (windows: always, as the config file sets none; the agent last ran with 23:00-07:00)\n"
	if err != nil || !strings.Contains(out, want) {
		t.Fatalf("status: %v, want %q\n%s%s", err, want, out, errOut)
	}
	out, _, err = e.statusAt(noon, "--json")
	var r statusReport
	if err != nil || json.Unmarshal([]byte(out), &r) != nil || r.WindowsFrom != "default" || r.Windows != "always" || r.AgentWindows != "23:00-07:00" {
		t.Fatalf("status --json: %v\n%s", err, out)
	}

	// Running, the agent's windows are shown, judged from the clock.
	e.writeStatus(agent.Status{Version: agent.StatusVersion, PID: os.Getpid(), State: agent.StateWaiting, Updated: noon,
		Reason: "outside the windows 23:00-07:00", Vault: vaultDir, Windows: "23:00-07:00", NextWindow: time.Date(2026, 3, 3, 23, 0, 0, 0, time.Local)})
	out, errOut, err = e.statusAt(noon)
	if want := "next window:   2026-03-03 23:00 (windows: 23:00-07:00)\n"; err != nil || !strings.Contains(out, want) {
		t.Fatalf("status of the running agent: %v, want %q\n%s%s", err, want, out, errOut)
	}
}

// The agent's last pass counted what it had sent of the file it stopped
// in the middle of; the files cannot tell that afterwards. While no agent
// runs, status shows that count until a pass stores a newer snapshot.
func TestStatusRemainingAsTheAgentCounted(t *testing.T) {
	e, vaultDir := newVaultEnv(t)
	big := make([]byte, 3_000_000)
	for i := range big {
		big[i] = byte(rand.N(256))
	}
	if err := os.WriteFile(filepath.Join(e.music, "c.flac"), big, 0o644); err != nil {
		t.Fatal(err)
	}
	if code, out, errOut := e.run("backup", "--no-progress", "--max-upload", "1B"); code != exitStopped || !strings.Contains(out, "checkpoint") {
		t.Fatalf("backup --max-upload: exit %d\n%s%s", code, out, errOut)
	}
	ended := time.Now()
	e.writeStatus(agent.Status{Version: agent.StatusVersion, PID: os.Getpid(), State: agent.StateStopped, Updated: ended.Add(time.Second),
		Vault: vaultDir, Windows: "always", Remaining: &agent.Remaining{Files: 1, Bytes: 1_800_000},
		LastPass: &agent.PassSummary{Ended: ended, Outcome: "checkpoint: the window closed"}})
	code, out, errOut := e.run("status")
	if want := "remaining:     at most 1 file, 1.7 MiB (as the agent counted at " + stamp(ended) + ")\n"; code != 0 || !strings.Contains(out, want) {
		t.Fatalf("status: exit %d, want %q\n%s%s", code, want, out, errOut)
	}
	// A backup since tells more than the agent's count.
	e.completeBackup(t, "status after a complete backup")
}

// An error the agent recorded before a later success is history: status
// says there has been none since, names it as before, and gives no hint
// (such as "run 'tunesafe init'") for what was put right. An error after
// the last success stands, with its hint.
func TestStatusErrorBeforeASuccessIsHistory(t *testing.T) {
	e, vaultDir := newVaultEnv(t)
	if code, out, errOut := e.run("backup", "--no-progress"); code != 0 {
		t.Fatalf("backup: exit %d\n%s%s", code, out, errOut)
	}
	made := e.snapshots()[0].Time
	failed := made.Add(-time.Hour)
	noVault := &agent.ErrorStatus{Time: failed, Message: "open vault: no vault at " + vaultDir, Class: agent.ClassPermanent,
		Hint: "create it with 'tunesafe init'", Failures: 1}

	// The agent stopped after the failure; a backup by hand succeeded.
	e.writeStatus(agent.Status{Version: agent.StatusVersion, PID: os.Getpid(), State: agent.StateStopped, Updated: failed,
		Vault: vaultDir, Windows: "always", LastError: noVault})
	code, out, errOut := e.run("status")
	want := "last error:    none since a backup succeeded (" + stamp(made) + "); before it, " + stamp(failed) + " (permanent): open vault: no vault at "
	if code != 0 || !strings.Contains(out, want) || strings.Contains(out, "hint:") {
		t.Fatalf("status after a backup by hand: exit %d, want %q and no hint\n%s%s", code, want, out, errOut)
	}
	if r := e.statusJSON(); r.LastError == nil || !r.LastErrorCleared.Equal(made) {
		t.Fatalf("status --json: last error %+v, cleared %v; want cleared at %v", r.LastError, r.LastErrorCleared, made)
	}

	// The running agent's own pass succeeded after the failure.
	passed := made.Add(time.Hour)
	e.writeStatus(agent.Status{Version: agent.StatusVersion, PID: os.Getpid(), State: agent.StateWaiting, Updated: passed,
		Vault: vaultDir, Windows: "always", LastSuccess: passed, LastComplete: passed, LastError: noVault})
	code, out, errOut = e.run("status")
	want = "last error:    none since a backup succeeded (" + stamp(passed) + "); before it, " + stamp(failed)
	if code != 0 || !strings.Contains(out, want) || strings.Contains(out, "hint:") {
		t.Fatalf("status of the running agent: exit %d, want %q and no hint\n%s%s", code, want, out, errOut)
	}

	// A failure after every success stands.
	late := *noVault
	late.Time = passed.Add(time.Hour)
	e.writeStatus(agent.Status{Version: agent.StatusVersion, PID: os.Getpid(), State: agent.StateWaiting, Updated: late.Time,
		Vault: vaultDir, Windows: "always", LastSuccess: passed, LastComplete: passed, LastError: &late})
	code, out, errOut = e.run("status")
	if code != 0 || !strings.Contains(out, "last error:    "+stamp(late.Time)+" (permanent): open vault: no vault at ") ||
		!strings.Contains(out, "hint:          create it with 'tunesafe init'\n") {
		t.Fatalf("status after a later failure: exit %d\n%s%s", code, out, errOut)
	}
	if r := e.statusJSON(); !r.LastErrorCleared.IsZero() {
		t.Fatalf("status --json: a standing error is cleared at %v", r.LastErrorCleared)
	}
}

// After the agent was killed during a pass, status gives the pass's last
// count of what remained, as of when the agent wrote it, even when the
// pass had stored no snapshot yet. Killed before it had scanned the
// library, the pass had counted nothing: status says so, rather than
// give an older pass's count or "nothing".
func TestStatusAfterTheAgentWasKilledMidPass(t *testing.T) {
	e, vaultDir := newVaultEnv(t)
	dead := 1<<31 - 2 // no process has it
	seen := time.Now().Add(-time.Minute)
	e.writeStatus(agent.Status{Version: agent.StatusVersion, PID: dead, State: agent.StateRunning, Updated: seen, Vault: vaultDir, Windows: "always",
		Pass:      &agent.PassStatus{Started: seen.Add(-time.Hour), Phase: "data", FilesTotal: 50, FilesDone: 6, BytesToRead: 50_000_000, BytesUploaded: 6_000_000},
		Remaining: &agent.Remaining{Files: 44, Bytes: 44_000_000}})
	code, out, errOut := e.run("status")
	want := "remaining:     at most 44 files, 42.0 MiB (as the agent counted at " + stamp(seen) + ", the last it wrote before its pass was cut off)\n"
	if code != 0 || !strings.Contains(out, want) || !strings.Contains(out, "protected:     nothing yet") {
		t.Fatalf("status: exit %d, want %q\n%s%s", code, want, out, errOut)
	}
	if r := e.statusJSON(); r.Remaining == nil || r.Remaining.Files != 44 || !r.RemainingCounted.Equal(seen) || !r.Agent.Interrupted {
		t.Fatalf("status --json: remaining %+v counted %v, interrupted %v", r.Remaining, r.RemainingCounted, r.Agent.Interrupted)
	}

	// Killed while it scanned, after a complete backup: the remaining in
	// the file is an older pass's.
	if code, out, errOut := e.run("backup", "--no-progress"); code != 0 {
		t.Fatalf("backup: exit %d\n%s%s", code, out, errOut)
	}
	seen = time.Now().Add(time.Minute)
	e.writeStatus(agent.Status{Version: agent.StatusVersion, PID: dead, State: agent.StateRunning, Updated: seen, Vault: vaultDir, Windows: "always",
		Pass: &agent.PassStatus{Started: seen, Phase: "scan"}, Remaining: &agent.Remaining{Files: 5, Bytes: 5000},
		LastPass: &agent.PassSummary{Ended: seen.Add(-time.Hour), Outcome: "checkpoint: the window closed", FilesRemaining: 5, BytesRemaining: 5000}})
	code, out, errOut = e.run("status")
	want = "remaining:     unknown: the agent's pass was cut off (last seen " + stamp(seen) + ") before it had counted;"
	if code != 0 || !strings.Contains(out, want) {
		t.Fatalf("status after a kill during the scan: exit %d, want %q\n%s%s", code, want, out, errOut)
	}
	if r := e.statusJSON(); r.Remaining != nil {
		t.Fatalf("status --json: remaining %+v, want unknown", r.Remaining)
	}
}

// A backup run by hand and killed leaves in the cache the files it
// stored, pending until a complete backup: something is left to back up,
// though the vault's newest snapshot is complete. A complete backup
// settles them: nothing is left.
func TestStatusAfterAnInterruptedBackup(t *testing.T) {
	e, vaultDir := newVaultEnv(t)
	e.completeBackup(t, "status after a complete backup")
	// What the killed backup recorded of the new file it stored.
	c := filepath.Join(e.music, "c.flac")
	if err := os.WriteFile(c, make([]byte, 7000), 0o644); err != nil {
		t.Fatal(err)
	}
	a := newApp(nil, io.Discard, io.Discard)
	a.statePath = filepath.Join(e.dir, "state", "cache.db")
	key := a.stateKeyAt(t.Context(), vaultDir)
	if key == "" {
		t.Fatal("no cache key for the vault")
	}
	fi, err := os.Stat(c)
	if err != nil {
		t.Fatal(err)
	}
	db, err := state.Open(a.statePath)
	if err != nil {
		t.Fatal(err)
	}
	b := db.Vault(key).Batch()
	b.PutFile(e.music, "c.flac", state.FileEntry{Stat: state.Stat{Size: fi.Size(), MTime: fi.ModTime().UnixNano()}, Node: []byte(`{}`), Pending: state.PendingNew})
	err = b.Commit(t.Context())
	db.Close()
	if err != nil {
		t.Fatal(err)
	}

	code, out, errOut := e.run("status")
	want := "remaining:     some files: a backup stopped before it finished, and no complete snapshot holds the 1 file it stored; run 'tunesafe backup'\n"
	if code != 0 || !strings.Contains(out, want) {
		t.Fatalf("status after an interrupted backup: exit %d, want %q\n%s%s", code, want, out, errOut)
	}
	if r := e.statusJSON(); r.Remaining != nil || r.Unfinished == nil || r.Unfinished.Files != 1 || r.Unfinished.Bytes != 7000 {
		t.Fatalf("status --json: remaining %+v, unfinished %+v", r.Remaining, r.Unfinished)
	}

	e.completeBackup(t, "status after the backup completed")
}

// While the agent waits for its window, before its first pass, what is
// protected is the newest snapshot this computer's cache records, said
// so: not "not known".
func TestStatusProtectedWhileTheAgentWaits(t *testing.T) {
	e, vaultDir := newVaultEnv(t)
	if code, out, errOut := e.run("backup", "--no-progress"); code != 0 {
		t.Fatalf("backup: exit %d\n%s%s", code, out, errOut)
	}
	snap := e.snapshots()[0]
	e.writeStatus(agent.Status{Version: agent.StatusVersion, PID: os.Getpid(), State: agent.StateWaiting,
		Reason: "outside the windows 23:00-07:00", Updated: time.Now(), Vault: vaultDir, Windows: "23:00-07:00"})
	code, out, errOut := e.run("status")
	want := "protected:     2 files, 7.8 KiB (snapshot " + short(snap.ID) + " of " + stamp(snap.Time) + ", as this computer's cache recorded it)\n"
	if code != 0 || !strings.Contains(out, want) || strings.Contains(out, "not known") {
		t.Fatalf("status: exit %d, want %q\n%s%s", code, want, out, errOut)
	}
	if r := e.statusJSON(); r.Protected == nil || r.Protected.ID != snap.ID || !r.ProtectedCached {
		t.Fatalf("status --json: protected %+v (cached %v), want %s", r.Protected, r.ProtectedCached, snap.ID)
	}

	// The agent's own report, newer, is taken as it is.
	later := snap.Time.Add(time.Hour)
	e.writeStatus(agent.Status{Version: agent.StatusVersion, PID: os.Getpid(), State: agent.StateWaiting, Updated: time.Now(), Vault: vaultDir, Windows: "always",
		LastSuccess: later, LastComplete: later, Protected: &agent.Snapshot{ID: "0123456789abcdef", Time: later, Files: 3, Bytes: 9000}})
	if code, out, errOut := e.run("status"); code != 0 || !strings.Contains(out, "protected:     3 files, 8.8 KiB (snapshot 0123456789ab of "+stamp(later)+")\n") {
		t.Fatalf("status with the agent's report: exit %d\n%s%s", code, out, errOut)
	}
}

// On a new computer, status does not say only "nothing yet": it names the
// other computers whose backups the vault holds, and how to restore them.
func TestStatusNamesOtherComputersBackups(t *testing.T) {
	e, _ := newVaultEnv(t)
	if code, out, errOut := e.run("backup", "--no-progress", "--host", "annas-laptop"); code != 0 {
		t.Fatalf("backup: exit %d\n%s%s", code, out, errOut)
	}
	code, out, errOut := e.run("status")
	want := "protected:     nothing yet from this computer; the vault holds the backups of annas-laptop ("
	if code != 0 || !strings.Contains(out, want) || !strings.Contains(out, "'tunesafe restore --host annas-laptop --to DIR' restores them") {
		t.Fatalf("status: exit %d, want %q\n%s%s", code, want, out, errOut)
	}
	if r := e.statusJSON(); len(r.OtherHosts) != 1 || r.OtherHosts[0].Host != "annas-laptop" || r.OtherHosts[0].Files == 0 {
		t.Fatalf("status --json: other hosts %+v", r.OtherHosts)
	}
}

// completeBackup backs up and checks that status then has nothing left
// (what names the moment, for messages).
func (e *reviewEnv) completeBackup(t *testing.T, what string) {
	t.Helper()
	if code, out, errOut := e.run("backup", "--no-progress"); code != 0 {
		t.Fatalf("backup: exit %d\n%s%s", code, out, errOut)
	}
	if code, out, errOut := e.run("status"); code != 0 || !strings.Contains(out, "remaining:     nothing, as of the last snapshot\n") {
		t.Fatalf("%s: exit %d\n%s%s", what, code, out, errOut)
	}
}
