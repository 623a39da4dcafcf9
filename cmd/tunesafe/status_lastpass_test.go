package main

import (
	"io"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tunesafe/tunesafe/internal/state"
)

// setLastPass records lp in the cache of the vault at vaultDir, as a
// backup pass ends.
func (e *reviewEnv) setLastPass(vaultDir string, lp state.LastPass) {
	e.t.Helper()
	a := newApp(nil, io.Discard, io.Discard)
	a.statePath = filepath.Join(e.dir, "state", "cache.db")
	key := a.stateKeyAt(e.t.Context(), vaultDir)
	if key == "" {
		e.t.Fatal("no cache key for the vault")
	}
	db, err := state.Open(a.statePath)
	if err != nil {
		e.t.Fatal(err)
	}
	defer db.Close()
	if err := db.Vault(key).SetLastPass(e.t.Context(), lp); err != nil {
		e.t.Fatal(err)
	}
}

// A backup run by hand and cancelled at once (a second Ctrl-C) leaves no
// checkpoint and no status file; what it counted left, and the rate it
// measured, are on record in the cache, and status tells them; not those
// of another folder's backup. The measured rate stays after a later
// backup too short to measure one.
func TestStatusAfterACancelledBackup(t *testing.T) {
	e, vaultDir := newVaultEnv(t)
	if code, out, errOut := e.run("backup", "--no-progress"); code != 0 {
		t.Fatalf("backup: exit %d\n%s%s", code, out, errOut)
	}
	code, out, errOut := e.run("status")
	if code != 0 || !strings.Contains(out, "rate:          not measured yet\n") {
		t.Fatalf("status after a short backup: exit %d\n%s%s", code, out, errOut)
	}
	made := e.snapshots()[0].Time
	ended := made.Add(time.Hour).Truncate(time.Second)
	e.setLastPass(vaultDir, state.LastPass{Started: made.Add(time.Minute), Ended: ended, Paths: []string{e.music},
		FilesRemaining: 3, BytesRemaining: 3 << 20, Rate: 36_000, RateMeasured: ended})
	code, out, errOut = e.run("status")
	for _, want := range []string{
		"remaining:     at most 3 files, 3.0 MiB (as the last backup counted when it ended unfinished at " + stamp(ended) + "); run 'tunesafe backup'\n",
		"rate:          35.2 KiB/s (as the backup of " + stamp(ended) + " measured it)\n",
		"ETA:           1m of backing up at this rate",
	} {
		if code != 0 || !strings.Contains(out, want) {
			t.Errorf("status after a cancelled backup: exit %d, want %q\n%s%s", code, want, out, errOut)
		}
	}
	if r := e.statusJSON(); r.Remaining == nil || r.Remaining.Files != 3 || !r.RemainingByBackup || !r.RemainingCounted.Equal(ended) || r.Rate != 36_000 || !r.RateMeasured.Equal(ended) {
		t.Fatalf("status --json: remaining %+v by backup %v at %v, rate %v at %v", r.Remaining, r.RemainingByBackup, r.RemainingCounted, r.Rate, r.RateMeasured)
	}

	// A record of another folder's backup says nothing of this one's.
	e.setLastPass(vaultDir, state.LastPass{Started: made.Add(time.Minute), Ended: ended, Paths: []string{e.dir},
		FilesRemaining: 3, BytesRemaining: 3 << 20, Rate: 36_000, RateMeasured: ended})
	if code, out, errOut := e.run("status"); code != 0 || !strings.Contains(out, "remaining:     nothing, as of the last snapshot\n") {
		t.Fatalf("status after another folder's backup: exit %d\n%s%s", code, out, errOut)
	}
	if code, out, errOut := e.run("backup", "--no-progress"); code != 0 {
		t.Fatalf("backup: exit %d\n%s%s", code, out, errOut)
	}
	code, out, errOut = e.run("status")
	if code != 0 || !strings.Contains(out, "remaining:     nothing, as of the last snapshot\n") || !strings.Contains(out, "rate:          35.2 KiB/s (as the backup of "+stamp(ended)+" measured it)\n") {
		t.Fatalf("status after a complete backup: exit %d\n%s%s", code, out, errOut)
	}
}
