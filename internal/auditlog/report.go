package auditlog

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
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
	DeletedByUser Class = "deleted_by_user"
	// Foreign: the object is present but the log never PUT it, or
	// DELETEd it since.
	Foreign Class = "foreign"
	// Tampered: the log itself is inconsistent (nothing after it was
	// classified; the finding names no key under keys/), or a key file is
	// present that the log never PUT or has DELETEd since (KeysPrefix):
	// someone who knows its passphrase can open the vault.
	Tampered Class = "tampered"
	// Note: a coordination object (a lock, a prune marker) the log PUT
	// and never DELETEd is missing. It holds no data: nothing a restore
	// needs is lost, and it is no failure.
	Note Class = "note"
)

func (c Class) rank() int {
	return slices.Index([]Class{Tampered, Lost, Corrupted, Foreign, DeletedByUser, Note}, c)
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

// keyFile reports whether f is about a key file under KeysPrefix.
func (f *Finding) keyFile() bool { return strings.HasPrefix(f.Key, KeysPrefix) }

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
	Notes         int64 `json:"notes"`
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
	// SizeOnly counts the objects the log expects that were compared by
	// size alone: no provider checksum, not downloaded.
	SizeOnly int64 `json:"size_only"`
	// Downloaded counts the objects downloaded and hashed (deep and
	// sampled audits), Bytes their bytes.
	Downloaded int64  `json:"downloaded"`
	Bytes      int64  `json:"bytes"`
	Counts     Counts `json:"counts"`
	// Findings, ordered tampered, lost, corrupted, foreign,
	// deleted_by_user, note, then by key.
	Findings []Finding `json:"findings"`
	// Complete is false when tampering stopped the replay, or the log was
	// damaged (LogDamage).
	Complete bool `json:"complete"`
	// LogDamage says how the vault's log is damaged when it did not open
	// (OpenDamaged; also a Tampered finding): the objects were then
	// classified against the records this computer verified before, so
	// that what was written or deleted since shows as foreign or lost.
	LogDamage string `json:"log_damage,omitempty"`
	// Recorded says a Verify record of this audit was published.
	Recorded bool `json:"recorded"`
	// Rechecked says, by key, what the audit found of each object
	// AuditOptions.Hash named that the log knows or the store lists. A
	// key in neither is not in it. It is for the caller (a damage
	// marker's objects: see package repair), not part of the JSON form.
	Rechecked map[string]Recheck `json:"-"`
}

// Recheck is what an audit found of one object AuditOptions.Hash named.
// Neither Intact nor Gone: it is lost, corrupted, or not Tunesafe's (the
// report's findings say which).
type Recheck struct {
	// Intact: present, downloaded, and its content hashed to what the
	// log says it holds.
	Intact bool
	// Written is the time the storage gives an intact object (its
	// listing's; zero when it gives none).
	Written time.Time
	// Gone: absent, as the log allows: deleted by a logged DELETE, or
	// never stored (only failed PUTs).
	Gone bool
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
	p("Objects examined: %d; content hashes compared: %d; by size only: %d; downloaded: %d (%d bytes).\n", r.Objects, r.Hashed, r.SizeOnly, r.Downloaded, r.Bytes)
	switch {
	case r.LogDamage != "":
		p("THE VAULT'S LOG IS DAMAGED: %s\n", r.LogDamage)
		p("Objects were classified against the %d records this computer verified before: what was written since shows as foreign, what was deleted since as lost.\n", r.Checkpoint.Size)
	case !r.Complete:
		p("THE LOG IS INCONSISTENT: objects were not classified.\n")
	}
	p("\nRESULT\tCOUNT\n")
	for _, row := range []struct {
		name string
		n    int64
	}{{"ok", r.Counts.OK}, {"lost", r.Counts.Lost}, {"corrupted", r.Counts.Corrupted},
		{"foreign", r.Counts.Foreign}, {"deleted by user", r.Counts.DeletedByUser}, {"tampered", r.Counts.Tampered}, {"notes", r.Counts.Notes}} {
		p("%s\t%d\n", row.name, row.n)
	}
	var logFs, keyFs []Finding
	for _, f := range r.Of(Tampered) {
		if f.keyFile() {
			keyFs = append(keyFs, f)
		} else {
			logFs = append(logFs, f)
		}
	}
	if len(logFs) > 0 {
		p("\nTAMPERED: the log in the vault does not match what was signed\n")
		for _, f := range logFs {
			p("%s\n", f.Detail)
		}
	}
	if len(keyFs) > 0 {
		p("\nTAMPERED: key files the log does not know (each opens the vault with its passphrase)\n")
		p("KEY\tSIZE\tDETAIL\n")
		for _, f := range keyFs {
			p("%s\t%d\t%s\n", f.Key, f.Got.Size, f.Detail)
		}
		p("Delete them by hand (rm in a folder vault, aws s3 rm on S3) once your passphrase opens the vault; Tunesafe deletes no key file it did not write.\n")
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
	if fs := r.Of(Note); len(fs) > 0 {
		p("\nNOTES: coordination objects (locks, prune markers) missing; no data is lost\n")
		p("KEY\tPUT (RECORD)\tHOST\n")
		for _, f := range fs {
			p("%s\t%s (%d)\t%s\n", f.Key, stamp8601(f.Time), f.Record, f.Host)
		}
		p("'tunesafe repair --forget-unneeded' records that they are gone.\n")
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
