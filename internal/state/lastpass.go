package state

import (
	"context"
	"encoding/json"
	"fmt"
	"time"
)

// LastPass is what the last backup pass into the vault from this computer
// that scanned its paths left on record when it ended, however it ended:
// by hand or by the agent, complete, stopped with files left, cancelled,
// or failed. (A pass that ended before its scan did stored nothing, and
// leaves the record as it was.) 'tunesafe status' reads
// it when no running agent tells: a backup run by hand writes no status
// file, and one cancelled at once (a second Ctrl-C) leaves no checkpoint
// to count from.
type LastPass struct {
	Started time.Time `json:"started"`
	Ended   time.Time `json:"ended"`
	// Paths are the pass's source paths, absolute, as its snapshots
	// record them.
	Paths []string `json:"paths"`
	// Complete: the pass stored a complete snapshot, or found the newest
	// one current. Otherwise it ended unfinished: stopped (a limit, an
	// interrupt), cancelled, or failed.
	Complete bool `json:"complete"`
	// Snapshot is the snapshot or checkpoint the pass saved last; "" if
	// none (cancelled, or stopped before it had stored a file).
	Snapshot string `json:"snapshot,omitempty"`
	// FilesRemaining and BytesRemaining are what the pass left to store,
	// at most (see backup.Progress.Remaining): none when Complete.
	FilesRemaining int64 `json:"files_remaining"`
	BytesRemaining int64 `json:"bytes_remaining"`
	// Rate is the upload rate in bytes per second, measured over the time
	// the uploads were under way, at RateMeasured: this pass's, or an
	// earlier one's when this one sent too little to measure. 0 when no
	// pass has.
	Rate         float64   `json:"rate"`
	RateMeasured time.Time `json:"rate_measured,omitzero"`
}

// lastPassMeta is the meta key of the LastPass record.
const lastPassMeta = "last-pass"

// LastPass returns the record of the last pass; ok is false when no pass
// has left one (or an unreadable one: a record is not worth failing for).
func (c *Cache) LastPass(ctx context.Context) (p LastPass, ok bool, err error) {
	s, err := c.Meta(ctx, lastPassMeta)
	if err != nil || s == "" {
		return LastPass{}, false, err
	}
	if json.Unmarshal([]byte(s), &p) != nil {
		return LastPass{}, false, nil
	}
	return p, true, nil
}

// SetLastPass records p as the last pass.
func (c *Cache) SetLastPass(ctx context.Context, p LastPass) error {
	b, err := json.Marshal(p)
	if err != nil {
		return err
	}
	if err := c.SetMeta(ctx, lastPassMeta, string(b)); err != nil {
		return fmt.Errorf("record the last pass: %w", err)
	}
	return nil
}
