package schedule

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// linuxIdle finds the idle time on Linux from two sources and takes the
// larger answer, since each can only under-report:
//
//   - systemd-logind, through loginctl: a session's IdleHint and
//     IdleSinceHint, which the desktop (GNOME, KDE) sets after its own idle
//     delay and logind itself keeps for text consoles. A desktop that never
//     sets the hint leaves IdleHint=no, read as "not idle".
//   - the X server's screen-saver extension, through xprintidle when it is
//     installed and DISPLAY is set: milliseconds since the last input.
//
// Sessions are those of the agent's user; an agent running as root looks
// at every session except login greeters. With several sessions the least
// idle one counts. loginctl speaks logind's D-Bus API for us, so no D-Bus
// library is needed.
type linuxIdle struct {
	run      runFunc
	lookPath func(string) (string, error)
	getenv   func(string) string
	uid      int
	now      func() time.Time
}

func newLinuxIdle() *linuxIdle {
	return &linuxIdle{run: runCommand, lookPath: exec.LookPath, getenv: os.Getenv, uid: os.Getuid(), now: time.Now}
}

func (l *linuxIdle) IdleTime(ctx context.Context) (time.Duration, error) {
	var reasons []string
	var idle time.Duration
	known := false
	if d, err := l.logind(ctx); err == nil {
		idle, known = d, true
	} else {
		reasons = append(reasons, "logind: "+err.Error())
	}
	if l.getenv("DISPLAY") == "" {
		reasons = append(reasons, "X: DISPLAY is not set")
	} else if d, err := l.xprintidle(ctx); err == nil {
		idle, known = max(idle, d), true
	} else {
		reasons = append(reasons, "X: "+err.Error())
	}
	if !known {
		return 0, fmt.Errorf("idle time %w (%s)", ErrUnknown, strings.Join(reasons, "; "))
	}
	return idle, nil
}

// logind returns the idle time of the least idle session.
func (l *linuxIdle) logind(ctx context.Context) (time.Duration, error) {
	if _, err := l.lookPath("loginctl"); err != nil {
		return 0, errors.New("loginctl is not installed")
	}
	out, err := l.run(ctx, "loginctl", "list-sessions", "--no-legend")
	if err != nil {
		return 0, err
	}
	ids := parseListSessions(out, l.uid, l.uid == 0)
	if len(ids) == 0 {
		return 0, fmt.Errorf("no session of user %d", l.uid)
	}
	least, found := time.Duration(0), false
	for _, id := range ids {
		out, err := l.run(ctx, "loginctl", "show-session", id, "-p", "Class", "-p", "IdleHint", "-p", "IdleSinceHint")
		if err != nil {
			return 0, err
		}
		props := parseProperties(out)
		if props["Class"] == "greeter" || props["Class"] == "lock-screen" {
			continue
		}
		d, err := logindIdle(props, l.now())
		if err != nil {
			return 0, fmt.Errorf("session %s: %w", id, err)
		}
		if !found || d < least {
			least, found = d, true
		}
	}
	if !found {
		return 0, errors.New("only login-screen sessions")
	}
	return least, nil
}

// parseListSessions reads `loginctl list-sessions --no-legend` (columns
// SESSION UID USER SEAT TTY …, more in newer versions) and returns the
// sessions of uid, or of every user if all.
func parseListSessions(out []byte, uid int, all bool) []string {
	var ids []string
	sc := bufio.NewScanner(strings.NewReader(string(out)))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 2 {
			continue
		}
		u, err := strconv.Atoi(f[1])
		if err != nil {
			continue
		}
		if all || u == uid {
			ids = append(ids, f[0])
		}
	}
	return ids
}

// parseProperties reads the Key=Value lines of `loginctl show-*`.
func parseProperties(out []byte) map[string]string {
	props := map[string]string{}
	for _, line := range strings.Split(string(out), "\n") {
		if k, v, ok := strings.Cut(strings.TrimSpace(line), "="); ok {
			props[k] = v
		}
	}
	return props
}

// logindIdle computes a session's idle time from its IdleHint and
// IdleSinceHint (microseconds since the Unix epoch).
func logindIdle(props map[string]string, now time.Time) (time.Duration, error) {
	switch props["IdleHint"] {
	case "no":
		return 0, nil
	case "yes":
		us, err := strconv.ParseInt(props["IdleSinceHint"], 10, 64)
		if err != nil || us <= 0 {
			return 0, fmt.Errorf("idle, but since when is unknown (IdleSinceHint=%q)", props["IdleSinceHint"])
		}
		return max(now.Sub(time.UnixMicro(us)), 0), nil
	default:
		return 0, fmt.Errorf("no IdleHint in loginctl's answer")
	}
}

// xprintidle asks the X server through xprintidle.
func (l *linuxIdle) xprintidle(ctx context.Context) (time.Duration, error) {
	if _, err := l.lookPath("xprintidle"); err != nil {
		return 0, errors.New("xprintidle is not installed")
	}
	out, err := l.run(ctx, "xprintidle")
	if err != nil {
		return 0, err
	}
	return parseXprintidle(out)
}

// parseXprintidle reads xprintidle's output: milliseconds since the last
// input, on one line. A count too large for a time.Duration is an error.
func parseXprintidle(out []byte) (time.Duration, error) {
	ms, err := strconv.ParseInt(strings.TrimSpace(string(out)), 10, 64)
	if err != nil || ms < 0 || ms > math.MaxInt64/int64(time.Millisecond) {
		return 0, fmt.Errorf("xprintidle printed %q, want milliseconds", strings.TrimSpace(string(out)))
	}
	return time.Duration(ms) * time.Millisecond, nil
}
