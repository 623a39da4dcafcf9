package vault

import "fmt"

// Object Lock retention modes (S3 semantics): GOVERNANCE retention can be
// lifted early by an account allowed to bypass governance; COMPLIANCE
// retention cannot be shortened or removed by anyone, the account's root
// user included.
const (
	LockGovernance = "GOVERNANCE"
	LockCompliance = "COMPLIANCE"
)

// MaxLockDays bounds the retention period (100 years).
const MaxLockDays = 36500

// ObjectLock is the S3 Object Lock policy of a vault: every object is
// written with a retention of Mode until Days days after its upload, so
// that nobody holding the storage credentials can destroy it before then.
// It is recorded in tunesafe.json so that every writer on every computer
// keeps applying it; it is not needed to read the vault.
type ObjectLock struct {
	Mode string `json:"mode"`
	Days int    `json:"days"`
}

// Validate reports whether the policy can be applied.
func (l *ObjectLock) Validate() error {
	if l.Mode != LockGovernance && l.Mode != LockCompliance {
		return fmt.Errorf("object lock mode %q: want %s or %s", l.Mode, LockGovernance, LockCompliance)
	}
	if l.Days < 1 || l.Days > MaxLockDays {
		return fmt.Errorf("object lock period of %d days: want 1 to %d", l.Days, MaxLockDays)
	}
	return nil
}
