package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"golang.org/x/term"

	"github.com/tunesafe/tunesafe/internal/vault"
)

// Where passphrases come from. The vault's passphrase: --passphrase-file,
// then $TUNESAFE_PASSPHRASE, then a prompt on the terminal. The new one
// of 'passwd': --new-passphrase-file, then $TUNESAFE_NEW_PASSPHRASE, then
// a prompt; never the current one's sources, or a passwd run without a new
// passphrase would "change" it to itself.
//
// A new passphrase (init, a backup that creates an encrypted vault, passwd)
// must have minPassphrase characters, whatever its source. An existing
// vault opens with the passphrase it has, however short.

// A passphrase given without a prompt ($TUNESAFE_PASSPHRASE or
// --passphrase-file) is checked against the vault's key files even by a
// backup that would not use it: with a remembered id-key (idkey.go) a
// backup decrypts nothing, and a script with a mistyped or outdated
// passphrase would run for months, its user learning only at a restore on
// a new computer. The check is the derivation every run paid before the
// id-key was remembered: one scrypt (a third of a second and 64 MiB at
// vault.DefaultScryptLogN), a LIST and a GET. So it is made at most once
// a day (passphraseRecheck): the cache records when a given passphrase
// last opened the key files (passphraseCheckedMeta), and a backup within
// a day of it does not check again, so that a re-run with nothing to do
// stays a matter of milliseconds. A running agent also checks again when
// the passphrase it is given changes. Given none, nothing is checked.
// Nothing that would tell a passphrase is kept on disk: a verifier cheaper
// than the key files' scrypt would let whoever reads the disk guess
// faster; the record is a time.

// passphraseRecheck is how long a passphrase given and checked is taken
// as right: a wrong one given after a check is found within it.
const passphraseRecheck = 24 * time.Hour

// passphraseCheckedMeta is the cache's record (state meta) of when a
// given passphrase last opened the vault's key files, in RFC 3339.
const passphraseCheckedMeta = "passphrase.checked"

// checkGivenPassphrase opens the key files of the vault of s with the
// passphrase given, when one is given, the vault was opened with a
// remembered id-key, and no given passphrase opened them in the day
// before now (unless force): a wrong one is exit code 11 before anything
// is written. Given none, it does nothing; a check that passed, or key
// files the passphrase given opened already, are recorded.
func (a *app) checkGivenPassphrase(ctx context.Context, s *session, now time.Time, force bool) error {
	if !a.passphraseGiven() || !s.vault.Encrypted() {
		return nil
	}
	if s.vault.Keys() == nil {
		if !force {
			v, err := s.cache.Meta(ctx, passphraseCheckedMeta)
			if err != nil {
				return err
			}
			if last, err := time.Parse(time.RFC3339, v); err == nil && !now.Before(last) && now.Sub(last) < passphraseRecheck {
				return nil
			}
		}
		err := s.vault.Unlock()
		if errors.Is(err, vault.ErrWrongPassphrase) {
			return withHint(fmt.Errorf("open vault %s: the passphrase from %s: %w", s.loc, a.givenBy, err),
				"correct it, or give none: this computer remembers the vault's id-key and backs up without one (restoring needs the right one); nothing was backed up")
		}
		if err != nil {
			return err
		}
	}
	return s.cache.SetMeta(ctx, passphraseCheckedMeta, now.UTC().Format(time.RFC3339))
}

// passphraseCheck is what an agent remembers, in memory only, of the
// passphrase it last checked against the key files.
type passphraseCheck struct {
	mu   sync.Mutex
	pass string
}

// check runs checkGivenPassphrase on s, forced when the passphrase given
// now is not the one this agent checked last.
func (c *passphraseCheck) check(ctx context.Context, a *app, s *session, now time.Time) error {
	if !a.passphraseGiven() {
		return nil
	}
	p, _, err := a.passphraseFrom(a.passphraseFile, "TUNESAFE_PASSPHRASE", "", false)
	if err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := a.checkGivenPassphrase(ctx, s, now, p != c.pass); err != nil {
		return err
	}
	c.pass = p
	return nil
}

// minPassphrase is the least number of characters of a new passphrase.
const minPassphrase = 8

const newPassphraseHint = "a long phrase of several words is best; a vault that exists keeps opening with the passphrase it has"

// passphrase returns the function that gives the vault passphrase; confirm
// means a new one: the prompt asks twice, and every source must give at
// least minPassphrase characters. The passphrase given is remembered in
// a.given (passwd compares the new one with it).
func (a *app) passphrase(confirm bool) func() (string, error) {
	return func() (string, error) {
		p, source, err := a.passphraseFrom(a.passphraseFile, "TUNESAFE_PASSPHRASE", "Vault passphrase: ", confirm)
		if err != nil {
			return "", err
		}
		if confirm {
			if err := checkNewPassphrase(p, source); err != nil {
				return "", err
			}
		}
		a.given, a.givenBy = p, source
		return p, nil
	}
}

// passphraseTries is how many passphrases a prompt takes before a wrong
// one is the answer.
const passphraseTries = 3

// askAgain is vault.OpenOptions.AskAgain: a passphrase typed at the
// prompt that opens no key file may be typed again, up to
// passphraseTries in all; one from $TUNESAFE_PASSPHRASE or
// --passphrase-file is the same at every try.
func (a *app) askAgain(tries int) bool {
	if a.givenBy != promptSource || tries >= passphraseTries {
		return false
	}
	fmt.Fprintf(a.stderr, "tunesafe: wrong passphrase; try again (%d of %d)\n", tries+1, passphraseTries)
	return true
}

// promptSource names the terminal prompt as where a passphrase came from.
const promptSource = "the prompt"

// passphraseGiven reports whether a passphrase is given without a prompt
// ($TUNESAFE_PASSPHRASE or --passphrase-file): a folder vault created then
// is encrypted.
func (a *app) passphraseGiven() bool {
	return a.passphraseFile != "" || os.Getenv("TUNESAFE_PASSPHRASE") != ""
}

// passphraseFrom reads a passphrase from file, else from the environment
// variable env, else from the terminal with prompt, and says which it was.
func (a *app) passphraseFrom(file, env, prompt string, confirm bool) (p, source string, err error) {
	if file != "" {
		p, err := readPassphraseFile(file, "--passphrase-file")
		return p, "--passphrase-file " + file, err
	}
	if p := os.Getenv(env); p != "" {
		return p, "$" + env, nil
	}
	p, err = a.promptPassphrase(prompt, confirm)
	return p, promptSource, err
}

// readPassphraseFile returns the content of the passphrase file given with
// flag, without its final line break.
func readPassphraseFile(file, flag string) (string, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return "", passphraseFileError(file, flag, err)
	}
	p := strings.TrimRight(string(b), "\r\n")
	if p == "" {
		return "", usagef("", "%s %s is empty", flag, file)
	}
	return p, nil
}

// checkPassphraseFile fails when the file given with flag cannot be read,
// before a command starts: a command that reads it only when it must
// decrypt something would otherwise ignore a mistyped path until then.
func checkPassphraseFile(file, flag string) error {
	if file == "" {
		return nil
	}
	f, err := os.Open(file)
	if err != nil {
		return passphraseFileError(file, flag, err)
	}
	defer f.Close()
	if fi, err := f.Stat(); err != nil {
		return passphraseFileError(file, flag, err)
	} else if fi.IsDir() {
		return usagef("give the file that holds the passphrase", "%s %s is a folder", flag, file)
	}
	return nil
}

func passphraseFileError(file, flag string, err error) error {
	if errors.Is(err, fs.ErrNotExist) {
		return usagef("check the path given with "+flag, "%s %s does not exist", flag, file)
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	return usagef("check the path given with "+flag+", and that you may read the file", "%s %s: %v", flag, file, err)
}

// checkNewPassphrase applies the rules for a new passphrase to p, which
// came from source ("$TUNESAFE_PASSPHRASE", "--passphrase-file F", "the
// prompt").
func checkNewPassphrase(p, source string) error {
	if n := utf8.RuneCountInString(p); n < minPassphrase {
		return usagef(newPassphraseHint, "a new passphrase needs at least %d characters; the one from %s has %d", minPassphrase, source, n)
	}
	return nil
}

// haveTerminal reports whether a prompt can be shown.
func haveTerminal() bool {
	tty, err := os.OpenFile("/dev/tty", os.O_RDWR, 0)
	if err != nil {
		return false
	}
	defer tty.Close()
	return term.IsTerminal(int(tty.Fd()))
}

// promptPassphrase asks on the terminal; confirm asks twice, for a new
// passphrase. Without a terminal it returns vault.ErrNeedPassphrase.
func (a *app) promptPassphrase(prompt string, confirm bool) (string, error) {
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
	p, err := read(prompt)
	if err != nil {
		return "", err
	}
	if confirm {
		if err := checkNewPassphrase(p, "the prompt"); err != nil {
			return "", err
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
