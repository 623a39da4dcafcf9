package auditlog

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"text/tabwriter"
	"time"
)

// Class is the verdict on one discrepancy between the log and the store.
type Class string

const (
	// Lost: the log has a confirmed PUT and no DELETE, and the object is
	// missing. The provider lost it.
	Lost Class = "lost"
	// Corrupted: the object's size or content differs from every PUT the
	// log accepts for it.
	Corrupted Class = "corrupted"
	// DeletedByUser: the object is missing and the log has the DELETE that
	// removed it, with when, why and by which command.
	DeletedByUser Class = "deleted-by-user"
	// Foreign: the object is present but the log never PUT it, or
	// DELETEd it since.
	Foreign Class = "foreign"
	// Tampered: the log itself is inconsistent; nothing after it was
	// classified.
	Tampered Class = "tampered"
)

func (c Class) rank() int {
	return slices.Index([]Class{Tampered, Lost, Corrupted, Foreign, DeletedByUser}, c)
}

// Finding is one discrepancy.
type Finding struct {
	Class Class  `json:"class"`
	Key   string `json:"key,omitempty"`
	// Record is the index of the log record the finding rests on (the
	// PUT of a lost or corrupted object, the DELETE of a deleted one), or
	// -1. With it, the record can be proved to be in the signed log.
	Record  int64     `json:"record"`
	Time    time.Time `json:"time,omitzero"`
	Host    string    `json:"host,omitempty"`
	Reason  string    `json:"reason,omitempty"`
	Command string    `json:"command,omitempty"`
	Outcome Outcome   `json:"outcome,omitempty"`
	// Want is what the log says the object holds, Got what the store has.
	Want   *Object `json:"want,omitempty"`
	Got    *Object `json:"got,omitempty"`
	Detail string  `json:"detail,omitempty"`
}

// Object is an object's size and, when known, its SHA-256 in hex.
type Object struct {
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256,omitempty"`
}

// Counts sums up an audit. OK counts keys whose state matches the log,
// including released locks: each command that takes a lock puts and then
// deletes one, so their DELETEs are not reported as deletions by the user.
type Counts struct {
	OK            int64 `json:"ok"`
	Lost          int64 `json:"lost"`
	Corrupted     int64 `json:"corrupted"`
	DeletedByUser int64 `json:"deleted_by_user"`
	Foreign       int64 `json:"foreign"`
	Tampered      int64 `json:"tampered"`
}

// SampleInfo says which share a sampled audit downloaded.
type SampleInfo struct {
	Buckets uint64 `json:"buckets"`
	Bucket  uint64 `json:"bucket"`
}

// Report is the result of Audit. Its JSON form (WriteJSON) is stable:
// fields are only ever added.
type Report struct {
	Vault  string      `json:"vault"`
	Mode   string      `json:"mode"` // "quick", "deep" or "sample"
	Sample *SampleInfo `json:"sample,omitempty"`
	Time   time.Time   `json:"time"`
	// Checkpoint is the log state the audit replayed.
	Checkpoint Checkpoint `json:"checkpoint"`
	Records    int64      `json:"records"` // log records replayed
	Objects    int64      `json:"objects"` // keys examined: present or expected
	// Hashed counts the objects whose content hash was compared: the
	// provider's checksum, or the hash of the content downloaded.
	Hashed int64 `json:"hashed"`
	// Downloaded counts the objects downloaded and hashed (deep and
	// sampled audits), Bytes their bytes.
	Downloaded int64  `json:"downloaded"`
	Bytes      int64  `json:"bytes"`
	Counts     Counts `json:"counts"`
	// Findings, ordered tampered, lost, corrupted, foreign,
	// deleted-by-user, then by key.
	Findings []Finding `json:"findings"`
	// Complete is false when tampering stopped the replay.
	Complete bool `json:"complete"`
	// Recorded says a Verify record of this audit was published.
	Recorded bool `json:"recorded"`
}

// Failures counts durability failures: lost, corrupted, tampered.
func (r *Report) Failures() int64 { return r.Counts.Lost + r.Counts.Corrupted + r.Counts.Tampered }

// Clean reports whether the store is exactly what the log says.
func (r *Report) Clean() bool { return r.Complete && r.Failures() == 0 && r.Counts.Foreign == 0 }

// Of returns the findings of one class.
func (r *Report) Of(c Class) []Finding {
	var out []Finding
	for _, f := range r.Findings {
		if f.Class == c {
			out = append(out, f)
		}
	}
	return out
}

// WriteJSON writes the report as indented JSON.
func (r *Report) WriteJSON(w io.Writer) error {
	rr := *r
	if rr.Findings == nil {
		rr.Findings = []Finding{}
	}
	b, err := json.MarshalIndent(rr, "", "  ")
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}

// WriteText writes the report as tables for a terminal. Deleted objects
// are grouped by reason and command; everything else is listed.
func (r *Report) WriteText(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	p := func(format string, args ...any) { fmt.Fprintf(tw, format, args...) }
	mode := r.Mode
	if r.Sample != nil {
		mode = fmt.Sprintf("sample, bucket %d of %d", r.Sample.Bucket+1, r.Sample.Buckets)
	}
	p("Audit of %s (%s) at %s\n", r.Vault, mode, r.Time.Format(time.DateTime+" MST"))
	p("Log %s: %d records, root %s\n", r.Checkpoint.Origin, r.Checkpoint.Size, r.Checkpoint.Hash)
	p("Objects examined: %d; content hashes compared: %d; downloaded: %d (%d bytes).\n", r.Objects, r.Hashed, r.Downloaded, r.Bytes)
	if !r.Complete {
		p("THE LOG IS INCONSISTENT: objects were not classified.\n")
	}
	p("\nRESULT\tCOUNT\n")
	for _, row := range []struct {
		name string
		n    int64
	}{{"ok", r.Counts.OK}, {"lost", r.Counts.Lost}, {"corrupted", r.Counts.Corrupted},
		{"foreign", r.Counts.Foreign}, {"deleted by user", r.Counts.DeletedByUser}, {"tampered", r.Counts.Tampered}} {
		p("%s\t%d\n", row.name, row.n)
	}
	if fs := r.Of(Tampered); len(fs) > 0 {
		p("\nTAMPERED: the log in the vault does not match what was signed\n")
		for _, f := range fs {
			p("%s\n", f.Detail)
		}
	}
	if fs := r.Of(Lost); len(fs) > 0 {
		p("\nLOST: logged PUT, never deleted, now missing (lost by the provider)\n")
		p("KEY\tSIZE\tSHA-256\tPUT (RECORD)\tHOST\n")
		for _, f := range fs {
			p("%s\t%d\t%s\t%s (%d)\t%s\n", f.Key, f.Want.Size, short(f.Want.SHA256), stamp8601(f.Time), f.Record, f.Host)
		}
	}
	if fs := r.Of(Corrupted); len(fs) > 0 {
		p("\nCORRUPTED: content differs from the logged PUT\n")
		p("KEY\tWANT SIZE\tGOT SIZE\tWANT SHA-256\tGOT SHA-256\tDETAIL\n")
		for _, f := range fs {
			p("%s\t%d\t%d\t%s\t%s\t%s\n", f.Key, f.Want.Size, f.Got.Size, short(f.Want.SHA256), short(f.Got.SHA256), f.Detail)
		}
	}
	if fs := r.Of(Foreign); len(fs) > 0 {
		p("\nFOREIGN: present, but not put by Tunesafe (or deleted since)\n")
		p("KEY\tSIZE\tDETAIL\n")
		for _, f := range fs {
			p("%s\t%d\t%s\n", f.Key, f.Got.Size, f.Detail)
		}
	}
	if fs := r.Of(DeletedByUser); len(fs) > 0 {
		type group struct {
			reason, command string
			n               int
			first, last     time.Time
		}
		var groups []*group
		for _, f := range fs {
			i := slices.IndexFunc(groups, func(g *group) bool { return g.reason == f.Reason && g.command == f.Command })
			if i < 0 {
				groups = append(groups, &group{reason: f.Reason, command: f.Command, first: f.Time, last: f.Time})
				i = len(groups) - 1
			}
			g := groups[i]
			g.n++
			if f.Time.Before(g.first) {
				g.first = f.Time
			}
			if f.Time.After(g.last) {
				g.last = f.Time
			}
		}
		p("\nDELETED BY USER: missing, with the logged DELETE that removed them\n")
		p("REASON\tCOMMAND\tOBJECTS\tFIRST\tLAST\n")
		for _, g := range groups {
			p("%s\t%s\t%d\t%s\t%s\n", g.reason, g.command, g.n, stamp8601(g.first), stamp8601(g.last))
		}
	}
	return tw.Flush()
}

func short(sum string) string {
	if len(sum) > 16 {
		return sum[:16] + "…"
	}
	if sum == "" {
		return "-"
	}
	return sum
}

func stamp8601(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format(time.RFC3339)
}
