package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/tunesafe/tunesafe/internal/agent"
	"github.com/tunesafe/tunesafe/internal/bytesize"
	"github.com/tunesafe/tunesafe/internal/schedule"
	"github.com/tunesafe/tunesafe/internal/state"
	"github.com/tunesafe/tunesafe/internal/store"
)

func (a *app) statusCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "status",
		Short: "Show what is protected, what remains, and what the agent is doing",
		Long: `Show the files and bytes protected by the newest snapshot of this computer,
what remains to back up (at most: pieces of a file that a stopped backup
stored count until a backup reads the file again), the upload rate and
the time left at that rate, the last success (the last backup that
completed; a checkpoint is not one) and the last error (as history once a
backup has succeeded since), and when the next window opens: by the
running agent's windows, else by the config file's. A backup that stopped
before it finished (killed, or cut off) leaves some files to back up.

While the agent runs and backs up the vault asked about (--vault, else
the default), all of it comes from the agent's status file and this
computer's cache, and the vault is not opened. Otherwise what this
computer knows is shown first (the agent, the last success and error, the
rate, the windows), then the vault's newest snapshot is read (which needs
the vault's passphrase if it is encrypted). A vault that does not answer
within 5 seconds is reported as unreachable (exit code 13) after what this
computer knows.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.runStatus(cmd.Context())
		},
	}
}

// statusReport is what 'tunesafe status' shows, and its --json output.
type statusReport struct {
	Agent struct {
		Running bool        `json:"running"`
		PID     int         `json:"pid,omitempty"`
		State   agent.State `json:"state,omitempty"`
		Reason  string      `json:"reason,omitempty"`
		// Updated is when the agent last wrote its status.
		Updated time.Time `json:"updated,omitzero"`
		// Stale: the agent has not written its status for long (the
		// computer slept, or the process is not the agent).
		Stale bool `json:"stale,omitempty"`
		// Vault is the vault the agent backs up, as it recorded it.
		Vault string `json:"vault,omitempty"`
		// OtherVault: the agent backs up another vault than the one
		// asked about; nothing else of its status is shown.
		OtherVault bool `json:"other_vault,omitempty"`
		// Interrupted: the agent is not running, yet its status says a
		// pass was running: it was killed, or the computer lost power.
		Interrupted bool `json:"interrupted,omitempty"`
	} `json:"agent"`
	// Vault is the vault the report is about.
	Vault string `json:"vault,omitempty"`
	// VaultError says why the vault could not be read; what this
	// computer knows is shown all the same.
	VaultError string `json:"vault_error,omitempty"`
	// Source says where the numbers come from: "agent" or "vault".
	Source    string          `json:"source"`
	Protected *agent.Snapshot `json:"protected"`
	// ProtectedCached: while the agent runs, Protected is the newest
	// snapshot of this computer that its cache records (made by hand, or
	// before the agent's first pass), newer than any the agent reported.
	ProtectedCached bool `json:"protected_cached,omitempty"`
	// OtherHosts are the newest snapshots of the other computers backing
	// up into the vault, newest first, when read from the vault: on a new
	// computer, what there is to restore.
	OtherHosts []otherHost       `json:"other_hosts,omitempty"`
	Pass       *agent.PassStatus `json:"pass,omitempty"`
	// Remaining is at most what is left to store: pieces of a file that
	// an earlier pass stored before it stopped count until a pass gets to
	// that file again, as they do in the pass's own count
	// (backup.Progress.Remaining). Nothing records which pieces those are
	// without reading the file again.
	Remaining *agent.Remaining `json:"remaining"`
	// RemainingEstimated: the remainder is not counted by a pass but is
	// what the folders hold now that this computer's cache does not
	// record as stored whole.
	RemainingEstimated bool `json:"remaining_estimated,omitempty"`
	// RemainingCounted is when the agent, no longer running, counted the
	// remainder: its last pass counted what it had sent of a file it
	// stopped in the middle of, which the files cannot tell afterwards.
	RemainingCounted time.Time `json:"remaining_counted,omitzero"`
	// Unfinished counts the files a backup stored before it stopped
	// unfinished (killed, or cut off) that no complete snapshot holds:
	// something is left to back up (state.Cache.PendingFiles). Remaining
	// is then unknown, as what that backup had not got to is not recorded,
	// unless it was the last backup and counted it (RemainingByBackup).
	Unfinished *agent.Remaining `json:"unfinished,omitempty"`
	// RemainingByBackup: Remaining is what the last backup, which ended
	// unfinished at RemainingCounted, counted it left (state.LastPass):
	// by hand, stopped or cancelled, no status file tells it. Its
	// checkpoint, when it saved one, tells it afresh (RemainingEstimated).
	RemainingByBackup bool `json:"remaining_by_backup,omitempty"`
	// lastPass is this computer's record of the last backup pass into the
	// vault, by hand or by the agent, when newer than the agent's status
	// file; nil if none.
	lastPass *state.LastPass
	// cutUncounted: the agent's pass was cut off before it had counted
	// what it had to store; the agent's remaining is an older pass's.
	// countCut: lastCount is the count of the pass that was cut off.
	cutUncounted, countCut bool
	// lastCount is what the agent, no longer running, last counted
	// remaining, and when; the vault's newest snapshot tells whether it is
	// still the news.
	lastCount   *agent.Remaining
	lastCountAt time.Time
	// Rate is the measured upload rate in bytes per second (0: unknown).
	Rate float64 `json:"rate"`
	// RateMeasured is when the last backup measured Rate, over the time
	// its uploads were under way, when Rate is that backup's (by hand, or
	// the agent's, as this computer's cache recorded it) rather than
	// what the agent's status says; zero otherwise.
	RateMeasured time.Time `json:"rate_measured,omitzero"`
	// ETASeconds is the time to upload the remainder at Rate, counting
	// only the time inside the windows; absent when unknown.
	ETASeconds *int64 `json:"eta_s,omitempty"`
	// LastSuccess is when a pass last completed: it stored a complete
	// snapshot, or found nothing changed. A checkpoint is no success (it
	// leaves files behind); Protected names the newest one.
	LastSuccess time.Time          `json:"last_success,omitzero"`
	LastError   *agent.ErrorStatus `json:"last_error,omitempty"`
	// LastErrorCleared is when a backup succeeded after LastError (a
	// pass that ended without error, or a snapshot started after it): the
	// error is history, it no longer stands. Zero while it stands.
	LastErrorCleared time.Time `json:"last_error_cleared,omitzero"`
	// succeeded is the latest time a backup is known to have succeeded
	// at: a pass that ended without error, checkpoint or not, or the start
	// of a snapshot this computer made.
	succeeded time.Time
	Windows   string `json:"windows"`
	// WindowsFrom says whose Windows are: "agent", those the running
	// agent runs with (its --window, else the config file's), or
	// "config", the config file's, with which an agent started without
	// --window would run, or "default" when the config file sets none
	// (always).
	WindowsFrom string `json:"windows_from"`
	// AgentWindows, while no agent runs, are the windows the agent last
	// ran with, when they are not the config file's.
	AgentWindows string `json:"agent_windows,omitempty"`
	// WindowOpen and NextWindow are judged from the clock, against the
	// windows; the idle time and the power source, when the windows
	// depend on them, as the running agent last found them.
	WindowOpen bool      `json:"window_open"`
	NextWindow time.Time `json:"next_window,omitzero"`
	// closedAt is when the window of the pass still running closed, if
	// it did on the clock: the pass is storing its checkpoint.
	closedAt time.Time
	// NextPass is when the running agent expects to start its next pass.
	NextPass time.Time `json:"next_pass,omitzero"`
	// ObjectLock is the vault's Object Lock policy and what this
	// computer's last retention pass found. It is absent when the vault
	// has no policy, and while the agent runs (the vault is not opened).
	ObjectLock *lockStatus `json:"object_lock,omitempty"`
	// ReplicaOf names the original when the vault is a replica.
	ReplicaOf string `json:"replica_of,omitempty"`
	// Copies are the last copies to the replicas the config file lists.
	Copies []copyRecord `json:"copies,omitempty"`
	// Integrity is the last check of the vault from this computer.
	Integrity *agent.Integrity `json:"integrity,omitempty"`
	// VerifyEverySeconds is how often the agent checks (0: off).
	VerifyEverySeconds int64 `json:"verify_every_s"`
}

// lockStatus is the Object Lock part of the status.
type lockStatus struct {
	Mode string `json:"mode"`
	Days int    `json:"days"`
	// LastPass is when this computer last ran a complete retention pass.
	LastPass time.Time `json:"last_pass,omitzero"`
	// RetainedUntil: at LastPass, every object the snapshots needed was
	// retained at least until then. Zero when the pass found an object
	// missing or could not extend one.
	RetainedUntil time.Time `json:"retained_until,omitzero"`
}

// statusVaultTimeout is how long status waits for the vault's storage to
// answer: status is the command people run when something is wrong, often
// the network.
const statusVaultTimeout = 5 * time.Second

func (a *app) runStatus(ctx context.Context) error {
	now := a.now()
	st, err := agent.ReadStatusFile(a.agentStatusFile())
	haveFile := err == nil
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		fmt.Fprintf(a.stderr, "tunesafe: warning: %v; ignoring the agent's status\n", err)
	}
	var r statusReport
	cfg, err := a.loadConfig()
	if err != nil {
		return err
	}
	plan, err := cfg.Verify.plan(a.configFile())
	if err != nil {
		return err
	}
	r.VerifyEverySeconds = int64(plan.every / time.Second)
	loc, locErr := a.vaultLocation()
	if locErr == nil {
		r.Vault = a.normalVault(loc)
	}
	switch {
	case haveFile && locErr == nil && !agentBacksUp(st, r.Vault):
		r.Agent.Running, r.Agent.PID, r.Agent.Vault, r.Agent.OtherVault = st.Running(), st.PID, st.Vault, true
	case haveFile:
		r.fromAgent(st, now)
	}
	// This computer's cache of the vault: the agent's key, else the one
	// kept for the vault's location.
	var key string
	if haveFile && !r.Agent.OtherVault {
		key = st.CacheKey
	}
	if key == "" && locErr == nil {
		key = a.stateKeyAt(ctx, loc)
	}
	if r.Agent.Running && !r.Agent.OtherVault {
		r.clockWindows(now)
		if key != "" {
			// A backup or verify run by hand is recorded in the cache,
			// not in the agent's status.
			if err := a.fromCache(ctx, &r, key, true); err != nil {
				fmt.Fprintf(a.stderr, "tunesafe: warning: %v; showing the agent's records\n", err)
			}
		}
		r.eta()
		r.settleError()
		if a.json {
			return a.printJSON(r)
		}
		shown := a.printLocalStatus(&r, haveFile, st)
		a.printVaultStatus(&r, shown)
		return nil
	}
	if locErr != nil {
		return locErr
	}
	if err := a.statusWindows(cfg, &r, now); err != nil {
		return err
	}
	if haveFile && !r.Agent.OtherVault && st.Windows != "" && st.Windows != r.Windows {
		r.AgentWindows = st.Windows
	}
	if key != "" {
		if err := a.fromCache(ctx, &r, key, false); err != nil {
			fmt.Fprintf(a.stderr, "tunesafe: warning: %v; the vault tells the last success\n", err)
		}
	}
	// What this computer knows first: the vault may not answer.
	var shown bool
	if !a.json {
		shown = a.printLocalStatus(&r, haveFile && !r.Agent.OtherVault, st)
	}
	vctx, noAnswer, cancel := untilAnswer(ctx, statusVaultTimeout)
	err = a.statusFromVault(vctx, &r, cfg)
	timedOut := noAnswer()
	cancel()
	if err != nil && timedOut {
		err = store.Transient(store.KindUnreachable, fmt.Errorf("%s: the vault did not answer within %s", loc, statusVaultTimeout))
	}
	if err != nil {
		if a.json {
			r.settleError()
			r.VaultError = err.Error()
			if perr := a.printJSON(r); perr != nil {
				return perr
			}
		}
		return err
	}
	r.eta()
	r.settleError()
	if a.json {
		return a.printJSON(r)
	}
	a.printVaultStatus(&r, shown)
	return nil
}

// agentBacksUp reports whether the agent that wrote st backs up vault (in
// the form of normalVault). A status that names no vault was written by an
// agent older than the record: it is taken at its word, as before.
func agentBacksUp(st agent.Status, vault string) bool {
	return st.Vault == "" || st.Vault == vault
}

// settleError sets LastErrorCleared when a backup succeeded after the last
// error, as far as the report knows.
func (r *statusReport) settleError() {
	r.LastErrorCleared = time.Time{}
	if e := r.LastError; e != nil {
		if ok := later(r.succeeded, r.LastSuccess); ok.After(e.Time) {
			r.LastErrorCleared = ok
		}
	}
}

// later returns the later of two times.
func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// eta sets the time to upload what remains at the rate.
func (r *statusReport) eta() {
	if r.Rate > 0 && r.Remaining != nil {
		eta := int64(math.Ceil(float64(r.Remaining.Bytes) / r.Rate))
		r.ETASeconds = &eta
	}
}

// fromAgent fills the report from the agent's status file.
func (r *statusReport) fromAgent(st agent.Status, now time.Time) {
	r.Agent.Running = st.Running()
	r.Agent.PID, r.Agent.State, r.Agent.Reason, r.Agent.Updated = st.PID, st.State, st.Reason, st.Updated
	r.Agent.Stale = r.Agent.Running && st.Stale(now)
	r.Agent.Vault = st.Vault
	r.Agent.Interrupted = !r.Agent.Running && st.State == agent.StateRunning
	r.Source = "agent"
	r.Protected, r.Pass, r.Remaining, r.Rate = st.Protected, st.Pass, st.Remaining, st.Rate
	r.LastSuccess, r.LastError, r.succeeded = st.Completed(), st.LastError, st.LastSuccess
	if p := st.Protected; p != nil && !p.Partial && p.Time.After(r.LastSuccess) {
		r.LastSuccess = p.Time
	}
	r.Integrity = st.Integrity
	r.Windows, r.WindowsFrom = st.Windows, "agent"
	r.WindowOpen, r.NextWindow, r.NextPass = st.WindowOpen, st.NextWindow, st.NextPass
	if !r.Agent.Running {
		r.Pass, r.NextPass = nil, time.Time{}
		// The count of the pass it was killed in, once that pass had
		// scanned the library (until then the agent's count is an older
		// pass's, or the files found so far), or of its last pass, when
		// that stopped with files left (PassSummary.Outcome).
		counted := st.Pass != nil && scanned(st.Pass)
		switch p := st.LastPass; {
		case r.Agent.Interrupted && counted:
			r.lastCount, r.lastCountAt, r.countCut = st.Remaining, st.Updated, true
		case p != nil && (strings.HasPrefix(p.Outcome, "checkpoint") || strings.HasPrefix(p.Outcome, "stopped early")):
			r.lastCount, r.lastCountAt = st.Remaining, p.Ended
		}
		r.cutUncounted = r.Agent.Interrupted && !counted
	}
}

// scanned reports whether the pass has scanned the library: its remaining
// count is then at most what is left (backup.Progress.Remaining).
func scanned(p *agent.PassStatus) bool {
	return p.Phase != "" && p.Phase != "scan"
}

// fromCache takes from this computer's cache, under key, what it records
// that the report may lack: the newest complete snapshot of this computer
// it wrote or read (by a backup run by hand, or before the running agent's
// first pass) for the last success, while the agent runs the newest
// snapshot for what is protected, and with integrity the last check of the
// vault, each when newer than the report's.
func (a *app) fromCache(ctx context.Context, r *statusReport, key string, integrity bool) error {
	if _, err := os.Stat(a.cacheFile()); errors.Is(err, fs.ErrNotExist) {
		return nil // status creates no cache
	}
	db, err := state.Open(a.cacheFile())
	if err != nil {
		return err
	}
	defer db.Close()
	c := db.Vault(key)
	if integrity {
		i, err := lastIntegrity(ctx, c)
		if err != nil {
			return err
		}
		r.newerIntegrity(i)
	}
	if !r.Agent.Running {
		lp, ok, err := c.LastPass(ctx)
		if err != nil {
			return err
		}
		if ok {
			r.fromLastPass(lp)
		}
	}
	host, _ := os.Hostname()
	newest, last, err := newestIn(ctx, c, host)
	if err != nil {
		return err
	}
	if last.After(r.LastSuccess) {
		r.LastSuccess = last
	}
	if newest != nil {
		r.succeeded = later(r.succeeded, newest.Time)
		if r.Agent.Running && (r.Protected == nil || newest.Time.After(r.Protected.Time)) {
			r.Protected, r.ProtectedCached = newest, true
		}
	}
	return nil
}

// fromLastPass takes from the record of the last backup pass what no
// running agent tells, when it is newer than what the agent's status file
// says (the agent's own passes are recorded there as well): the rate that
// pass measured, or the last one that measured one, and the pass itself,
// for what remains (statusFromVault).
func (r *statusReport) fromLastPass(lp state.LastPass) {
	if lp.Rate > 0 && (r.Rate <= 0 || lp.RateMeasured.After(r.Agent.Updated)) {
		r.Rate, r.RateMeasured = lp.Rate, lp.RateMeasured
	}
	if lp.Ended.After(r.Agent.Updated) {
		r.lastPass = &lp
	}
}

// clockWindows judges from the clock, against the running agent's
// windows, whether one is open now. The agent's word is as old as its last
// write, and a pass goes on after its window has closed, while it stores
// its checkpoint. Whether the user is idle and the computer on mains
// power only the agent can tell: that stays as it found it.
func (r *statusReport) clockWindows(now time.Time) {
	w, err := schedule.ParseWindows(r.Windows)
	if err != nil || r.Windows == "" {
		return
	}
	switch next := w.NextOpen(now); {
	case next.After(now):
		r.WindowOpen, r.NextWindow = false, next
	case !w.NeedsIdle() && !w.NeedsPower():
		r.WindowOpen, r.NextWindow = true, time.Time{}
	}
	if p := r.Pass; p != nil && !r.WindowOpen && !p.Deadline.IsZero() && !p.Deadline.After(now) {
		r.closedAt = p.Deadline
	}
}

// newerIntegrity takes i when it is newer than the report's check.
func (r *statusReport) newerIntegrity(i *agent.Integrity) {
	if i != nil && (r.Integrity == nil || i.Time.After(r.Integrity.Time)) {
		r.Integrity = i
	}
}

// statusWindows fills in the windows from the config file, as an agent
// started without --window would run with them.
func (a *app) statusWindows(cfg *fileConfig, r *statusReport, now time.Time) error {
	w, err := agentWindows(cfg, nil)
	if err != nil {
		return err
	}
	r.Windows, r.WindowsFrom = w.String(), "config"
	if len(cfg.Windows) == 0 {
		r.WindowsFrom = "default"
	}
	next := w.NextOpen(now)
	r.WindowOpen = !next.After(now) && !w.NeedsIdle() && !w.NeedsPower()
	r.NextWindow = time.Time{}
	if next.After(now) {
		r.NextWindow = next
	}
	return nil
}

// statusFromVault fills in what a running agent would have told: the
// newest snapshot, from the vault. What the agent recorded when it last
// ran (rate, last error) stays.
func (a *app) statusFromVault(ctx context.Context, r *statusReport, cfg *fileConfig) error {
	s, err := a.openVault(ctx)
	if err != nil {
		return err
	}
	defer s.Close()
	if l := s.vault.Config().ObjectLock; l != nil {
		last, until, err := retainRecord(ctx, s)
		if err != nil {
			return err
		}
		r.ObjectLock = &lockStatus{Mode: l.Mode, Days: l.Days, LastPass: last, RetainedUntil: until}
	}
	r.ReplicaOf = s.replicaOf
	if i, err := lastIntegrity(ctx, s.cache); err != nil {
		return err
	} else {
		r.newerIntegrity(i)
	}
	if cfg.isVault(s.loc) && s.replicaOf == "" {
		var err error
		if r.Copies, err = a.copyRecords(ctx, s, cfg.Copies); err != nil {
			return err
		}
	}
	host, _ := os.Hostname()
	all, damaged, err := s.vault.ReadableSnapshots(ctx)
	if err != nil {
		return fmt.Errorf("list snapshots: %w", err)
	}
	for _, d := range damaged {
		fmt.Fprintf(a.stderr, "tunesafe: warning: snapshot %s cannot be read (%v); set aside\n", short(d.ID.String()), d.Err)
	}
	r.Source = "vault"
	r.Protected, r.ProtectedCached = nil, false
	r.Remaining, r.RemainingEstimated, r.RemainingCounted, r.Unfinished = nil, false, time.Time{}, nil
	r.RemainingByBackup = false
	r.OtherHosts = otherHosts(all, host)
	ref, complete := newestOfHost(all, host)
	if complete != nil && complete.Time.After(r.LastSuccess) {
		r.LastSuccess = complete.Time
	}
	if ref != nil {
		newest := snapshotInfo(ref.ID, ref.Snapshot)
		r.Protected = &newest
		r.succeeded = later(r.succeeded, newest.Time)
	}
	if c := r.lastCount; c != nil && (c.Files > 0 || c.Bytes > 0) && (ref == nil || !r.lastCountAt.Before(ref.Time)) {
		// No pass stored a snapshot since the agent's last count.
		r.Remaining, r.RemainingCounted = c, r.lastCountAt
		return nil
	}
	if ref == nil || !ref.Partial {
		// Files that a backup stored after the newest complete snapshot
		// (or with none), and that no complete pass settled since: that
		// backup stopped before it finished.
		var under []string
		if ref != nil {
			under = ref.Paths
		}
		files, bytes, err := s.cache.PendingFiles(ctx, under)
		if err != nil {
			return err
		}
		if files > 0 {
			r.Unfinished = &agent.Remaining{Files: files, Bytes: bytes}
		}
		// The last backup ended unfinished after that snapshot (with no
		// checkpoint, or it would be the newest): what it counted left.
		if lp := r.lastPass; lp != nil && !lp.Complete && (lp.FilesRemaining > 0 || lp.BytesRemaining > 0) &&
			(ref == nil || !lp.Started.Before(ref.Time) && slices.Equal(lp.Paths, ref.Paths)) {
			r.Remaining = &agent.Remaining{Files: lp.FilesRemaining, Bytes: lp.BytesRemaining}
			r.RemainingCounted, r.RemainingByBackup = lp.Ended, true
			return nil
		}
		switch {
		case files > 0:
			// Unfinished: what that backup had not got to is unknown.
		case r.cutUncounted && (ref == nil || !r.Agent.Updated.Before(ref.Time)):
			// The agent's pass was cut off before it counted, and no
			// snapshot was stored since: unknown.
		case ref != nil:
			r.Remaining = &agent.Remaining{}
		}
		return nil
	}
	// A checkpoint: what its folders hold now that this computer has
	// not stored.
	var paths []string
	for _, p := range ref.Paths {
		if _, err := os.Lstat(p); err == nil {
			paths = append(paths, p)
		}
	}
	if len(paths) == 0 {
		return nil
	}
	// Left out as the backups leave it out, when the config file says.
	excluded, _ := a.exclusions(cfg, nil)
	rem, err := unstored(ctx, s.cache, paths, excluded)
	if err != nil {
		return err
	}
	r.Remaining, r.RemainingEstimated = &rem, true
	return nil
}

// statusRow prints one line of status: the key, padded so that the
// values line up, and the value.
func (a *app) statusRow(k, format string, args ...any) {
	fmt.Fprintf(a.stdout, "%-15s%s\n", k+":", fmt.Sprintf(format, args...))
}

// printLocalStatus prints what this computer knows, without the vault:
// the agent, the vault's name, the last success and error, the rate and
// the windows. It reports whether it showed the last success: when this
// computer has none on record, the vault's newest snapshot tells, after.
func (a *app) printLocalStatus(r *statusReport, haveFile bool, st agent.Status) (lastSuccessShown bool) {
	row := a.statusRow
	switch {
	case r.Agent.OtherVault && r.Agent.Running:
		row("agent", "running (pid %d) for another vault, %s; nothing of it is shown here", r.Agent.PID, r.Agent.Vault)
	case r.Agent.OtherVault:
		row("agent", "not running here (it last backed up another vault, %s)", r.Agent.Vault)
	case r.Agent.Running:
		line := fmt.Sprintf("running (pid %d), %s", r.Agent.PID, r.Agent.State)
		if r.Agent.Reason != "" {
			line += ": " + r.Agent.Reason
		}
		if r.Agent.Stale {
			line += fmt.Sprintf(" (no news since %s: asleep, or not the agent)", stamp(r.Agent.Updated))
		}
		row("agent", "%s", line)
	case r.Agent.Interrupted:
		row("agent", "not running: it stopped during a pass, killed or cut off (last seen %s); 'tunesafe agent' continues where it stopped", stamp(st.Updated))
	case haveFile:
		row("agent", "not running (last seen %s)", stamp(st.Updated))
	default:
		row("agent", "not running ('tunesafe agent', or 'tunesafe agent install' to run it at login)")
	}
	if r.Vault != "" {
		row("vault", "%s", r.Vault)
	}
	if st.ConfigError != "" && r.Agent.Running && !r.Agent.OtherVault {
		row("config", "not reloaded, the agent runs as before: %s", st.ConfigError)
	}
	if !r.LastSuccess.IsZero() {
		row("last success", "%s", stamp(r.LastSuccess))
	}
	r.settleError()
	if e := r.LastError; e != nil && !r.LastErrorCleared.IsZero() {
		row("last error", "none since a backup succeeded (%s); before it, %s (%s): %s", stamp(r.LastErrorCleared), stamp(e.Time), e.Class, e.Message)
	} else if e != nil {
		row("last error", "%s (%s): %s", stamp(e.Time), e.Class, e.Message)
		if e.Hint != "" {
			row("hint", "%s", e.Hint)
		}
	} else {
		row("last error", "none")
	}
	if r.Rate > 0 && !r.RateMeasured.IsZero() {
		row("rate", "%s/s (as the backup of %s measured it)", bytesize.Format(int64(r.Rate)), stamp(r.RateMeasured))
	} else if r.Rate > 0 {
		row("rate", "%s/s", bytesize.Format(int64(r.Rate)))
	} else {
		// A backup measures it over 15 s of uploads at least
		// (state.LastPass).
		row("rate", "not measured yet")
	}
	row("next window", "%s", r.windowLine())
	if !r.NextPass.IsZero() && r.Pass == nil {
		row("next pass", "%s", stamp(r.NextPass))
	}
	return !r.LastSuccess.IsZero()
}

// windowLine says when the next window opens, with the windows and whose
// they are, and that the running pass is finishing when its window has
// closed.
func (r *statusReport) windowLine() string {
	win := "windows: " + r.Windows
	switch r.WindowsFrom {
	case "config":
		win += ", from the config file"
	case "default":
		win += ", as the config file sets none"
	}
	if r.WindowsFrom != "agent" && r.AgentWindows != "" {
		win += "; the agent last ran with " + r.AgentWindows
	}
	var line string
	switch {
	case r.WindowOpen:
		line = "open now (" + win + ")"
	case !r.NextWindow.IsZero():
		line = stamp(r.NextWindow) + " (" + win + ")"
	default:
		line = "when the conditions hold (" + win + ")"
	}
	switch {
	case r.Pass == nil || r.WindowOpen:
	case r.closedAt.IsZero():
		line += "; the window closed, the pass is finishing"
	default:
		line += "; the window closed at " + stamp(r.closedAt) + ", the pass is finishing"
	}
	return line
}

// printVaultStatus prints what the vault holds and what remains, and the
// last success unless printLocalStatus showed it.
func (a *app) printVaultStatus(r *statusReport, lastSuccessShown bool) {
	row := a.statusRow
	if !lastSuccessShown {
		if r.LastSuccess.IsZero() {
			row("last success", "never")
		} else {
			row("last success", "%s", stamp(r.LastSuccess))
		}
	}
	if p := r.Protected; p != nil {
		what := "snapshot"
		if p.Partial {
			what = "checkpoint"
		}
		from := ""
		if r.ProtectedCached {
			from = ", as this computer's cache recorded it"
		}
		row("protected", "%s, %s (%s %s of %s%s)", plural(p.Files, "file", "files"), bytesize.Format(p.Bytes), what, short(p.ID), stamp(p.Time), from)
	} else if r.Agent.Running && !r.Agent.OtherVault && !r.LastSuccess.IsZero() {
		row("protected", "not known here: the agent's next pass reads it from the vault (the last success was %s)", stamp(r.LastSuccess))
	} else if r.Agent.Running && !r.Agent.OtherVault {
		row("protected", "not known until the agent's first pass")
	} else if len(r.OtherHosts) > 0 {
		o := r.OtherHosts[0]
		others := o.Host
		if n := len(r.OtherHosts) - 1; n > 0 {
			others += fmt.Sprintf(" and %s", plural(n, "other computer", "other computers"))
		}
		row("protected", "nothing yet from this computer; the vault holds the backups of %s (%s, %s in its newest, %s): 'tunesafe restore --host %s --to DIR' restores them",
			others, plural(o.Files, "file", "files"), bytesize.Format(o.Bytes), stamp(o.Time), o.Host)
	} else {
		row("protected", "nothing yet: no snapshot of this computer in the vault")
	}

	if p := r.Pass; p != nil {
		line := fmt.Sprintf("%s since %s: %d/%s, read %s of %s, uploaded %s", or(p.Phase, "starting"), stamp(p.Started),
			p.FilesDone, plural(p.FilesTotal, "file", "files"), bytesize.Format(p.BytesRead), bytesize.Format(p.BytesToRead), bytesize.Format(p.BytesUploaded))
		if !p.Deadline.IsZero() {
			line += "; stops at " + stamp(p.Deadline)
		}
		row("pass", "%s", line)
		if rt := p.Retrying; rt != nil {
			row("waiting", "the storage has not answered since %s: retrying %s (attempt %d): %s",
				stamp(rt.Since), rt.Request, rt.Attempt, rt.Error)
		}
	}

	switch rem := r.Remaining; {
	case rem != nil && r.RemainingByBackup:
		line := fmt.Sprintf("at most %s, %s (as the last backup counted when it ended unfinished at %s)", plural(rem.Files, "file", "files"), bytesize.Format(rem.Bytes), stamp(r.RemainingCounted))
		if u := r.Unfinished; u != nil {
			line += fmt.Sprintf("; no complete snapshot holds the %s stored so far", plural(u.Files, "file", "files"))
		}
		row("remaining", "%s; run 'tunesafe backup'", line)
	case r.Unfinished != nil:
		row("remaining", "some files: a backup stopped before it finished, and no complete snapshot holds the %s it stored; run 'tunesafe backup'",
			plural(r.Unfinished.Files, "file", "files"))
	case rem == nil && r.cutUncounted && r.Source == "vault":
		row("remaining", "unknown: the agent's pass was cut off (last seen %s) before it had counted; 'tunesafe agent' or 'tunesafe backup' counts again", stamp(r.Agent.Updated))
	case rem == nil:
		row("remaining", "unknown until a pass has scanned the library")
	case r.Pass != nil && !scanned(r.Pass) && r.Pass.FilesTotal > 0:
		row("remaining", "%s, %s found so far: the pass is still scanning the library", plural(rem.Files, "file", "files"), bytesize.Format(rem.Bytes))
	case r.Pass != nil && !scanned(r.Pass):
		row("remaining", "not counted yet: the pass is scanning the library")
	case rem.Files == 0 && rem.Bytes == 0 && r.Source == "vault":
		row("remaining", "nothing, as of the last snapshot")
	case rem.Files == 0 && rem.Bytes == 0:
		row("remaining", "nothing")
	case !r.RemainingCounted.IsZero() && r.countCut:
		row("remaining", "at most %s, %s (as the agent counted at %s, the last it wrote before its pass was cut off)", plural(rem.Files, "file", "files"), bytesize.Format(rem.Bytes), stamp(r.RemainingCounted))
	case !r.RemainingCounted.IsZero():
		row("remaining", "at most %s, %s (as the agent counted at %s)", plural(rem.Files, "file", "files"), bytesize.Format(rem.Bytes), stamp(r.RemainingCounted))
	case r.RemainingEstimated:
		row("remaining", "at most %s, %s (the folders now, less the files stored whole)", plural(rem.Files, "file", "files"), bytesize.Format(rem.Bytes))
	default:
		row("remaining", "at most %s, %s", plural(rem.Files, "file", "files"), bytesize.Format(rem.Bytes))
	}
	if r.ETASeconds != nil && *r.ETASeconds > 0 {
		d := time.Duration(*r.ETASeconds) * time.Second
		row("ETA", "%s of backing up at this rate (inside the windows)", formatETA(d))
	}
	if l := r.ObjectLock; l != nil {
		policy := l.Mode + ", " + plural(l.Days, "day", "days")
		switch {
		case l.LastPass.IsZero():
			row("object lock", "%s; retention not checked from this computer yet (the next backup does, or 'tunesafe retain')", policy)
		case l.RetainedUntil.IsZero():
			row("object lock", "%s; the pass of %s found objects missing or not extended: run 'tunesafe retain'", policy, stamp(l.LastPass))
		default:
			row("object lock", "%s; by this computer's records of its last pass (%s), everything the snapshots need is locked until at least %s", policy, stamp(l.LastPass), stamp(l.RetainedUntil))
		}
	}
	if r.Integrity != nil || r.Source == "vault" {
		row("integrity", "%s", integrityLine(r.Integrity, time.Duration(r.VerifyEverySeconds)*time.Second))
	}
	if r.ReplicaOf != "" {
		row("replica", "of %s, made by 'tunesafe copy': only read here", r.ReplicaOf)
	}
	for _, c := range r.Copies {
		switch {
		case c.Invalid != "":
			row("copy", "%s: not valid in the config file, never copied to: %s", c.To, c.Invalid)
		case c.Time.IsZero():
			row("copy", "%s: not copied to yet ('tunesafe copy', or the next backup)", c.To)
		case c.Error != "":
			row("copy", "%s: the copy of %s did not finish: %s", c.To, stamp(c.Time), c.Error)
		case !c.Complete:
			row("copy", "%s: the copy of %s left %s behind (lost or damaged in the vault): run 'tunesafe audit'", c.To, stamp(c.Time), plural(c.Problems, "object", "objects"))
		case c.Recoverable > 0:
			row("copy", "%s: up to date as of %s, and holds %s the vault has lost or damaged: run '%s'",
				c.To, stamp(c.Time), plural(c.Recoverable, "object", "objects"), shellJoin([]string{"tunesafe", "repair", "--from", c.To}))
		default:
			row("copy", "%s: up to date as of %s (%s)", c.To, stamp(c.Time), plural(c.Records, "log record", "log records"))
		}
	}
}

// stamp formats a time for people, in local time.
func stamp(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.Local().Format("2006-01-02 15:04")
}

// formatHours prints a long duration in hours and minutes ("180h36m"),
// the unit people plan uploads in.
func formatHours(d time.Duration) string {
	d = d.Round(time.Minute)
	h, m := int64(d/time.Hour), int64(d%time.Hour/time.Minute)
	switch {
	case h == 0:
		return fmt.Sprintf("%dm", m)
	case m == 0:
		return fmt.Sprintf("%dh", h)
	}
	return fmt.Sprintf("%dh%02dm", h, m)
}
