package locks

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tunesafe/tunesafe/internal/store/memstore"
)

// putLock stores a lock as another process wrote it, fresh at now.
func putLock(t *testing.T, s *memstore.Store, li Info) string {
	t.Helper()
	li.Started, li.Refreshed = time.Now().UTC(), time.Now().UTC()
	b, err := json.Marshal(li)
	if err != nil {
		t.Fatal(err)
	}
	key := Prefix + li.Kind + "-20261124T100000Z-0123456789ab"
	if err := s.Put(context.Background(), key, b); err != nil {
		t.Fatal(err)
	}
	return key
}

// on is this test's computer "vm", where only pid 4242 has ended.
func on(host, space string) process {
	return process{host: host, space: space, pid: 100, command: "verify", tell: true,
		gone: func(pid int) bool { return pid == 4242 }}
}

func TestDeadHolderOnThisComputer(t *testing.T) {
	ctx := context.Background()
	dead := Info{Kind: Copy, Host: "vm", Space: "boot1 pid:[1]", PID: 4242}
	cases := []struct {
		name     string
		lock     Info
		me       process
		conflict bool
		running  bool
	}{
		{"dead here", dead, on("vm", "boot1 pid:[1]"), false, false},
		{"a lock without a space: another system of the same name, or an older version", Info{Kind: Copy, Host: "vm", PID: 4242}, on("vm", "boot1 pid:[1]"), true, false},
		{"a system that names no space, and a lock that does", dead, on("vm", ""), true, false},
		{"dead here, where no system names a space", Info{Kind: Copy, Host: "vm", PID: 4242}, on("vm", ""), false, false},
		{"running here", Info{Kind: Copy, Host: "vm", Space: "boot1 pid:[1]", PID: 4343}, on("vm", "boot1 pid:[1]"), true, true},
		{"another computer", dead, on("nas", "boot1 pid:[1]"), true, false},
		{"a computer of the same name", dead, on("vm", "boot2 pid:[1]"), true, false},
		{"a container sharing the name", dead, on("vm", "boot1 pid:[2]"), true, false},
		{"host name unknown", Info{Kind: Copy, PID: 4242}, on("", ""), true, false},
		{"a system that cannot tell", dead, process{host: "vm", space: "boot1 pid:[1]", pid: 100,
			gone: func(int) bool { return false }}, true, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := &memstore.Store{}
			key := putLock(t, s, c.lock)
			l, err := acquire(ctx, s, Audit, time.Now, c.me)
			var ce *ConflictError
			if !c.conflict {
				if err != nil {
					t.Fatalf("a lock whose holder is gone blocked: %v", err)
				}
				ls, _ := List(ctx, s)
				if len(ls) != 1 || ls[0].Key == key {
					t.Fatalf("the dead holder's lock was not deleted: %v", ls)
				}
				l.Release(ctx)
				return
			}
			if !errors.As(err, &ce) || ce.Other.Key != key {
				t.Fatalf("acquire = %v, want a conflict with %s", err, key)
			}
			if ce.Running != c.running {
				t.Fatalf("Running = %v, want %v", ce.Running, c.running)
			}
			if ls, _ := List(ctx, s); len(ls) != 1 || ls[0].Key != key {
				t.Fatalf("locks after the conflict: %v", ls)
			}
		})
	}
}

// A backup killed on this computer left its lock: the next backup here
// removes it (other computers could not tell that its holder is gone, and
// a prune there would wait for it to go stale) and names it in Cleared.
// A live holder's lock, or one of another computer, stays.
func TestSharedLockRemovesDeadHolders(t *testing.T) {
	ctx := context.Background()
	s := &memstore.Store{}
	killed := putLock(t, s, Info{Kind: Backup, Host: "vm", Space: "b", PID: 4242, Command: "backup"})
	running := Info{Kind: Backup, Host: "vm", Space: "b", PID: 4343}
	running.Started, running.Refreshed = time.Now().UTC(), time.Now().UTC()
	b, _ := json.Marshal(running)
	live := Prefix + "backup-20261124T100001Z-0123456789ab"
	s.Put(ctx, live, b)
	other := Info{Kind: Backup, Host: "nas", Space: "b", PID: 4242}
	other.Started, other.Refreshed = running.Started, running.Refreshed
	b, _ = json.Marshal(other)
	elsewhere := Prefix + "backup-20261124T100002Z-0123456789ab"
	s.Put(ctx, elsewhere, b)

	l, err := acquire(ctx, s, Backup, time.Now, on("vm", "b"))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Release(ctx)
	if c := l.Cleared(); len(c) != 1 || c[0].Key != killed || c[0].PID != 4242 {
		t.Fatalf("Cleared = %+v, want the killed backup's lock %s", c, killed)
	}
	var keys []string
	ls, _ := List(ctx, s)
	for _, li := range ls {
		keys = append(keys, li.Key)
	}
	if len(keys) != 3 || slices.Contains(keys, killed) || !slices.Contains(keys, live) || !slices.Contains(keys, elsewhere) {
		t.Fatalf("locks %v, want this backup's, %s and %s", keys, live, elsewhere)
	}
	// A dead prune's lock too; none the second time.
	dead := putLock(t, s, Info{Kind: Prune, Host: "vm", Space: "b", PID: 4242})
	l2, err := acquire(ctx, s, Backup, time.Now, on("vm", "b"))
	if err != nil {
		t.Fatalf("a dead prune's lock blocked a backup: %v", err)
	}
	defer l2.Release(ctx)
	if c := l2.Cleared(); len(c) != 1 || c[0].Key != dead {
		t.Fatalf("Cleared = %+v, want the dead prune's %s", c, dead)
	}
	if _, err := s.Stat(ctx, dead); err == nil {
		t.Fatal("the dead prune's lock is still there")
	}
}

func TestConflictMessage(t *testing.T) {
	started := time.Date(2026, 11, 25, 9, 16, 0, 0, time.Local)
	e := &ConflictError{Other: Info{Kind: Backup, Host: "vm", PID: 5386, Started: started, Refreshed: started.Add(15 * time.Minute)}}
	if got, want := e.Error(), "a backup from vm (pid 5386) holds the vault since 2026-11-25 09:16 (last refreshed 09:31)"; got != want {
		t.Fatalf("message %q, want %q", got, want)
	}
	if got, want := e.Other.StaleAt(), started.Add(45*time.Minute); !got.Equal(want) {
		t.Fatalf("StaleAt = %v, want %v", got, want)
	}
	// Who: the command, its computer and process, as far as they are
	// known and printable; times in local time, whatever the lock's zone.
	utc := started.UTC()
	for _, c := range []struct {
		info Info
		want string
	}{
		{Info{Kind: Backup, Command: "agent", Host: "vm", PID: 7, Started: utc, Refreshed: utc},
			"the agent's backup from vm (pid 7) holds the vault since 2026-11-25 09:16 (last refreshed 09:16)"},
		{Info{Kind: Audit, Command: "verify", Host: "nas", PID: 12, Started: utc, Refreshed: utc.Add(24 * time.Hour)},
			"a verify from nas (pid 12) holds the vault since 2026-11-25 09:16 (last refreshed 2026-11-26 09:16)"},
		{Info{Kind: Audit, Command: "agent", Host: "nas", PID: 12, Started: utc, Refreshed: utc},
			"the agent's integrity check from nas (pid 12) holds the vault since 2026-11-25 09:16 (last refreshed 09:16)"},
		{Info{Kind: Audit, Host: "nas", PID: 12, Started: utc, Refreshed: utc},
			"an integrity check from nas (pid 12) holds the vault since 2026-11-25 09:16 (last refreshed 09:16)"},
		{Info{Kind: Prune, Started: utc, Refreshed: utc},
			"a prune from an unknown computer holds the vault since 2026-11-25 09:16 (last refreshed 09:16)"},
		{Info{Kind: Retain, Command: "backup", Host: "nas\x1b[2J\n", PID: 3, Started: utc, Refreshed: utc},
			"a retain pass from nas[2J (pid 3) holds the vault since 2026-11-25 09:16 (last refreshed 09:16)"},
		{Info{Kind: "?", Host: "unknown", Started: utc, Refreshed: utc},
			"a lock Tunesafe cannot read from an unknown computer holds the vault since 2026-11-25 09:16 (last refreshed 09:16)"},
	} {
		if got := (&ConflictError{Other: c.info}).Error(); got != c.want {
			t.Errorf("message for %+v\n got %q\nwant %q", c.info, got, c.want)
		}
	}
}

// A lock that does not say when it was taken was taken when its name
// says, not at its last refresh (the storage's time of the object).
func TestLockWithoutStartTime(t *testing.T) {
	ctx := context.Background()
	s := &memstore.Store{}
	refreshed := time.Date(2026, 11, 24, 11, 30, 0, 0, time.UTC)
	s.Put(ctx, Prefix+"prune-20261124T100000Z-0123456789ab",
		[]byte(`{"kind":"prune","host":"nas","pid":77,"refreshed":"`+refreshed.Format(time.RFC3339)+`"}`))
	ls, err := List(ctx, s)
	if err != nil || len(ls) != 1 {
		t.Fatalf("List: %v %v", ls, err)
	}
	if want := time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC); !ls[0].Started.Equal(want) {
		t.Fatalf("Started = %v, want %v, from the lock's name", ls[0].Started, want)
	}
	want := "a prune from nas (pid 77) holds the vault since " + ls[0].Started.Local().Format("2006-01-02 15:04")
	if got := (&ConflictError{Other: ls[0]}).Error(); !strings.HasPrefix(got, want) {
		t.Fatalf("message %q, want it to begin %q", got, want)
	}
}

func TestLockSaysItsCommand(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"tunesafe", "agent"}, "agent"},
		{[]string{"/usr/bin/tunesafe", "--vault", "/mnt/v", "-v", "backup", "agent"}, "backup"},
		{[]string{"tunesafe", "--json", "verify", "--deep"}, "verify"},
		{[]string{"tunesafe", "restore"}, ""},
		{[]string{"agent"}, ""},
		{nil, ""},
	} {
		if got := command(c.args); got != c.want {
			t.Errorf("command(%q) = %q, want %q", c.args, got, c.want)
		}
	}
}
