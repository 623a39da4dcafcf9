package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"strings"

	"golang.org/x/term"

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
	if !create {
		fi, err := os.Stat(loc)
		if errors.Is(err, fs.ErrNotExist) {
			return nil, withHint(fmt.Errorf("%s: %w", loc, vault.ErrNoVault), "the folder does not exist: is the disk mounted? Create a vault with 'tunesafe init "+loc+"'")
		}
		if err != nil {
			return nil, err
		}
		if !fi.IsDir() {
			return nil, usagef("", "%s is not a folder", loc)
		}
	}
	return folder.New(loc)
}

// passphrase returns the vault passphrase from $TUNESAFE_PASSPHRASE,
// --passphrase-file, or a terminal prompt, in that order.
func (a *app) passphrase(confirm bool) func() (string, error) {
	return func() (string, error) {
		if a.passphraseFile != "" {
			b, err := os.ReadFile(a.passphraseFile)
			if err != nil {
				return "", usagef("", "passphrase file: %v", err)
			}
			p := strings.TrimRight(string(b), "\r\n")
			if p == "" {
				return "", usagef("", "passphrase file %s is empty", a.passphraseFile)
			}
			return p, nil
		}
		if p := os.Getenv("TUNESAFE_PASSPHRASE"); p != "" {
			return p, nil
		}
		return a.promptPassphrase(confirm)
	}
}

func (a *app) promptPassphrase(confirm bool) (string, error) {
	tty, err := os.OpenFile("/dev/tty", os.O_RDWR, 0)
	if err != nil || !term.IsTerminal(int(tty.Fd())) {
		if tty != nil {
			tty.Close()
		}
		return "", vault.ErrNeedPassphrase
	}
	defer tty.Close()
	read := func(prompt string) (string, error) {
		fmt.Fprint(tty, prompt)
		b, err := term.ReadPassword(int(tty.Fd()))
		fmt.Fprintln(tty)
		return string(b), err
	}
	p, err := read("Vault passphrase: ")
	if err != nil {
		return "", err
	}
	if confirm {
		if len(p) < 8 {
			return "", usagef("a long phrase of several words is best", "the passphrase is too short (at least 8 characters)")
		}
		q, err := read("Repeat passphrase: ")
		if err != nil {
			return "", err
		}
		if p != q {
			return "", usagef("", "the passphrases differ")
		}
	}
	return p, nil
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
}

// Close publishes the log's pending records and closes the cache. A log
// that cannot be published now keeps its records in the local journal for
// the next run.
func (s *session) Close() {
	if s.log != nil {
		if err := s.log.Close(context.Background()); err != nil {
			fmt.Fprintf(s.a.stderr, "tunesafe: warning: the vault's log could not be updated now (%v); it will be on the next run\n", err)
		}
	}
	if s.db != nil {
		s.db.Close()
	}
}

// openVault opens the vault named by the flags, and the local cache.
func (a *app) openVault(ctx context.Context) (*session, error) {
	loc, err := a.vaultLocation()
	if err != nil {
		return nil, err
	}
	backend, err := a.openBackend(ctx, loc, false)
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
	v, err := vault.OpenWith(ctx, chain, vault.OpenOptions{Passphrase: a.passphrase(false), RememberedIDKey: a.rememberedIDKey})
	if err != nil {
		cancelMark() // its error would only repeat this one
		return nil, fmt.Errorf("open vault %s: %w", loc, err)
	}
	mr := <-marked
	a.rememberIDKey(v)
	// A vault under S3 Object Lock locks everything written from here on.
	if chain, v, err = a.lockedChain(backend, chain, v); err != nil {
		return nil, err
	}
	key := stateKey(v.Config().ID, backend)
	mark, replica := mr.mark, mr.replica
	if mr.err != nil {
		return nil, mr.err
	}
	l, err := a.openLog(ctx, v, chain, key, replica)
	if err != nil {
		return nil, err
	}
	// From here on every PUT and DELETE is recorded in the log.
	var st store.Store = auditlog.Wrap(chain, l)
	if replica {
		st = replicaStore{st, &replicaError{loc: loc, of: mark.Of}}
	}
	s, err := a.newSession(ctx, loc, key, v.WithStore(st), l)
	if err != nil {
		return nil, err
	}
	if replica {
		s.replicaOf = mark.Of
	}
	s.raw = chain
	return s, nil
}

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
