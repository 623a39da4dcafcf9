package vault

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// Snapshot records one backup: the root tree and what it covered. The root
// tree has one entry per source path, named by the path's last element.
type Snapshot struct {
	Time     time.Time `json:"time"`
	Host     string    `json:"host"`
	Username string    `json:"username,omitempty"`
	Paths    []string  `json:"paths"`
	Tree     ID        `json:"tree"`
	Parent   *ID       `json:"parent,omitempty"`
	Tags     []string  `json:"tags,omitempty"`
	// Partial marks a checkpoint of a backup still running or interrupted:
	// everything listed is restorable, but files may be missing.
	Partial bool  `json:"partial,omitempty"`
	Stats   Stats `json:"stats"`
	// Library is the tree-like blob list of the music library view, if any.
	Library []ID `json:"library,omitempty"`
	// LogCheckpoint is the signed checkpoint of the vault's tamper-evident
	// log when the snapshot was committed.
	LogCheckpoint string `json:"log_checkpoint,omitempty"`
	Program       string `json:"program"`
}

// Stats summarise a snapshot.
type Stats struct {
	Files int64 `json:"files"`
	Dirs  int64 `json:"dirs"`
	Bytes int64 `json:"bytes"`
}

// SnapshotRef is a snapshot with its ID.
type SnapshotRef struct {
	ID ID `json:"id"`
	*Snapshot
}

func encodeSnapshot(s *Snapshot) ([]byte, error) {
	b, err := json.MarshalIndent(s, "", " ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

func decodeSnapshot(b []byte) (*Snapshot, error) {
	var s Snapshot
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, err
	}
	if s.Tree.IsZero() {
		return nil, fmt.Errorf("snapshot without a tree")
	}
	// encoding/json reads UTC offsets of 24 hours (+24:00 to ±24:59),
	// which it refuses to write: such a snapshot could not be listed.
	if _, err := s.Time.MarshalText(); err != nil {
		return nil, fmt.Errorf("snapshot time: %w", err)
	}
	return &s, nil
}

// Listing snapshots comes in two strengths. Commands that delete (forget,
// prune) use Snapshots, which fails on a damaged snapshot: one they did not
// see could still need the data they would delete. Commands that only read
// (snapshots, ls, restore, diff) use ReadableSnapshots and
// FindReadableSnapshot, which set damaged snapshots aside and name them, so
// that one damaged or foreign object under snapshots/ does not make every
// other snapshot unreachable.

// DamagedSnapshot is an object under snapshots/ named like a snapshot that
// cannot be read as one: damaged in storage or in transit, or not this
// vault's (its content does not match its name here).
type DamagedSnapshot struct {
	ID ID
	// Err names the object and says what is wrong with it.
	Err *CorruptError
}

// Snapshots lists all snapshots, oldest first. A damaged snapshot is an
// error naming it. An object under snapshots/ whose name is not a snapshot
// ID in canonical form (notes a user left there, an ID in uppercase) is no
// snapshot of the format, not a damaged one: it is skipped, so that one
// stray object cannot make every snapshot unreachable.
func (v *Vault) Snapshots(ctx context.Context) ([]SnapshotRef, error) {
	var out []SnapshotRef
	err := v.eachSnapshot(ctx, func(id ID, s *Snapshot, err error) error {
		if err != nil {
			return err
		}
		out = append(out, SnapshotRef{ID: id, Snapshot: s})
		return nil
	})
	if err != nil {
		return nil, err
	}
	sortSnapshots(out)
	return out, nil
}

// ReadableSnapshots lists the snapshots that can be read, oldest first, and
// the damaged ones, in the order of their IDs. Only damage to a snapshot's
// own object sets it aside; whatever would fail every read (the store
// unreachable, a missing or wrong passphrase, a damaged key file, ctx
// ended) is returned as the error.
func (v *Vault) ReadableSnapshots(ctx context.Context) (refs []SnapshotRef, damaged []DamagedSnapshot, err error) {
	err = v.eachSnapshot(ctx, func(id ID, s *Snapshot, err error) error {
		var ce *CorruptError
		switch {
		case errors.As(err, &ce) && ce.Key == SnapshotKey(id):
			damaged = append(damaged, DamagedSnapshot{ID: id, Err: ce})
		case err != nil:
			return err
		default:
			refs = append(refs, SnapshotRef{ID: id, Snapshot: s})
		}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	sortSnapshots(refs)
	slices.SortFunc(damaged, func(a, b DamagedSnapshot) int { return bytes.Compare(a.ID[:], b.ID[:]) })
	return refs, damaged, nil
}

// eachSnapshot reads every object under snapshots/ named by a canonical
// ID, calling fn with the snapshot or the error reading it; an error of
// fn or of the listing ends it.
func (v *Vault) eachSnapshot(ctx context.Context, fn func(ID, *Snapshot, error) error) error {
	for info, err := range v.store.List(ctx, "snapshots/") {
		if err != nil {
			return err
		}
		id, err := ParseID(strings.TrimPrefix(info.Key, "snapshots/"))
		if err != nil {
			continue
		}
		s, err := v.GetSnapshot(ctx, id)
		if err := fn(id, s, err); err != nil {
			return err
		}
	}
	return nil
}

// FindSnapshot is FindReadableSnapshot, "latest" of any host, for callers
// that need not tell of damaged snapshots: forget, which has listed every
// snapshot strictly before.
func (v *Vault) FindSnapshot(ctx context.Context, which string) (SnapshotRef, error) {
	ref, _, err := v.FindReadableSnapshot(ctx, which, Latest{})
	return ref, err
}

// Latest says whose snapshots "latest" is the newest of. Computers that
// back up into one vault each record their host name in their snapshots:
// a restore of "latest" on a laptop means the laptop's newest, not the
// newest of whichever computer backed up last.
type Latest struct {
	// Host narrows "latest" to the snapshots of this host; "" means any
	// host's. When the vault holds readable snapshots but none of Host,
	// "latest" is a *NoHostError, unless AnyIfNone.
	Host string
	// AnyIfNone makes "latest", when Host has no readable snapshot, the
	// newest of any host (a new computer restoring what the one it
	// replaces backed up). The answer's Host then differs from Host: that
	// is how the caller tells, and tells the user.
	AnyIfNone bool
}

// NoHostError is the answer to "latest" of a host none of whose snapshots
// can be read. It is an ErrNoSnapshot.
type NoHostError struct {
	Host string
	// Hosts are those of the readable snapshots, sorted.
	Hosts []string
	// Damaged says that some snapshots could not be read: any of them may
	// be of Host.
	Damaged bool
}

func (e *NoHostError) Error() string {
	if e.Damaged {
		return fmt.Sprintf("no snapshot of host %q can be read", e.Host)
	}
	return fmt.Sprintf("the vault has no snapshot of host %q", e.Host)
}

func (e *NoHostError) Unwrap() error { return ErrNoSnapshot }

// FindReadableSnapshot resolves "latest" (the newest complete snapshot,
// else the newest checkpoint, among those latest says), a full snapshot ID,
// or a unique prefix of one; an ID or prefix names a snapshot of any host.
// A full ID is read alone, so damage elsewhere cannot stand in its way.
// Otherwise the answer is the best among the snapshots that can be read,
// and damaged lists those that cannot: any of them might have been the
// answer (newer than "latest", or matching the prefix), so the caller
// tells the user. A prefix that matches only a damaged snapshot fails
// with its *CorruptError.
func (v *Vault) FindReadableSnapshot(ctx context.Context, which string, latest Latest) (ref SnapshotRef, damaged []DamagedSnapshot, err error) {
	if id, perr := ParseID(strings.ToLower(which)); perr == nil {
		ref, err = v.snapshotByID(ctx, id, which)
		return ref, nil, err
	}
	all, damaged, err := v.ReadableSnapshots(ctx)
	if err != nil {
		return SnapshotRef{}, nil, err
	}
	if len(all) == 0 && len(damaged) == 0 {
		return SnapshotRef{}, nil, ErrNoSnapshots
	}
	if which == "" || which == "latest" {
		ref, err = latestSnapshot(all, damaged, latest)
	} else {
		ref, err = snapshotByPrefix(all, damaged, which)
	}
	return ref, damaged, err
}

// snapshotByID reads the snapshot id, asked for as which. The object is
// looked for in the store first: a copy this computer keeps of a snapshot
// forgotten since is no answer.
func (v *Vault) snapshotByID(ctx context.Context, id ID, which string) (SnapshotRef, error) {
	if _, err := v.store.Stat(ctx, SnapshotKey(id)); errors.Is(err, fs.ErrNotExist) {
		return SnapshotRef{}, fmt.Errorf("%w %q", ErrNoSnapshot, which)
	} else if err != nil {
		return SnapshotRef{}, err
	}
	s, err := v.GetSnapshot(ctx, id)
	if err != nil {
		return SnapshotRef{}, err
	}
	return SnapshotRef{ID: id, Snapshot: s}, nil
}

// latestSnapshot picks "latest" from all, sorted oldest first, among the
// snapshots latest says.
func latestSnapshot(all []SnapshotRef, damaged []DamagedSnapshot, latest Latest) (SnapshotRef, error) {
	if len(all) == 0 {
		return SnapshotRef{}, fmt.Errorf("no snapshot can be read: %w", damaged[0].Err)
	}
	if latest.Host != "" {
		var own []SnapshotRef
		for _, s := range all {
			if s.Host == latest.Host {
				own = append(own, s)
			}
		}
		switch {
		case len(own) > 0:
			all = own
		case !latest.AnyIfNone:
			return SnapshotRef{}, &NoHostError{Host: latest.Host, Hosts: hostsOf(all), Damaged: len(damaged) > 0}
		}
	}
	for i := len(all) - 1; i >= 0; i-- {
		if !all[i].Partial {
			return all[i], nil
		}
	}
	return all[len(all)-1], nil
}

// hostsOf returns the hosts of snapshots, sorted, each once.
func hostsOf(snapshots []SnapshotRef) []string {
	var hosts []string
	for _, s := range snapshots {
		hosts = append(hosts, s.Host)
	}
	slices.Sort(hosts)
	return slices.Compact(hosts)
}

// snapshotByPrefix picks the one snapshot whose ID starts with which. The
// damaged snapshots only count when no readable one matches: then the
// error says why the snapshot asked for cannot be read.
func snapshotByPrefix(all []SnapshotRef, damaged []DamagedSnapshot, which string) (SnapshotRef, error) {
	prefix := strings.ToLower(which)
	var found []SnapshotRef
	for _, s := range all {
		if strings.HasPrefix(s.ID.String(), prefix) {
			found = append(found, s)
		}
	}
	var bad []*CorruptError
	for _, d := range damaged {
		if strings.HasPrefix(d.ID.String(), prefix) {
			bad = append(bad, d.Err)
		}
	}
	switch {
	case len(found) == 1:
		return found[0], nil
	case len(found) == 0 && len(bad) == 0:
		return SnapshotRef{}, fmt.Errorf("%w %q", ErrNoSnapshot, which)
	case len(found) == 0 && len(bad) == 1:
		return SnapshotRef{}, bad[0]
	}
	return SnapshotRef{}, &AmbiguousError{Prefix: which, Matches: found}
}

// RootName is the name of the root tree's entry for the backed-up path p
// (Snapshot.Paths): its last element, or "root" for a file system's root.
// p is a path of the computer that made the snapshot: one that is not
// absolute here is taken for another system's (Windows, read on Unix;
// Unix, on Windows), and split at both separators.
func RootName(p string) string {
	var name string
	if filepath.IsAbs(p) {
		name = filepath.Base(p)
		if name == string(filepath.Separator) || name == "." {
			name = ""
		}
	} else {
		name = strings.TrimRight(p, `/\`)
		name = name[strings.LastIndexAny(name, `/\`)+1:]
		if len(name) == 2 && name[1] == ':' {
			name = "" // a volume: "C:\"
		}
	}
	if name == "" {
		return "root"
	}
	return name
}
