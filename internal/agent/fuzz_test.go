package agent

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// FuzzReadStatusFile feeds arbitrary bytes to ReadStatusFile. It must not
// panic, must refuse versions it does not read, and a status it accepts
// must survive WriteStatusFile and ReadStatusFile unchanged.
func FuzzReadStatusFile(f *testing.F) {
	t0 := time.Date(2026, 3, 2, 23, 0, 0, 0, time.UTC)
	full := Status{
		Version: StatusVersion, PID: 4242, Started: t0, Updated: t0.Add(time.Minute), State: StateRunning,
		Reason: "outside the windows 23:00-07:00", Windows: "23:00-07:00", WindowOpen: true,
		NextWindow: t0.Add(24 * time.Hour), NextPass: t0.Add(time.Hour),
		Pass:        &PassStatus{Started: t0, Deadline: t0.Add(8 * time.Hour), Phase: "upload", FilesTotal: 10, FilesDone: 3, BytesTotal: 1 << 30, BytesToRead: 1 << 29, BytesRead: 1 << 20, BytesUploaded: 1 << 19},
		Protected:   &Snapshot{ID: "5f0e", Time: t0, Partial: true, Files: 3, Bytes: 300},
		Remaining:   &Remaining{Files: 7, Bytes: 1 << 29},
		Rate:        123456.789,
		LastPass:    &PassSummary{Started: t0, Ended: t0.Add(time.Hour), Outcome: "checkpoint: window closed", Snapshot: "5f0e", FilesNew: 1, Warnings: 2},
		LastSuccess: t0,
		LastError:   &ErrorStatus{Time: t0, Message: "boom", Class: ClassTransient, Kind: "unreachable", Hint: "check the network", Failures: 2, RetryAt: t0.Add(time.Minute)},
	}
	for _, st := range []Status{full, {Version: StatusVersion, State: StateStopped}} {
		b, err := json.MarshalIndent(st, "", "  ")
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	for _, s := range []string{
		`{"version": 99}`, `{"version": `, `{"version": 1, "rate": 1e400}`, `{"version": -1, "pid": 4294967297}`,
		`{"version": 1, "updated": "2026-03-02T23:00:00+14:00", "pass": null, "last_error": {"class": "other"}}`,
		`{"version": 1, "last_pass": {"ended": "2026-03-02T23:00:00-24:59"}}`,
		`{}`, `null`, `[]`, ``,
	} {
		f.Add([]byte(s))
	}
	path := filepath.Join(f.TempDir(), "agent-status.json")
	now := time.Date(2026, 3, 3, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, b []byte) {
		if err := os.WriteFile(path, b, 0o600); err != nil {
			t.Fatal(err)
		}
		st, err := ReadStatusFile(path)
		if err != nil {
			return
		}
		if st.Version > StatusVersion {
			t.Fatalf("read a status of version %d", st.Version)
		}
		st.Stale(now)
		c := st.clone()

		// encoding/json reads times with a UTC offset of 24 hours (+24:00
		// to ±24:59) but does not write them: ReadStatusFile must refuse
		// them, or the agent could not carry the status forward.
		want, err := json.Marshal(st)
		if err != nil {
			t.Fatalf("status read from %q does not encode: %v", b, err)
		}
		if err := WriteStatusFile(path, st); err != nil {
			t.Fatal(err)
		}
		back, err := ReadStatusFile(path)
		if err != nil {
			t.Fatalf("status written from %q does not read back: %v", b, err)
		}
		got, err := json.Marshal(back)
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("status changed on the way through the file:\n%s\n%s", want, got)
		}
		if again, _ := json.Marshal(c); !bytes.Equal(again, want) {
			t.Fatalf("clone differs:\n%s\n%s", want, again)
		}
	})
}
