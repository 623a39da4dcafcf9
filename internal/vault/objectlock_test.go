package vault

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/tunesafe/tunesafe/internal/store"
	"github.com/tunesafe/tunesafe/internal/store/memstore"
)

// The Object Lock policy is recorded in tunesafe.json and read back; a
// policy no writer could apply is refused on both sides.
func TestObjectLockRecorded(t *testing.T) {
	ctx := context.Background()
	s := &memstore.Store{}
	lock := &ObjectLock{Mode: LockGovernance, Days: 30}
	if _, err := Init(ctx, s, InitOptions{ObjectLock: lock}); err != nil {
		t.Fatal(err)
	}
	b, err := store.ReadAll(ctx, s, ConfigKey)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"object_lock": {`) || !strings.Contains(string(b), `"mode": "GOVERNANCE"`) || !strings.Contains(string(b), `"days": 30`) {
		t.Errorf("tunesafe.json:\n%s", b)
	}
	v, err := Open(ctx, s, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := v.Config().ObjectLock; got == nil || *got != *lock {
		t.Errorf("read back %+v", got)
	}

	// Without a policy the field is absent.
	plain := &memstore.Store{}
	if _, err := Init(ctx, plain, InitOptions{}); err != nil {
		t.Fatal(err)
	}
	unlocked, err := store.ReadAll(ctx, plain, ConfigKey)
	if err != nil || strings.Contains(string(unlocked), "object_lock") {
		t.Errorf("tunesafe.json without a policy (%v):\n%s", err, unlocked)
	}

	for _, bad := range []ObjectLock{{Mode: "FOREVER", Days: 30}, {Mode: LockCompliance, Days: 0}, {Mode: LockGovernance, Days: MaxLockDays + 1}} {
		if _, err := Init(ctx, &memstore.Store{}, InitOptions{ObjectLock: &bad}); err == nil {
			t.Errorf("Init accepted %+v", bad)
		}
		broken := strings.Replace(string(unlocked), `"doc":`, `"object_lock": {"mode": "`+bad.Mode+`", "days": `+strconv.Itoa(bad.Days)+`}, "doc":`, 1)
		bs := &memstore.Store{}
		bs.Put(ctx, ConfigKey, []byte(broken))
		var fe *FormatError
		if _, err := Open(ctx, bs, nil); !errors.As(err, &fe) {
			t.Errorf("Open of %+v: %v", bad, err)
		}
	}
}
