package agent

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/tunesafe/tunesafe/internal/backup"
)

// The status file is the agent's report to `tunesafe status` and to anyone
// else who wants to know: a JSON object (Status) that the agent replaces
// atomically at every change and every few seconds while a pass runs, in
// $XDG_STATE_HOME/tunesafe/agent-status.json beside the cache. It outlives
// the agent: the last one says "stopped", or, after a crash, names a
// process that no longer exists (see Running).
//
// Fields are added, never renamed or given another meaning, without
// raising StatusVersion. Times are RFC 3339; an absent time is unknown.

// StatusVersion is the format version of the status file.
const StatusVersion = 1

// State is what the agent is doing.
type State string

// States of the agent.
const (
	StateStarting State = "starting"
	// StateRunning: a backup pass is running (Status.Pass).
	StateRunning State = "running"
	// StateWaiting: outside the windows, waiting for the user to be idle,
	// between rescans, or after a permanent failure (Status.LastError).
	StateWaiting State = "waiting"
	// StatePaused: the clock allows a window but the computer runs on
	// battery.
	StatePaused State = "paused"
	// StateBackoff: waiting after a transient failure, then carrying on.
	StateBackoff State = "backoff"
	// StateStopped: the agent has exited.
	StateStopped State = "stopped"
)

// Class is how a failure was judged.
type Class string

// Classes of failure.
const (
	ClassTransient Class = "transient"
	ClassPermanent Class = "permanent"
)

// Status is what the agent reports.
type Status struct {
	Version int `json:"version"`
	// PID is the agent's process; see Running.
	PID     int       `json:"pid"`
	Started time.Time `json:"started"`
	// Updated is when the agent last wrote the status: at least every Poll
	// while it lives, unless the computer sleeps.
	Updated time.Time `json:"updated"`
	State   State     `json:"state"`
	// Reason says why, for people: "outside the windows 23:00-07:00",
	// "on battery", "retrying at 2026-01-02 03:04 after a transient failure".
	Reason string `json:"reason,omitempty"`
	// Windows is the agent's schedule in canonical form.
	Windows string `json:"windows"`
	// WindowOpen tells whether a window is open: a pass runs, or waits for
	// a rescan or a retry. A pass whose window has closed goes on while it
	// stores its checkpoint: WindowOpen is false then, and NextWindow set.
	WindowOpen bool `json:"window_open"`
	// NextWindow is when the clock next opens a window, if none is open.
	NextWindow time.Time `json:"next_window,omitzero"`
	// NextPass is when the agent expects to start its next pass, if known.
	NextPass time.Time `json:"next_pass,omitzero"`
	// Pass is the pass in progress.
	Pass *PassStatus `json:"pass,omitempty"`
	// Protected is the newest snapshot in the vault for this computer,
	// as reported by the passes.
	Protected *Snapshot `json:"protected,omitempty"`
	// Remaining is what is left to store: from the running pass, else from
	// the last pass that ended.
	Remaining *Remaining `json:"remaining,omitempty"`
	// Rate is the measured upload rate in bytes per second: over the last
	// minute while a pass uploads (once half a minute has been measured),
	// else the average of the last pass that uploaded anything.
	Rate float64 `json:"rate"`
	// LastPass sums up the last pass that ended.
	LastPass *PassSummary `json:"last_pass,omitempty"`
	// LastSuccess is when a pass last ended without error (with a snapshot
	// or a checkpoint). What people call the last success is LastComplete:
	// a checkpoint leaves files behind (see Completed).
	LastSuccess time.Time `json:"last_success,omitzero"`
	// LastComplete is when a pass last completed: it stored a complete
	// snapshot, or found nothing changed since the newest one.
	LastComplete time.Time `json:"last_complete,omitzero"`
	// LastCheckpoint is when a pass last ended with a checkpoint: stopped
	// at the end of its window or at a limit, with files left to store.
	LastCheckpoint time.Time `json:"last_checkpoint,omitzero"`
	// Integrity is the last check of the vault's integrity this computer
	// made (a verify, the agent's own or the user's).
	Integrity *Integrity `json:"integrity,omitempty"`
	// CacheKey is the key of the vault's rows in this computer's cache,
	// as the last pass reported it (Request.Opened). Commands run by hand
	// record their checks there; 'tunesafe status' reads the newer.
	CacheKey string `json:"cache_key,omitempty"`
	// LastError is the last failure, with its class. It stays after later
	// successes, as history: CurrentError tells whether it still stands.
	LastError *ErrorStatus `json:"last_error,omitempty"`
	// Vault names the vault the agent backs up (Config.Vault).
	Vault string `json:"vault,omitempty"`
	// ConfigError is why the configuration file could not be read again
	// (Config.Reload): the agent carries on with the configuration it
	// read before. Absent when the last reload succeeded.
	ConfigError string `json:"config_error,omitempty"`
}

// Snapshot describes a snapshot in the vault.
type Snapshot struct {
	ID      string    `json:"id"`
	Time    time.Time `json:"time"`
	Partial bool      `json:"partial"`
	Files   int64     `json:"files"`
	Bytes   int64     `json:"bytes"`
}

// Remaining counts what is left to store.
type Remaining struct {
	Files int64 `json:"files"`
	Bytes int64 `json:"bytes"`
}

// PassStatus is the progress of a running pass.
type PassStatus struct {
	Started time.Time `json:"started"`
	// Deadline is when the window closes and the pass stops with a
	// checkpoint; absent if the window does not close on the clock.
	Deadline      time.Time `json:"deadline,omitzero"`
	Phase         string    `json:"phase,omitempty"`
	FilesTotal    int64     `json:"files_total"`
	FilesDone     int64     `json:"files_done"`
	BytesTotal    int64     `json:"bytes_total"`
	BytesToRead   int64     `json:"bytes_to_read"`
	BytesRead     int64     `json:"bytes_read"`
	BytesUploaded int64     `json:"bytes_uploaded"`
	// Retrying is set while the storage does not answer and the pass
	// retries its requests (Request.Retrying).
	Retrying *Retrying `json:"retrying,omitempty"`
}

// Retrying says since when the pass has been retrying requests the
// storage failed, and the last failure.
type Retrying struct {
	Since   time.Time `json:"since"`
	Request string    `json:"request"`
	Attempt int       `json:"attempt"`
	Error   string    `json:"error"`
}

func (ps *PassStatus) fill(p *backup.Progress) {
	ps.Phase = p.PhaseName()
	ps.FilesTotal, ps.FilesDone = p.FilesTotal.Load(), p.FilesDone.Load()
	ps.BytesTotal, ps.BytesToRead = p.BytesTotal.Load(), p.BytesToRead.Load()
	ps.BytesRead, ps.BytesUploaded = p.BytesRead.Load(), p.BytesUploaded.Load()
}

// PassSummary sums up a pass that ended.
type PassSummary struct {
	Started time.Time `json:"started"`
	Ended   time.Time `json:"ended"`
	// Outcome is "completed", "completed: nothing changed; no new
	// snapshot" (see Unchanged), "checkpoint: REASON", "stopped early:
	// REASON" or "failed: CLASS".
	Outcome string `json:"outcome"`
	// Unchanged: the pass found nothing changed and wrote no snapshot;
	// Snapshot is the one still current.
	Unchanged      bool   `json:"unchanged,omitempty"`
	Snapshot       string `json:"snapshot,omitempty"`
	FilesNew       int64  `json:"files_new"`
	FilesChanged   int64  `json:"files_changed"`
	FilesUnchanged int64  `json:"files_unchanged"`
	FilesRemoved   int64  `json:"files_removed"`
	BytesRead      int64  `json:"bytes_read"`
	BytesUploaded  int64  `json:"bytes_uploaded"`
	FilesRemaining int64  `json:"files_remaining"`
	BytesRemaining int64  `json:"bytes_remaining"`
	Warnings       int    `json:"warnings"`
}

// summary sums up a pass from its result, or from its progress counters
// when it has none.
func summary(start, end time.Time, res *backup.Result, p *backup.Progress, outcome string) *PassSummary {
	s := &PassSummary{Started: start, Ended: end, Outcome: outcome}
	if res == nil {
		s.BytesRead, s.BytesUploaded = p.BytesRead.Load(), p.BytesUploaded.Load()
		// The uploads cut short by the end of the pass count for
		// nothing: only those that ended.
		if rem := remaining(p, 0); rem != nil {
			s.FilesRemaining, s.BytesRemaining = rem.Files, rem.Bytes
		}
		return s
	}
	s.Snapshot = res.SnapshotID
	s.Unchanged = res.Unchanged
	s.FilesNew, s.FilesChanged, s.FilesUnchanged = res.FilesNew, res.FilesChanged, res.FilesUnchanged
	s.FilesRemoved = res.FilesRemoved
	s.BytesRead, s.BytesUploaded = res.BytesRead, res.BytesUploaded
	s.FilesRemaining, s.BytesRemaining = res.FilesRemaining, res.BytesRemaining
	s.Warnings = len(res.Warnings)
	return s
}

// ErrorStatus describes a failed pass.
type ErrorStatus struct {
	Time    time.Time `json:"time"`
	Message string    `json:"message"`
	Class   Class     `json:"class"`
	// Kind is the store's name for the failure ("credentials",
	// "no-bucket", "unreachable", "disk-full"...), if it gave one.
	Kind string `json:"kind,omitempty"`
	// Hint says what to do about it.
	Hint string `json:"hint,omitempty"`
	// Failures counts consecutive transient failures.
	Failures int `json:"failures"`
	// RetryAt is when the agent tries again, at the earliest.
	RetryAt time.Time `json:"retry_at,omitzero"`
}

// Integrity sums up a check of the vault's integrity ('tunesafe verify').
type Integrity struct {
	Time time.Time `json:"time"`
	// Mode is "quick" (listing and checksums, nothing downloaded),
	// "sample" or "deep".
	Mode    string `json:"mode"`
	Objects int64  `json:"objects"`
	// Bytes were downloaded and hashed.
	Bytes int64 `json:"bytes"`
	// Problems counts the objects lost, corrupted or tampered with.
	Problems int64 `json:"problems"`
	// Foreign counts objects in the vault that Tunesafe never wrote.
	Foreign int64 `json:"foreign"`
	// Retired counts the damage markers the check deleted: every object
	// an earlier check found lost or corrupted there is stored again and
	// intact (or deleted since), so the damage they reported is repaired.
	Retired int64 `json:"damage_markers_retired,omitempty"`
}

// clone returns a copy that shares nothing mutable with s.
func (s Status) clone() Status {
	c := s
	c.Pass = clonePtr(s.Pass)
	c.Protected = clonePtr(s.Protected)
	c.Remaining = clonePtr(s.Remaining)
	c.LastPass = clonePtr(s.LastPass)
	c.LastError = clonePtr(s.LastError)
	c.Integrity = clonePtr(s.Integrity)
	return c
}

func clonePtr[T any](p *T) *T {
	if p == nil {
		return nil
	}
	c := *p
	return &c
}

// WriteStatusFile replaces the status file at path atomically: readers
// see the old status or the new one, never a mix. The write is not synced:
// the status is only a report, rewritten within seconds.
func WriteStatusFile(path string, st Status) error {
	b, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return err
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	_, werr := f.Write(append(b, '\n'))
	cerr := f.Close()
	if err := errors.Join(werr, cerr); err != nil {
		os.Remove(f.Name())
		return err
	}
	if err := os.Rename(f.Name(), path); err != nil {
		os.Remove(f.Name())
		return err
	}
	return nil
}

// ReadStatusFile reads the status file at path. A missing file is an
// error satisfying errors.Is(err, fs.ErrNotExist): no agent has run with
// this cache. A status that could not be written back is damaged: the
// agent carries the last status forward (Config.Previous), and
// encoding/json reads some values it refuses to write, such as times with
// a UTC offset of 24 hours (+24:00 to ±24:59).
func ReadStatusFile(path string) (Status, error) {
	var st Status
	b, err := os.ReadFile(path)
	if err != nil {
		return st, err
	}
	if err := json.Unmarshal(b, &st); err != nil {
		return st, fmt.Errorf("agent status %s: %w", path, err)
	}
	if st.Version > StatusVersion {
		return st, fmt.Errorf("agent status %s: version %d is newer than this program reads (%d)", path, st.Version, StatusVersion)
	}
	if _, err := json.Marshal(st); err != nil {
		return st, fmt.Errorf("agent status %s: cannot be written back: %w", path, err)
	}
	return st, nil
}

// Completed returns when a pass last completed, as far as s tells:
// LastComplete. An agent older than that field recorded only LastSuccess,
// which may be the end of a pass that left a checkpoint: it stands in,
// unless the last pass ended then with a checkpoint.
func (s Status) Completed() time.Time {
	if !s.LastComplete.IsZero() || !s.LastCheckpoint.IsZero() {
		return s.LastComplete
	}
	if p := s.LastPass; p != nil && p.Ended.Equal(s.LastSuccess) && strings.HasPrefix(p.Outcome, "checkpoint") {
		return time.Time{}
	}
	return s.LastSuccess
}

// CurrentError returns LastError while it stands: nil once a pass has
// ended without error after it (LastSuccess, a checkpoint included: the
// failure did not stop that pass). Whatever failed before, a missing vault
// or refused credentials, was put right or did not matter.
func (s Status) CurrentError() *ErrorStatus {
	if s.LastError == nil || s.LastSuccess.After(s.LastError.Time) {
		return nil
	}
	return s.LastError
}

// Running reports whether the agent that wrote st is still running: it
// did not record that it stopped, and its process exists. A process that
// has written nothing for much longer than it should (a minute) may be
// another that reused the PID after a crash, or an agent on a computer
// that slept; Stale tells. A PID no process can have (zero, negative, or
// beyond maxPID) is not running.
func (s Status) Running() bool {
	return s.PID > 0 && s.PID <= maxPID && s.State != StateStopped && processExists(s.PID)
}

// maxPID is the largest PID Running asks the system about. PIDs are 32-bit
// (pid_t; Linux stops at 4194304), and kill(2) takes the low 32 bits of a
// larger number: the PID 1<<32 in a damaged status file would become 0,
// which signals the caller's process group, and 1<<32-1 would become -1,
// which signals every process the caller may signal. Both succeed, so such
// a file would name a live agent forever.
const maxPID = math.MaxInt32

// Stale reports whether the status was last updated more than 10 minutes
// before now.
func (s Status) Stale(now time.Time) bool {
	return now.Sub(s.Updated) > 10*time.Minute
}
