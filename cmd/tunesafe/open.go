package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/tunesafe/tunesafe/internal/auditlog"
	"github.com/tunesafe/tunesafe/internal/state"
	"github.com/tunesafe/tunesafe/internal/store"
	"github.com/tunesafe/tunesafe/internal/store/folder"
	"github.com/tunesafe/tunesafe/internal/vault"
	"github.com/tunesafe/tunesafe/internal/vaultcopy"
)

// isS3 reports whether a vault location names S3 storage.
func isS3(loc string) bool { return strings.HasPrefix(loc, "s3://") }

// mistypedS3 reports whether loc was meant as S3 but is not written
// s3://...: "s3:/bucket", "S3://bucket". It is not a folder name.
func mistypedS3(loc string) bool {
	return !isS3(loc) && strings.HasPrefix(strings.ToLower(loc), "s3:")
}

// openBackend returns the raw store for a location. create allows a
// missing folder to be created (init, and backup's auto-creation).
func (a *app) openBackend(ctx context.Context, loc string, create bool) (store.Store, error) {
	switch {
	case isS3(loc):
		u, err := url.Parse(loc)
		if err != nil || u.Host == "" {
			return nil, usagef("write it as s3://bucket or s3://bucket/prefix", "invalid vault location %q", loc)
		}
		return a.openS3(ctx, u)
	case mistypedS3(loc):
		return nil, usagef("write it as s3://bucket or s3://bucket/prefix", "invalid vault location %q", loc)
	case strings.Contains(loc, "://"):
		return nil, usagef("use s3://bucket/prefix for S3-compatible storage, or a folder path", "unsupported vault location %q", loc)
	}
	fi, err := os.Stat(loc)
	switch {
	case errors.Is(err, fs.ErrNotExist) && !create:
		return nil, withHint(fmt.Errorf("%s: %w", loc, vault.ErrNoVault), "the folder does not exist: is the disk mounted? Create a vault with 'tunesafe init "+loc+"'")
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return nil, err
	case !fi.IsDir():
		return nil, usagef("a vault is a folder: give a new or empty folder's path", "%s is not a folder", loc)
	}
	return folder.New(loc)
}

// session is an open vault with its log and cache.
type session struct {
	a     *app
	loc   string
	vault *vault.Vault
	log   *auditlog.Log
	// raw is the store below the log: what the provider actually holds.
	raw   store.Store
	db    *state.DB
	cache *state.Cache
	// cacheKey is the key of cache's rows (stateKey).
	cacheKey string
	// replicaOf names the original when the vault is a replica made by
	// 'tunesafe copy': it is then only read.
	replicaOf string
	// readOnly says why the vault can only be read, when its folder
	// refuses this user's writes (a disk mounted read-only, a share
	// without write permission); nil when it can be written. Every write
	// fails with it, and nothing is recorded in the log.
	readOnly error
	// own is this process's hold on the log's local state (logowner.go).
	own *logOwnership
	// lostConfig is set when the provider lost tunesafe.json and the
	// vault was opened with a rebuilt one (lostconfig.go).
	lostConfig *lostConfig
}

// Close publishes the log's pending records and closes the cache. A log
// that cannot be published now keeps its records in the local journal for
// the next run.
func (s *session) Close() {
	if s.log != nil {
		err := s.log.Close(context.Background())
		if errors.Is(err, auditlog.ErrReadOnly) {
			// Records of an earlier run, which a log opened
			// read-only does not publish: the next command that can
			// write does.
			err = nil
		}
		if err != nil {
			fmt.Fprintf(s.a.stderr, "tunesafe: warning: the vault's log could not be updated now (%v); it will be on the next run\n", err)
		}
	}
	s.own.release()
	if s.db != nil {
		s.db.Close()
	}
}

// openVault opens the vault named by the flags, and the local cache.
func (a *app) openVault(ctx context.Context) (*session, error) {
	return a.openVaultWith(ctx, openNormal)
}

// openMode is what a command opens the vault for.
type openMode int

const (
	openNormal openMode = iota
	// openAudit: see openVaultForAudit.
	openAudit
	// openRepair: see openVaultForRepair.
	openRepair
)

// openVaultForAudit is openVault for verify and audit, which report a
// damaged log instead of stopping at it: the session's log is then the
// one this computer last verified, opened read-only
// (auditlog.OpenDamaged), nothing can be written (readOnly is the
// damage), and the audit reports the damage and classifies the objects
// against that log.
func (a *app) openVaultForAudit(ctx context.Context) (*session, error) {
	return a.openVaultWith(ctx, openAudit)
}

// openVaultForRepair is openVault for repair, which stores again a
// tunesafe.json the provider lost (lostconfig.go): the session then has
// the rebuilt one in lostConfig, and writes.
func (a *app) openVaultForRepair(ctx context.Context) (*session, error) {
	return a.openVaultWith(ctx, openRepair)
}

func (a *app) openVaultWith(ctx context.Context, mode openMode) (*session, error) {
	forAudit := mode == openAudit
	loc, err := a.vaultLocation()
	if err != nil {
		return nil, err
	}
	backend, err := a.openBackend(ctx, loc, false)
	if err != nil {
		return nil, err
	}
	readOnly, err := writable(backend)
	if err != nil {
		return nil, err
	}
	chain := a.decorate(backend)
	// A replica's log is its original's: it is opened read-only, and
	// nothing is written to the replica (see vaultcopy). The replica's
	// mark is read while the vault opens: one round trip less.
	type markRead struct {
		mark    vaultcopy.Marker
		replica bool
		err     error
	}
	marked := make(chan markRead, 1)
	markCtx, cancelMark := context.WithCancel(ctx)
	defer cancelMark()
	go func() {
		var r markRead
		r.mark, r.replica, r.err = vaultcopy.ReadMarker(markCtx, chain)
		marked <- r
	}()
	opts := vault.OpenOptions{Passphrase: a.passphrase(false), AskAgain: a.askAgain, RememberedIDKey: a.rememberedIDKey,
		// A command that may write (backup and the agent above all,
		// and status, which answers for them) refuses a vault whose
		// key files are gone even when it would decrypt nothing, for
		// one LIST: what a backup stored there nobody could ever read.
		// Reading commands find it when they decrypt; verify and audit
		// report it as a lost object, and repair --from puts it back.
		CheckKeyFiles: mode == openNormal && !a.reading}
	v, err := vault.OpenWith(ctx, chain, opts)
	if errors.Is(err, vault.ErrNoVault) && a.knownLocation(backend) {
		err = knownButNoVault(ctx, chain)
	}
	var lost *lostConfig
	if configUnreadable(err) && (a.reading || mode != openNormal) {
		v, lost, err = a.openLostConfig(ctx, backend, chain, opts, err)
	}
	if err != nil {
		cancelMark() // its error would only repeat this one
		return nil, openVaultError(loc, err)
	}
	mr := <-marked
	a.rememberIDKey(v)
	if lost == nil {
		a.keepConfig(stateKey(v.Config().ID, backend), v.ConfigJSON())
	} else if mode != openRepair {
		// Read with a rebuilt tunesafe.json, and written only once
		// repair has stored it again.
		fmt.Fprintf(a.stderr, "tunesafe: warning: %s\n", lost)
		readOnly = &lostConfigError{lost.why}
	}
	// A vault under S3 Object Lock locks everything written from here on.
	if chain, v, err = a.lockedChain(backend, chain, v); err != nil {
		return nil, err
	}
	key := stateKey(v.Config().ID, backend)
	mark, replica := mr.mark, mr.replica
	if mr.err != nil {
		return nil, mr.err
	}
	l, own, err := a.openLog(ctx, v, chain, key, replica || readOnly != nil)
	var te *auditlog.TamperError
	switch {
	case err != nil && forAudit && errors.As(err, &te):
		l, own, err = a.openDamagedLog(ctx, v, chain, key, te)
		if err != nil {
			return nil, err
		}
		readOnly = te
	case err != nil && a.reading && errors.As(err, &te):
		// The log is not needed to read the data: a command that only
		// reads goes on without it, and says so.
		fmt.Fprintf(a.stderr, "tunesafe: warning: %v\ntunesafe: warning: reading the vault without its log; nothing will be written to it; run 'tunesafe audit' to see what happened\n", err)
		readOnly = err
	case err != nil:
		return nil, err
	}
	// From here on every PUT and DELETE is recorded in the log.
	var st store.Store = chain
	if l != nil {
		st = auditlog.Wrap(chain, l)
	}
	switch {
	case replica:
		st = replicaStore{st, &replicaError{loc: loc, of: mark.Of}}
	case readOnly != nil:
		st = readOnlyStore{st, readOnly}
	case own.busy != nil:
		st = readOnlyStore{st, own.busy}
	}
	s, err := a.newSession(ctx, loc, key, v.WithStore(st), l)
	if err != nil {
		own.release()
		return nil, err
	}
	s.own = own
	if replica {
		s.replicaOf = mark.Of
	}
	s.readOnly = readOnly
	s.raw = chain
	s.lostConfig = lost
	return s, nil
}

// knownLocation reports whether this computer has used a vault at the
// location of backend.
func (a *app) knownLocation(backend store.Store) bool {
	return a.usedLocation(canonicalLocation(backend))
}

// usedLocation reports whether this computer has made or opened a vault
// at the canonical location: its state there is kept under a key ending
// in the location's digest (stateKey), with a copy of the vault's
// tunesafe.json (keepConfig). A creation killed before the vault was
// made leaves a state folder without one: there was never a vault to
// miss.
func (a *app) usedLocation(canonical string) bool {
	known, _ := filepath.Glob(filepath.Join(a.vaultStateDir("*@"+locationDigest(canonical)), vault.ConfigKey))
	return len(known) > 0
}

// knownButNoVault says why a location this computer has used a vault at
// holds none: its tunesafe.json is lost when anything else is left, and
// otherwise the location is empty (a disk not mounted, another bucket).
func knownButNoVault(ctx context.Context, s store.Store) error {
	for _, err := range s.List(ctx, "") {
		if err != nil {
			return err
		}
		return vault.ErrConfigLost
	}
	return withHint(vault.ErrNoVault,
		"this computer has used a vault there, and the location is empty: is the disk mounted, the bucket and prefix right? If the provider lost the vault, copy it back from a replica ('tunesafe copy')")
}

// noKeyFileHint is the way back for an encrypted vault whose key files
// are gone (vault.ErrNoKeyFile). No computer can write them again: the
// identity they hold is never kept outside them (idkey.go), and the
// passphrase only unlocks them.
const noKeyFileHint = "copy the key files (keys/...) back from a replica or another copy of the vault: by hand, or with 'tunesafe repair --from REPLICA' on a computer that has used the vault; no computer keeps them, and without them nothing in the vault can be decrypted"

// openVaultError says why the vault at loc did not open. A vault object
// the provider lost is data lost (exit code 4), with the way back: never
// "no vault here", whose hint would be to create one over it.
func openVaultError(loc string, err error) error {
	switch {
	case configUnreadable(err):
		return withHint(&integrityError{msg: fmt.Sprintf("open vault %s: %v", loc, err)},
			"run 'tunesafe repair' to store it again, rebuilt from this computer's copy or the vault's key files (reading commands such as restore work meanwhile), or copy it back from a replica; do not run 'tunesafe init' there")
	case errors.Is(err, vault.ErrNoKeyFile):
		return withHint(&integrityError{msg: fmt.Sprintf("open vault %s: %v", loc, err)}, noKeyFileHint)
	}
	return noVaultHint(loc, fmt.Errorf("open vault %s: %w", loc, err))
}

// writable asks a store that can tell without writing (a folder) whether
// this user may write to it, and returns why not: a *folder.PermissionError
// as a store error, or nil. A vault that can only be read opens for
// reading: restore, ls, snapshots and status work, and a write fails before
// the log journals it. A store that cannot tell is taken as writable; its
// writes fail by themselves if they must.
func writable(backend store.Store) (readOnly, err error) {
	w, ok := backend.(interface{ CheckWritable() error })
	if !ok {
		return nil, nil
	}
	err = w.CheckWritable()
	if store.KindOf(err) == store.KindAccessDenied {
		return err, nil
	}
	return nil, err
}

// readOnlyStore refuses every write with err, the reason the vault can
// only be read.
type readOnlyStore struct {
	store.Store
	err error
}

func (s readOnlyStore) Put(context.Context, string, []byte) error { return s.err }
func (s readOnlyStore) Delete(context.Context, string) error      { return s.err }

// newSession opens the cache of v at its location, by the location's state
// key (stateKey), and returns the session. It takes over l.
func (a *app) newSession(ctx context.Context, loc, key string, v *vault.Vault, l *auditlog.Log) (*session, error) {
	fail := func(err error) (*session, error) {
		if l != nil {
			l.Close(context.Background())
		}
		return nil, withHint(err, "remove the cache file "+a.cacheFile()+" if it is damaged: it is only a cache")
	}
	db, err := state.Open(a.cacheFile())
	if err != nil {
		return fail(err)
	}
	if err := a.claimCache(ctx, db, v.Config().ID, key); err != nil {
		db.Close()
		return fail(err)
	}
	cache := db.Vault(key)
	return &session{a: a, loc: loc, vault: v.WithCopies(cache), log: l, db: db, cache: cache, cacheKey: key}, nil
}

// readLine reads one line from stdin (for confirmations).
func (a *app) readLine() string {
	s, _ := bufio.NewReader(a.stdin).ReadString('\n')
	return strings.TrimSpace(s)
}
