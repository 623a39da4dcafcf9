package locks

import (
	"context"
	"encoding/json"
	"errors"
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

// A shared lock ignores a dead holder's exclusive lock but leaves its
// deletion to the next exclusive lock.
func TestSharedLockIgnoresDeadHolder(t *testing.T) {
	ctx := context.Background()
	s := &memstore.Store{}
	key := putLock(t, s, Info{Kind: Prune, Host: "vm", Space: "b", PID: 4242})
	l, err := acquire(ctx, s, Backup, time.Now, on("vm", "b"))
	if err != nil {
		t.Fatalf("a dead prune's lock blocked a backup: %v", err)
	}
	defer l.Release(ctx)
	if ls, _ := List(ctx, s); len(ls) != 2 {
		t.Fatalf("locks: %v, want the backup's and the dead prune's %s", ls, key)
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
