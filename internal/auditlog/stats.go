package auditlog

import (
	"context"
	"time"
)

// Summary is the durability record of a vault since its log began, read
// from the log itself: what was stored and deleted, and what the audits
// (Verify records) checked and found.
type Summary struct {
	Checkpoint Checkpoint `json:"checkpoint"`
	Since      time.Time  `json:"since,omitzero"` // time of the first record
	Puts       int64      `json:"puts"`
	Deletes    int64      `json:"deletes"`
	Failed     int64      `json:"failed"` // PUTs and DELETEs whose store call failed
	Snapshots  int64      `json:"snapshots"`
	// Audits.
	VerifyRuns int64     `json:"verify_runs"`
	Objects    int64     `json:"objects_checked"`
	Bytes      int64     `json:"bytes_checked"`
	Failures   int64     `json:"failures_found"`
	LastVerify time.Time `json:"last_verify,omitzero"`
	// LastFailure is the time of the last audit that found a failure.
	LastFailure time.Time `json:"last_failure,omitzero"`
}

// Stats reads the log from the vault (verifying every entry, as Entries
// does) and sums it up.
func Stats(ctx context.Context, l *Log) (Summary, error) {
	s := Summary{Checkpoint: l.CurrentCheckpoint()}
	for e, err := range l.Entries(ctx) {
		if err != nil {
			return Summary{}, err
		}
		t, _ := e.Record.When()
		if e.Index == 0 {
			s.Since = t
		}
		switch r := e.Record.(type) {
		case Put:
			s.Puts++
			if r.Outcome != OutcomeOK {
				s.Failed++
			}
		case Delete:
			s.Deletes++
			if r.Outcome != OutcomeOK {
				s.Failed++
			}
		case Snapshot:
			s.Snapshots++
		case Verify:
			s.VerifyRuns++
			s.Objects += r.Objects
			s.Bytes += r.Bytes
			s.Failures += r.Failures
			s.LastVerify = r.Time
			if r.Failures > 0 {
				s.LastFailure = r.Time
			}
		}
	}
	return s, nil
}
