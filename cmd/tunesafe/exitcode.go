package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"time"

	"github.com/tunesafe/tunesafe/internal/auditlog"
	"github.com/tunesafe/tunesafe/internal/exclude"
	"github.com/tunesafe/tunesafe/internal/locks"
	"github.com/tunesafe/tunesafe/internal/restore"
	"github.com/tunesafe/tunesafe/internal/store"
	"github.com/tunesafe/tunesafe/internal/store/folder"
	"github.com/tunesafe/tunesafe/internal/store/s3store"
	"github.com/tunesafe/tunesafe/internal/vault"
)

// Exit codes, documented in README.md. Scripts may rely on them.
const (
	exitOK          = 0
	exitFailure     = 1  // any other error
	exitUsage       = 2  // bad command line or configuration
	exitWarnings    = 3  // backup completed, but some files were skipped
	exitIntegrity   = 4  // data lost, corrupted or tampered with
	exitStopped     = 5  // backup stopped at a limit, with a checkpoint
	exitNoVault     = 10 // no vault at the location, or an unreadable one
	exitPassphrase  = 11 // wrong or missing passphrase
	exitCredentials = 12 // missing or rejected storage credentials
	exitUnreachable = 13 // the storage could not be reached
	exitNoBucket    = 14 // the bucket does not exist
	exitInterrupted = 130
)

// usageError marks a bad command line.
type usageError struct{ msg, hint string }

func (e *usageError) Error() string { return e.msg }

func usagef(hint, format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...), hint: hint}
}

// warningsError: the command completed with warnings already reported.
type warningsError struct{ n int }

func (e *warningsError) Error() string { return fmt.Sprintf("completed with %d warnings", e.n) }

// limitStopError: a backup stopped at --max-time, --max-upload or its
// stop hook, saved a checkpoint and said so in its summary; the exit code
// tells a script that the backup is not complete yet.
type limitStopError struct{ reason string }

func (e *limitStopError) Error() string { return "backup stopped: " + e.reason }

// integrityError: a check found lost, corrupted or tampered data.
type integrityError struct{ msg string }

func (e *integrityError) Error() string { return e.msg }

// hinted attaches a hint to an error.
type hinted struct {
	err  error
	hint string
}

func (h *hinted) Error() string { return h.err.Error() }
func (h *hinted) Unwrap() error { return h.err }

func withHint(err error, hint string) error {
	if err == nil {
		return nil
	}
	return &hinted{err, hint}
}

// classify maps an error to its exit code, message and hint: the one place
// where errors meet the user.
func classify(err error) (code int, msg, hint string) {
	msg = err.Error()
	var h *hinted
	if errors.As(err, &h) {
		hint = h.hint
	}
	var ue *usageError
	var we *warningsError
	var ie *integrityError
	var fe *vault.FormatError
	var ce *vault.CorruptError
	var rf *restore.FailedError
	var rd *restore.DamagedError
	var te *auditlog.TamperError
	var re *replicaError
	var pe *folder.PermissionError
	var oe *exclude.OwnError
	var be *busyError
	var lc *locks.ConflictError
	var amb *vault.AmbiguousError
	switch {
	case errors.As(err, &be):
		return exitFailure, msg, or(hint, be.hint())
	case errors.As(err, &lc):
		return exitFailure, msg, or(hint, conflictHint(lc, ""))
	case errors.As(err, &oe):
		return exitUsage, msg, or(hint, "back up the music folder, not "+oe.Why)
	case errors.As(err, &we):
		return exitWarnings, msg, ""
	case errors.As(err, new(*limitStopError)):
		return exitStopped, msg, ""
	case errors.As(err, &re):
		return exitUsage, re.Error(), or(hint, re.hint())
	case errors.As(err, new(*restore.NoMatchError)):
		// Like a --playlist, --artist or 'ls PATH' that names nothing in
		// the snapshot: the command line asks for what is not there.
		return exitUsage, msg, or(hint, "list the snapshot's paths with 'tunesafe ls -r'")
	case errors.As(err, &ue):
		if hint == "" {
			hint = ue.hint
		}
		if hint == "" {
			hint = "see 'tunesafe help'"
		}
		return exitUsage, msg, hint
	case errors.As(err, new(*stoppedError)):
		return exitInterrupted, msg, ""
	case errors.Is(err, context.Canceled):
		return exitInterrupted, "interrupted; run the same command again to continue where it stopped", ""
	case errors.Is(err, vault.ErrNoVault):
		return exitNoVault, msg, or(hint, "check --vault (or TUNESAFE_VAULT), or create a vault with 'tunesafe init LOCATION'")
	case errors.As(err, &fe) && fe.Newer:
		return exitNoVault, msg, or(hint, "a newer Tunesafe wrote this vault: install it to read the vault; nothing was changed")
	case errors.As(err, &fe):
		return exitNoVault, msg, or(hint, "the vault's tunesafe.json is damaged or not Tunesafe's: compare it with a replica's ('tunesafe copy') or with FORMAT.md in the vault; nothing was changed")
	case errors.Is(err, vault.ErrNoSnapshots):
		return exitFailure, msg, or(hint, "back up first: tunesafe backup PATH")
	case errors.As(err, &amb):
		return exitFailure, msg, or(hint, ambiguousHint(amb))
	case errors.Is(err, vault.ErrNoSnapshot):
		return exitFailure, msg, or(hint, "list the snapshots with 'tunesafe snapshots': give an ID, a unique prefix of one, or latest")
	case errors.Is(err, vault.ErrExists):
		return exitUsage, msg, or(hint, "the vault is ready: back up into it with 'tunesafe backup --vault LOCATION PATH', or give another location")
	case errors.Is(err, vault.ErrNoKeyFile):
		// Wherever it was found (opening, or a remembered key that
		// needed the vault's key files after all): the same way back.
		return exitIntegrity, msg, or(hint, noKeyFileHint)
	case errors.Is(err, vault.ErrWrongPassphrase):
		return exitPassphrase, msg, or(hint, "check TUNESAFE_PASSPHRASE, or the file given with --passphrase-file (which comes first); with neither, Tunesafe asks on the terminal; nothing was changed")
	case errors.Is(err, vault.ErrNeedPassphrase):
		return exitPassphrase, msg, or(hint, "set TUNESAFE_PASSPHRASE, pass --passphrase-file FILE, or run in a terminal to be asked")
	case errors.As(err, &te):
		return exitIntegrity, msg, or(hint, "the vault's log is damaged, or not what this computer saw before: keep a copy of the vault before writing to it; snapshots, ls, diff and restore still read it")
	case errors.As(err, &rd):
		// Before the corruption case, which would match too: restoring
		// again is what a user tries first, and what does not help.
		if rd.Lost {
			return exitIntegrity, msg, or(hint, "the vault no longer holds what this restore needs, so running restore again will not help: "+restoreDamageHelp("verify", "repair"))
		}
		return exitIntegrity, msg, or(hint, "the vault holds a damaged copy of what this restore needs, so running restore again will not help: "+restoreDamageHelp("verify --deep", "repair --deep"))
	case errors.As(err, &ie), errors.As(err, &ce):
		return exitIntegrity, msg, or(hint, "run 'tunesafe audit' to see what was lost or damaged and by whom")
	case errors.As(err, &rf):
		return exitFailure, msg, or(hint, "files already restored correctly are skipped when you run restore again")
	case errors.As(err, &pe):
		// The cause is known: a hint written for the operation in
		// general ("the audit needs the vault to itself") would mislead.
		if pe.ReadOnlyDisk {
			return exitFailure, msg, "the vault's disk is mounted read-only: restore, ls, snapshots and status work on it as it is; remount it read-write to back up or change the vault"
		}
		return exitFailure, msg, "check the permissions of the vault folder and its files (ls -l): backups and other changes need write permission, restore, ls, snapshots and status only read permission"
	}
	var regionErr *s3store.RegionError
	switch store.KindOf(err) {
	case store.KindCredentials:
		return exitCredentials, msg, or(hint, credentialsHint())
	case store.KindAccessDenied:
		return exitCredentials, msg, or(hint, "check the key ("+credentialsSource()+") and what it may do: backups need s3:ListBucket, s3:GetObject, s3:PutObject and s3:DeleteObject on the bucket; restore, ls, snapshots and verify only s3:ListBucket and s3:GetObject")
	case store.KindRegion:
		if errors.As(err, &regionErr) && regionErr.Want != "" {
			return exitUsage, msg, or(hint, fmt.Sprintf("set AWS_REGION=%s (or region = %s in the profile's section of ~/.aws/config); nothing was changed", regionErr.Want, regionErr.Want))
		}
		return exitUsage, msg, or(hint, "set AWS_REGION to the bucket's region (your provider's console shows it); nothing was changed")
	case store.KindClock:
		return exitUsage, msg, or(hint, "set this computer's clock right, best by network time ('timedatectl set-ntp true' on Linux; Date & Time settings on macOS and Windows), then run the command again; nothing was changed")
	case store.KindTLS:
		return exitUsage, msg, or(hint, "for a server with a certificate of your own CA, set AWS_CA_BUNDLE to the CA's PEM file; check that the endpoint's http:// or https:// is what the server speaks; nothing was changed")
	case store.KindNoBucket:
		return exitNoBucket, msg, or(hint, "create the bucket with your provider's console or CLI first, then run the command again")
	case store.KindUnreadable:
		return exitIntegrity, msg, or(hint, "the storage keeps this object but cannot serve it: it is damaged where the storage keeps it; 'tunesafe verify --deep' lists every such object, 'tunesafe repair --deep' stores them again from the files on this computer")
	case store.KindUnreachable, store.KindServer, store.KindThrottled:
		return exitUnreachable, msg, or(hint, "check the network and the endpoint (--endpoint or AWS_ENDPOINT_URL_S3); nothing was lost, run the command again later")
	case store.KindDiskFull:
		return exitFailure, msg, or(hint, "free some space on the vault's disk; nothing was lost")
	case store.KindInvalid:
		// A vault location, endpoint or profile the store cannot use.
		return exitUsage, msg, or(hint, "check --vault (s3://bucket/prefix, bucket names are 3 to 63 lowercase letters, digits, dots and hyphens), --endpoint (with http:// or https://) and the AWS profile")
	}
	if errors.Is(err, fs.ErrNotExist) {
		return exitFailure, msg, hint
	}
	return exitFailure, msg, hint
}

// restoreDamageHelp is the way back to a file whose content the vault
// lost or holds damaged: most often the computer that backed it up is the
// one that died, so the ways that need no such computer come first.
func restoreDamageHelp(verify, repair string) string {
	return "an older snapshot may hold the file intact ('tunesafe snapshots', then 'tunesafe restore --snapshot ID PATH'); " +
		"'tunesafe repair --from LOCATION' puts it back from a replica made by 'tunesafe copy', " +
		"'tunesafe " + repair + "' from the files still on a computer that backed them up; " +
		"'tunesafe " + verify + "' lists what else is affected"
}

// conflictHint says what holds the vault, to wait for it, and, unless
// it is known to be running on this computer, when its lock goes stale if
// its holder died. need, when given, says why the command must wait.
func conflictHint(ce *locks.ConflictError, need string) string {
	o := ce.Other
	what := lockHolder(o)
	var h string
	switch {
	case o.Kind == "?":
		h = fmt.Sprintf("%s is not a lock Tunesafe can read; it blocks the vault until %s", o.Key, lockTime(o.StaleAt(), o.Refreshed))
	case ce.Running:
		h = fmt.Sprintf("wait until %s (pid %d on this computer) has finished, then run this again", what, o.PID)
		if o.Command == "agent" {
			h += " ('tunesafe status' shows the agent's pass)"
		}
	default:
		h = fmt.Sprintf("wait until %s on %s has finished, then run this again; if it died, its lock goes stale at %s (%d minutes after its last refresh)",
			what, o.Host, lockTime(o.StaleAt(), o.Refreshed), int(locks.Stale.Minutes()))
	}
	if need != "" {
		return need + ": " + h
	}
	return h
}

// lockHolder names what holds a lock: "the agent's backup", "a copy".
func lockHolder(o locks.Info) string {
	what := o.Kind
	switch o.Kind {
	case locks.Retain:
		what = "retain pass"
	case locks.Audit:
		what = "integrity check"
		if o.Command != "" && o.Command != "agent" {
			what = o.Command // verify, audit or repair
		}
	}
	if o.Command == "agent" {
		return "the agent's " + what
	}
	return article(what) + " " + what
}

func article(w string) string {
	if w != "" && strings.ContainsRune("aeiou", rune(w[0])) {
		return "an"
	}
	return "a"
}

// lockTime is t in local time, without its date when it is ref's date.
func lockTime(t, ref time.Time) string {
	t, ref = t.Local(), ref.Local()
	if t.Format("2006-01-02") == ref.Format("2006-01-02") {
		return t.Format("15:04")
	}
	return t.Format("2006-01-02 15:04")
}

func or(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// ambiguousHint names the snapshots an ambiguous prefix could mean (the
// newest few), so that the user can pick without listing them all.
func ambiguousHint(e *vault.AmbiguousError) string {
	const most = 4
	m := e.Matches
	if len(m) > most {
		m = m[len(m)-most:]
	}
	var names []string
	for i := len(m) - 1; i >= 0; i-- {
		names = append(names, fmt.Sprintf("%s (%s, %s)", short(m[i].ID.String()), m[i].Time.Local().Format(snapshotTime), m[i].Host))
	}
	more := ""
	if n := len(e.Matches) - len(m); n > 0 {
		more = fmt.Sprintf(" and %d older", n)
	}
	return fmt.Sprintf("give more of the ID: it could be %s%s ('tunesafe snapshots' lists them)", strings.Join(names, ", "), more)
}
