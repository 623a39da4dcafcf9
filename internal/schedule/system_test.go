package schedule

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func fixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParseListSessions(t *testing.T) {
	for _, tc := range []struct {
		file string
		uid  int
		all  bool
		want string
	}{
		{"list-sessions-252.txt", 1000, false, "2"},
		{"list-sessions-252.txt", 1001, false, "5"},
		{"list-sessions-252.txt", 0, true, "2 c1 5"},
		{"list-sessions-252.txt", 4242, false, ""},
		{"list-sessions-256.txt", 1000, false, "2"},
	} {
		got := strings.Join(parseListSessions(fixture(t, "loginctl/"+tc.file), tc.uid, tc.all), " ")
		if got != tc.want {
			t.Errorf("%s uid %d: sessions %q, want %q", tc.file, tc.uid, got, tc.want)
		}
	}
}

func TestLogindIdle(t *testing.T) {
	now := time.UnixMicro(1764000000000000).Add(25 * time.Minute)
	for _, tc := range []struct {
		file    string
		want    time.Duration
		wantErr bool
	}{
		{"show-session-idle.txt", 25 * time.Minute, false},
		{"show-session-active.txt", 0, false},
		{"no-systemd.txt", 0, true},
	} {
		got, err := logindIdle(parseProperties(fixture(t, "loginctl/"+tc.file)), now)
		if got != tc.want || (err != nil) != tc.wantErr {
			t.Errorf("%s: %v, %v; want %v", tc.file, got, err, tc.want)
		}
	}
	if _, err := logindIdle(map[string]string{"IdleHint": "yes", "IdleSinceHint": "0"}, now); err == nil {
		t.Error("idle since 0 accepted")
	}
}

func TestParseXprintidle(t *testing.T) {
	if d, err := parseXprintidle(fixture(t, "xprintidle.txt")); err != nil || d != 734021*time.Millisecond {
		t.Errorf("xprintidle fixture: %v, %v", d, err)
	}
	for _, bad := range []string{"", "Couldn't open display", "-5"} {
		if _, err := parseXprintidle([]byte(bad)); err == nil {
			t.Errorf("parseXprintidle(%q) succeeded", bad)
		}
	}
}

// fakeSystem answers commands from a table: "name args…" → output, or an
// error when the output starts with "error:".
type fakeSystem struct {
	answers map[string]string
	tools   map[string]bool
	ran     []string
}

func (f *fakeSystem) run(ctx context.Context, name string, args ...string) ([]byte, error) {
	cmd := strings.Join(append([]string{name}, args...), " ")
	f.ran = append(f.ran, cmd)
	out, ok := f.answers[cmd]
	if !ok {
		return nil, fmt.Errorf("unexpected command %q", cmd)
	}
	if msg, isErr := strings.CutPrefix(out, "error:"); isErr {
		return nil, fmt.Errorf("%s: exit status 1: %s", name, msg)
	}
	return []byte(out), nil
}

func (f *fakeSystem) lookPath(name string) (string, error) {
	if f.tools[name] {
		return "/usr/bin/" + name, nil
	}
	return "", errors.New("not found")
}

func TestLinuxIdle(t *testing.T) {
	idle := string(fixture(t, "loginctl/show-session-idle.txt"))
	active := string(fixture(t, "loginctl/show-session-active.txt"))
	greeter := string(fixture(t, "loginctl/show-session-greeter.txt"))
	sessions := string(fixture(t, "loginctl/list-sessions-252.txt"))
	noSystemd := "error:" + strings.SplitN(string(fixture(t, "loginctl/no-systemd.txt")), "\n", 2)[0]
	show := func(id string) string {
		return "loginctl show-session " + id + " -p Class -p IdleHint -p IdleSinceHint"
	}
	now := time.UnixMicro(1764000000000000).Add(25 * time.Minute)
	for _, tc := range []struct {
		name    string
		uid     int
		display string
		tools   []string
		answers map[string]string
		want    time.Duration
		wantErr string
	}{
		{
			name: "logind idle", uid: 1000, tools: []string{"loginctl"},
			answers: map[string]string{"loginctl list-sessions --no-legend": sessions, show("2"): idle},
			want:    25 * time.Minute,
		},
		{
			name: "root takes the least idle session, skipping greeters", uid: 0, tools: []string{"loginctl"},
			answers: map[string]string{"loginctl list-sessions --no-legend": sessions, show("2"): idle, show("c1"): greeter, show("5"): active},
			want:    0,
		},
		{
			name: "X is idle though the desktop sets no hint", uid: 1000, display: ":0", tools: []string{"loginctl", "xprintidle"},
			answers: map[string]string{"loginctl list-sessions --no-legend": sessions, show("2"): active, "xprintidle": "734021\n"},
			want:    734021 * time.Millisecond,
		},
		{
			name: "no systemd, X answers", uid: 1000, display: ":0", tools: []string{"loginctl", "xprintidle"},
			answers: map[string]string{"loginctl list-sessions --no-legend": noSystemd, "xprintidle": "5000\n"},
			want:    5 * time.Second,
		},
		{
			name: "no systemd, no X", uid: 1000, tools: []string{"loginctl"},
			answers: map[string]string{"loginctl list-sessions --no-legend": noSystemd},
			wantErr: "idle time unknown (logind: loginctl: exit status 1: System has not been booted with systemd as init system (PID 1). Can't operate.; X: DISPLAY is not set)",
		},
		{
			name: "nothing installed", uid: 1000, display: ":0",
			wantErr: "idle time unknown (logind: loginctl is not installed; X: xprintidle is not installed)",
		},
		{
			name: "no session of ours", uid: 4242, tools: []string{"loginctl"},
			answers: map[string]string{"loginctl list-sessions --no-legend": sessions},
			wantErr: "no session of user 4242",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sys := &fakeSystem{answers: tc.answers, tools: map[string]bool{}}
			for _, tool := range tc.tools {
				sys.tools[tool] = true
			}
			l := &linuxIdle{
				run: sys.run, lookPath: sys.lookPath, uid: tc.uid,
				getenv: func(k string) string {
					if k == "DISPLAY" {
						return tc.display
					}
					return ""
				},
				now: func() time.Time { return now },
			}
			got, err := l.IdleTime(t.Context())
			if tc.wantErr != "" {
				if err == nil || !errors.Is(err, ErrUnknown) || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("IdleTime = %v, %v; want an ErrUnknown containing %q", got, err, tc.wantErr)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("IdleTime = %v, %v; want %v (ran %q)", got, err, tc.want, sys.ran)
			}
		})
	}
}

func TestParseIoreg(t *testing.T) {
	d, err := parseIoreg(fixture(t, "ioreg/IOHIDSystem.txt"))
	if err != nil || d != 93521441250*time.Nanosecond {
		t.Errorf("ioreg fixture: %v, %v", d, err)
	}
	for _, bad := range []string{"", `"HIDIdleTime" = <0a1b>`, "+-o Root"} {
		if _, err := parseIoreg([]byte(bad)); !errors.Is(err, ErrUnknown) {
			t.Errorf("parseIoreg(%q) = %v, want ErrUnknown", bad, err)
		}
	}
	di := darwinIdle{run: (&fakeSystem{answers: map[string]string{"ioreg -c IOHIDSystem": string(fixture(t, "ioreg/IOHIDSystem.txt"))}}).run}
	if d, err := di.IdleTime(t.Context()); err != nil || d < time.Minute {
		t.Errorf("darwinIdle: %v, %v", d, err)
	}
}

func TestParsePmset(t *testing.T) {
	for _, tc := range []struct {
		file string
		want bool
	}{
		{"ac.txt", false}, {"battery.txt", true}, {"desktop.txt", false}, {"ups.txt", true},
	} {
		got, err := parsePmset(fixture(t, "pmset/"+tc.file))
		if err != nil || got != tc.want {
			t.Errorf("%s: %v, %v; want %v", tc.file, got, err, tc.want)
		}
	}
	for _, bad := range []string{"", "Now drawing from 'Solar'", "garbage"} {
		if _, err := parsePmset([]byte(bad)); !errors.Is(err, ErrUnknown) {
			t.Errorf("parsePmset(%q) = %v, want ErrUnknown", bad, err)
		}
	}
}

func TestOnBatterySysfs(t *testing.T) {
	for _, tc := range []struct {
		machine string
		want    bool
	}{
		{"laptop-ac", false},
		{"laptop-battery", true},
		{"laptop-full", false},
		{"usb-c", false},
		{"desktop-mouse", false}, // a mouse's battery is not the computer's
		{"battery-only", true},
		{"battery-only-full", false},
		{"no-such-machine", false}, // no power-supply class at all
	} {
		p := sysfsPower{os.DirFS(filepath.Join("testdata", "power_supply", tc.machine))}
		got, err := p.OnBattery(t.Context())
		if err != nil || got != tc.want {
			t.Errorf("%s: %v, %v; want %v", tc.machine, got, err, tc.want)
		}
	}
	if got, err := onBatterySysfs(os.DirFS(t.TempDir())); err != nil || got {
		t.Errorf("no supplies: %v, %v", got, err)
	}
}

func TestWindowsDecoders(t *testing.T) {
	for _, tc := range []struct {
		ac, flag byte
		want     bool
		err      bool
	}{
		{0, 0, true, false}, {1, 8, false, false}, {255, 128, false, false}, {255, 1, false, true},
	} {
		got, err := decodePowerStatus(tc.ac, tc.flag)
		if got != tc.want || (err != nil) != tc.err {
			t.Errorf("decodePowerStatus(%d, %d) = %v, %v", tc.ac, tc.flag, got, err)
		}
	}
	if d := idleFromTicks(5000, 2000); d != 3*time.Second {
		t.Errorf("idleFromTicks = %v", d)
	}
	if d := idleFromTicks(1000, 0xFFFFFFFF-999); d != 2*time.Second {
		t.Errorf("idleFromTicks across the wrap = %v", d)
	}
}

func TestFixed(t *testing.T) {
	f := Fixed{IdleFor: time.Hour, Battery: true}
	if d, err := f.IdleTime(t.Context()); d != time.Hour || err != nil {
		t.Errorf("IdleTime = %v, %v", d, err)
	}
	if b, err := f.OnBattery(t.Context()); !b || err != nil {
		t.Errorf("OnBattery = %v, %v", b, err)
	}
	var _ Idle = f
	var _ Power = f
	e := Fixed{Err: ErrUnknown}
	if _, err := e.IdleTime(t.Context()); err != ErrUnknown {
		t.Error("Err not returned")
	}
}

// TestSystem runs the real implementations: they must answer or say
// ErrUnknown, never hang or fail otherwise.
func TestSystem(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	if d, err := SystemIdle().IdleTime(ctx); err != nil && !errors.Is(err, ErrUnknown) {
		t.Errorf("SystemIdle: %v", err)
	} else {
		t.Logf("idle %v, %v", d, err)
	}
	if b, err := SystemPower().OnBattery(ctx); err != nil && !errors.Is(err, ErrUnknown) {
		t.Errorf("SystemPower: %v", err)
	} else {
		t.Logf("on battery %v, %v", b, err)
	}
}
