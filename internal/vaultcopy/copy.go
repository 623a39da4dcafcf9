// Package vaultcopy keeps a byte-identical replica of a vault at a second
// location: another bucket, another provider, a USB disk.
//
// A replica is the same vault, object for object, its stored bytes copied
// as they are. Encrypted objects stay encrypted and are never opened; the
// replica opens with the same passphrase, restores without the original,
// and documents itself with the same FORMAT.md. Its log is the original's
// log, copied too, so that an audit of the replica tells, like one of the
// original, what its provider lost.
//
// # The log decides what is copied
//
// Copy replays the source's log up to its current checkpoint
// (auditlog.Expect) into what every key must hold, and copies exactly that,
// in this order:
//
//  1. tunesafe.json first, then the replica's mark (ReplicaKey): a
//     destination holding another vault is refused, and one being filled
//     is already a replica that no command writes to;
//  2. the rest of the vault's description, content (blobs, lists, trees)
//     and coordination objects;
//  3. snapshots, so that a snapshot in the replica always finds its content;
//  4. the log's entries objects and archived checkpoints, then
//     log/checkpoint: the replica's log moves to the new checkpoint only
//     once the replica holds everything that checkpoint describes;
//  5. deletes: what the log says was deleted (forget, prune) is deleted from
//     the replica too.
//
// Every object read from the source is hashed and compared with the log
// before it is written, so an object the source's provider lost or
// corrupted is reported (a Problem), never propagated; the replica's log
// then stays where it was until a copy completes (repair the source first).
// Objects the log does not know are not copied.
//
// The source is listed too, beside the replica, since an object copied
// earlier is not read again: one the source has lost since (or holds at a
// size the log does not allow), while the replica still holds it as the
// log recorded, is reported as well (Result.InReplicaOnly). The replica is
// complete all the same, and is what can heal the source: a repair takes
// such objects back from it.
//
// # Interruptions, and the cost of a routine copy
//
// Copy keeps no state of its own. It lists the replica (and, at the same
// time, the source) and copies what is missing, so an interrupted copy
// continues where it stopped, wasting at most the objects in flight. An
// object present in the replica is taken as correct by its size when its
// last PUT precedes the replica's checkpoint (an earlier copy verified
// it); one written since is compared by SHA-256, since the size alone
// cannot tell two encryptions of the same content apart.
//
// # Divergence
//
// A replica written to directly (a backup into it) gets records of its own
// and is no longer a prefix of the original: Copy refuses it (ErrDiverged)
// rather than overwrite either history. The same check refuses a replica
// ahead of the source.
package vaultcopy

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strings"
	"sync"

	"golang.org/x/sync/errgroup"

	"github.com/tunesafe/tunesafe/internal/auditlog"
	"github.com/tunesafe/tunesafe/internal/store"
)

// ReplicaKey marks a replica: a JSON object (Marker) that Copy writes
// right after tunesafe.json. A replica's log is its original's, so nothing
// may append to it; commands that find the mark open the log read-only and
// refuse to write. Like the log's own objects it is not itself logged.
const ReplicaKey = "log/replica"

// Marker is the content of ReplicaKey.
type Marker struct {
	// Format is "tunesafe-replica".
	Format string `json:"format"`
	// Of names the vault's location the replica was copied from.
	Of string `json:"replica_of"`
	// Note says what the mark means, for someone reading the vault by hand.
	Note string `json:"note"`
}

const markerNote = "This vault is a replica made by 'tunesafe copy': its log is the original's, so it is only read and copied to. 'tunesafe promote' makes it a vault of its own."

// Keys with a role in the copy (docs/FORMAT.md).
const (
	configKey     = "tunesafe.json"
	snapshotsPref = "snapshots/"
	locksPrefix   = "locks/"
	checkpoints   = "log/checkpoints/"
)

// Errors that refuse a destination. Nothing has been written when they are
// returned.
var (
	// ErrOtherVault: the destination holds a vault with another identity.
	ErrOtherVault = errors.New("the destination holds another vault")
	// ErrNotEmpty: the destination holds objects but no vault.
	ErrNotEmpty = errors.New("the destination is not empty and holds no vault")
	// ErrDiverged: the destination's log is not a prefix of the source's.
	ErrDiverged = errors.New("the destination's log is not a copy of this vault's log")
)

// Options configure Copy.
type Options struct {
	// Source is the vault's store, below its log (Copy only reads it).
	Source store.Store
	// Dest is the replica's store. Its writes are not logged: its log is
	// the source's, copied.
	Dest store.Store
	// Log is the source's log, open and verified.
	Log *auditlog.Log
	// SourceName names the source's location in the replica's mark.
	SourceName string
	// Workers is the number of objects copied at once (default 8).
	Workers int
	// Progress, if set, is called after every object copied or found not
	// to need copying, from any goroutine but never concurrently.
	Progress func(Progress)
}

// Progress counts the objects and bytes of this run. Objects never exceeds
// TotalObjects: what turns out not to need copying (already in the
// replica, or lost or damaged in the source) leaves the totals, and when
// the run ends the two are equal.
type Progress struct {
	Objects, Bytes           int64 // copied so far
	TotalObjects, TotalBytes int64 // to copy in this run
}

// Problem is an object the source should hold, by its log, and does not.
type Problem struct {
	Key string `json:"key"`
	// Kind is "missing" (the log says it was stored, the source has
	// nothing), "differs" (its size or SHA-256 is not one the log allows)
	// or "changed" (a lock refreshed by a process running on the source).
	Kind string `json:"kind"`
}

// Result says what a copy did.
type Result struct {
	Copied      int64 `json:"copied"`       // objects written to the replica
	CopiedBytes int64 `json:"copied_bytes"` // their bytes
	Present     int64 `json:"present"`      // objects already in the replica
	Deleted     int64 `json:"deleted"`      // deleted from the replica, as in the source
	// Foreign counts objects in the replica the log does not know; they
	// are left alone.
	Foreign int64 `json:"foreign"`
	// Records is the size of the replica's log after the copy, and
	// Complete whether it is the source's: false when Problems held the
	// log back.
	Records  int64 `json:"log_records"`
	Complete bool  `json:"complete"`
	// Current says that the replica already held everything (Current):
	// nothing was written, and the replica's log may lack the source's
	// latest records, those of locks only.
	Current bool `json:"current,omitempty"`
	// Problems are objects not copied because the source lacks them or
	// holds them damaged; Pending are locks of processes running on the
	// source (copy again once they end).
	Problems []Problem `json:"problems,omitempty"`
	Pending  []Problem `json:"pending,omitempty"`
	// InReplicaOnly are objects the source lacks ("missing"), or holds
	// at a size or provider checksum its log does not allow ("differs"),
	// though its log says it holds them, and that the replica holds as
	// the log recorded (copied before the source lost them). They hold
	// nothing back: the replica is complete, and the one place left
	// that holds them, from which a repair of the source takes them
	// back. Locks are not among them.
	InReplicaOnly []Problem `json:"in_replica_only,omitempty"`
	// NotDeleted are objects the replica refused to delete (Object Lock).
	NotDeleted []string `json:"not_deleted,omitempty"`
}

// Copy brings the replica in o.Dest up to the source's current checkpoint.
// It returns an error, with the replica consistent (its log unchanged or
// advanced), when a store fails; damaged objects of the source are in
// Result.Problems instead.
func Copy(ctx context.Context, o Options) (Result, error) {
	if o.Source == nil || o.Dest == nil || o.Log == nil {
		return Result{}, errors.New("vaultcopy: Copy needs a Source, a Dest and a Log")
	}
	if o.Workers <= 0 {
		o.Workers = 8
	}
	c := &copier{o: o}
	if err := c.survey(ctx); err != nil {
		return Result{}, err
	}
	if err := c.plan(ctx); err != nil {
		return Result{}, err
	}
	if err := c.copyConfig(ctx); err != nil {
		return c.res, err
	}
	if err := c.mark(ctx); err != nil {
		return c.res, err
	}
	for _, phase := range c.phases {
		if err := c.copyAll(ctx, phase); err != nil {
			return c.res, err
		}
	}
	if err := c.confirmLost(ctx); err != nil {
		return c.res, err
	}
	c.res.Records = c.destSize
	if len(c.res.Problems) > 0 || len(c.res.Pending) > 0 {
		return c.res, nil
	}
	if err := c.publishLog(ctx); err != nil {
		return c.res, err
	}
	c.res.Records, c.res.Complete = c.pub.Size, true
	return c.res, c.deleteGone(ctx)
}

// Current reports whether the replica in o.Dest already holds everything
// the source's log says the vault holds, and lacks no record of that log
// but records of locks: locks taken and released since the replica's log
// was copied, such as the lock of that very copy. Copy would then write
// only the log; and as every copy's own lock is recorded in the source's
// log, a routine copy after each unattended backup would write the log
// again each time, though nothing changed. The result then describes the
// replica (Complete and Current set, Present counted, Records the size of
// its log).
//
// Current only reads both stores, so it needs no lock: the caller copies
// (under its lock) when the answer is false.
func Current(ctx context.Context, o Options) (Result, bool, error) {
	if o.Source == nil || o.Dest == nil || o.Log == nil {
		return Result{}, false, errors.New("vaultcopy: Current needs a Source, a Dest and a Log")
	}
	c := &copier{o: o}
	if err := c.survey(ctx); err != nil {
		return Result{}, false, err
	}
	if c.destCP == nil {
		return Result{}, false, nil
	}
	if err := c.plan(ctx); err != nil {
		return Result{}, false, err
	}
	if c.progress.TotalObjects > 0 || len(c.gone) > 0 {
		return Result{}, false, nil
	}
	for key, want := range c.expect {
		if want.Last >= c.destSize && !strings.HasPrefix(key, locksPrefix) {
			return Result{}, false, nil
		}
	}
	if _, there := c.dest[ReplicaKey]; !there {
		return Result{}, false, nil
	}
	if err := c.confirmLost(ctx); err != nil {
		return Result{}, false, err
	}
	c.res.Present++ // tunesafe.json
	c.res.Records, c.res.Complete, c.res.Current = c.destSize, true, true
	return c.res, true, nil
}

// copier is one run of Copy.
type copier struct {
	o Options

	dest     map[string]store.Info // the replica's listing
	destCP   []byte                // its log/checkpoint, nil if none
	destSize int64                 // the size of its log
	src      map[string]store.Info // the source's listing

	// suspects are objects the replica holds as the log recorded and the
	// source's listing lacks or shows damaged (confirmLost).
	suspects []string

	pub    auditlog.Published
	expect map[string]auditlog.Expected
	config []byte   // the source's tunesafe.json
	phases [][]item // what to copy, in order, after tunesafe.json
	gone   []string // in the replica, deleted in the source

	mu       sync.Mutex // guards res and progress
	res      Result
	progress Progress
}

// item is one object to copy. verify asks to compare the replica's copy
// (same size) by SHA-256 before copying it again.
type item struct {
	key    string
	want   auditlog.Expected
	verify bool
}

// size is the item's size in the planned totals: the first the log
// allows.
func (it item) size() int64 { return it.want.Contents[0].Size }

// survey lists the replica and the source, and checks that the replica is
// this vault's replica, or empty.
func (c *copier) survey(ctx context.Context) error {
	// Both at once: on a large vault each listing is many requests.
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() (err error) {
		c.dest, err = listAll(gctx, c.o.Dest)
		return err
	})
	g.Go(func() (err error) {
		c.src, err = listAll(gctx, c.o.Source)
		return err
	})
	if err := g.Wait(); err != nil {
		return err
	}
	var err error
	if c.config, err = store.ReadAll(ctx, c.o.Source, configKey); err != nil {
		return fmt.Errorf("read %s: %w", configKey, err)
	}
	if _, ok := c.dest[configKey]; !ok {
		if len(c.dest) > 0 {
			return fmt.Errorf("%s: %w (%d objects)", c.o.Dest, ErrNotEmpty, len(c.dest))
		}
		return nil
	}
	theirs, err := store.ReadAll(ctx, c.o.Dest, configKey)
	if err != nil {
		return fmt.Errorf("read %s in %s: %w", configKey, c.o.Dest, err)
	}
	if !bytes.Equal(theirs, c.config) {
		return fmt.Errorf("%s: %w (%s, this vault is %s)", c.o.Dest, ErrOtherVault, vaultID(theirs), vaultID(c.config))
	}
	if _, ok := c.dest[auditlog.CheckpointKey]; !ok {
		return nil // an interrupted first copy
	}
	if c.destCP, err = store.ReadAll(ctx, c.o.Dest, auditlog.CheckpointKey); err != nil {
		return fmt.Errorf("read %s in %s: %w", auditlog.CheckpointKey, c.o.Dest, err)
	}
	cp, err := c.o.Log.VerifyCheckpoint(c.destCP)
	if err != nil {
		return fmt.Errorf("%s: %w: %w", c.o.Dest, ErrDiverged, err)
	}
	c.destSize = cp.Size
	return nil
}

// listAll lists every object of s by key.
func listAll(ctx context.Context, s store.Store) (map[string]store.Info, error) {
	out := map[string]store.Info{}
	for info, err := range s.List(ctx, "") {
		if err != nil {
			return nil, fmt.Errorf("list %s: %w", s, err)
		}
		out[info.Key] = info
	}
	return out, nil
}

// vaultID names a vault by the id in its tunesafe.json.
func vaultID(config []byte) string {
	var v struct {
		ID string `json:"id"`
	}
	if json.Unmarshal(config, &v) != nil || v.ID == "" {
		return "an unreadable tunesafe.json"
	}
	return "vault " + v.ID
}

// plan replays the source's log and sorts every key into what to copy,
// what the replica already has and what to delete from it.
func (c *copier) plan(ctx context.Context) error {
	// The plan and the log copied later describe the same checkpoint,
	// even if the log is flushed meanwhile.
	c.pub = c.o.Log.Published()
	var err error
	if c.expect, err = auditlog.Expect(ctx, c.o.Log, c.pub.Size); err != nil {
		return fmt.Errorf("read the vault's log: %w", err)
	}
	c.phases = make([][]item, 2)
	for key, want := range c.expect {
		if key == configKey || strings.HasPrefix(key, auditlog.Prefix) {
			continue
		}
		have, there := c.dest[key]
		if len(want.Contents) == 0 {
			if there {
				c.gone = append(c.gone, key)
			}
			continue
		}
		it := item{key: key, want: want}
		if there && slices.ContainsFunc(want.Contents, func(x auditlog.Content) bool { return x.Size == have.Size }) {
			if want.LastPut < c.destSize {
				c.res.Present++ // verified by the copy that published that checkpoint
				c.held(key, want)
				continue
			}
			if have.SHA256 != nil {
				if want.Matches(have.Size, [32]byte(have.SHA256)) {
					c.res.Present++
					c.held(key, want)
					continue
				}
			} else {
				it.verify = true
			}
		}
		phase := 0
		if strings.HasPrefix(key, snapshotsPref) {
			phase = 1
		}
		c.phases[phase] = append(c.phases[phase], it)
	}
	for key := range c.dest {
		if _, known := c.expect[key]; !known && !strings.HasPrefix(key, auditlog.Prefix) {
			c.res.Foreign++
		}
	}
	if _, there := c.dest[configKey]; !there {
		c.progress.TotalObjects++ // copyConfig copies it
		c.progress.TotalBytes += int64(len(c.config))
	}
	for _, p := range c.phases {
		slices.SortFunc(p, func(a, b item) int { return strings.Compare(a.key, b.key) })
		for _, it := range p {
			c.progress.TotalObjects++
			c.progress.TotalBytes += it.size()
		}
	}
	slices.Sort(c.gone)
	return nil
}

// copyConfig copies tunesafe.json, which the log must allow like any other
// object.
func (c *copier) copyConfig(ctx context.Context) error {
	if _, there := c.dest[configKey]; there {
		c.res.Present++
		return nil
	}
	want, ok := c.expect[configKey]
	if !ok || !want.Matches(int64(len(c.config)), sha256.Sum256(c.config)) {
		return fmt.Errorf("%s of %s differs from what its log recorded: run 'tunesafe audit'", configKey, c.o.Source)
	}
	if err := c.o.Dest.Put(ctx, configKey, c.config); err != nil {
		return fmt.Errorf("write %s in %s: %w", configKey, c.o.Dest, err)
	}
	c.copied(int64(len(c.config)), int64(len(c.config)))
	return nil
}

// mark writes the replica's mark unless it is there already.
func (c *copier) mark(ctx context.Context) error {
	b, err := json.Marshal(Marker{Format: "tunesafe-replica", Of: c.o.SourceName, Note: markerNote})
	if err != nil {
		return err
	}
	if have, err := store.ReadAll(ctx, c.o.Dest, ReplicaKey); err == nil && bytes.Equal(have, b) {
		return nil
	}
	if err := c.o.Dest.Put(ctx, ReplicaKey, b); err != nil {
		return fmt.Errorf("write %s in %s: %w", ReplicaKey, c.o.Dest, err)
	}
	return nil
}

// ReadMarker returns the replica mark of the vault in s, or ok false when
// it is not a replica.
func ReadMarker(ctx context.Context, s store.Store) (m Marker, ok bool, err error) {
	b, err := store.ReadAll(ctx, s, ReplicaKey)
	if errors.Is(err, fs.ErrNotExist) {
		return m, false, nil
	}
	if err != nil {
		return m, false, fmt.Errorf("read %s: %w", ReplicaKey, err)
	}
	if err := json.Unmarshal(b, &m); err != nil || m.Format != "tunesafe-replica" {
		return m, false, fmt.Errorf("%s of %s is not a replica mark", ReplicaKey, s)
	}
	return m, true, nil
}

// copyAll copies items with o.Workers at once. A store error stops the
// run; a damaged source object is a Problem and the run goes on.
func (c *copier) copyAll(ctx context.Context, items []item) error {
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(c.o.Workers)
	for _, it := range items {
		g.Go(func() error { return c.copyOne(ctx, it) })
	}
	return g.Wait()
}

func (c *copier) copyOne(ctx context.Context, it item) error {
	if it.verify {
		same, err := c.destMatches(ctx, it)
		if err != nil || same {
			return err
		}
	}
	data, err := store.ReadAll(ctx, c.o.Source, it.key)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if !it.want.AbsentOK {
			c.problem(it.key, "missing")
		}
		c.skipped(it)
		return nil
	case err != nil:
		return fmt.Errorf("read %s: %w", it.key, err)
	}
	if !it.want.Matches(int64(len(data)), sha256.Sum256(data)) {
		c.problem(it.key, "differs")
		c.skipped(it)
		return nil
	}
	if err := c.o.Dest.Put(ctx, it.key, data); err != nil {
		return fmt.Errorf("write %s in %s: %w", it.key, c.o.Dest, err)
	}
	c.copied(int64(len(data)), it.size())
	return nil
}

// destMatches reports whether the replica already holds an object the log
// allows under the item's key.
func (c *copier) destMatches(ctx context.Context, it item) (bool, error) {
	info, err := c.o.Dest.Stat(ctx, it.key)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("stat %s in %s: %w", it.key, c.o.Dest, err)
	}
	var sum [32]byte
	if info.SHA256 != nil {
		sum = [32]byte(info.SHA256)
	} else {
		data, err := store.ReadAll(ctx, c.o.Dest, it.key)
		if errors.Is(err, fs.ErrNotExist) {
			return false, nil
		}
		if err != nil {
			return false, fmt.Errorf("read %s in %s: %w", it.key, c.o.Dest, err)
		}
		info.Size, sum = int64(len(data)), sha256.Sum256(data)
	}
	if !it.want.Matches(info.Size, sum) {
		return false, nil
	}
	c.mu.Lock()
	c.res.Present++
	c.held(it.key, it.want)
	c.mu.Unlock()
	c.skipped(it)
	return true, nil
}

// held takes note of an object the replica holds as the log recorded,
// and so does not read from the source: a suspect when the source's
// listing lacks it, or shows it as the log does not allow. An object the
// log allows to be absent is none, nor is a lock: its holder may have
// released it since the checkpoint. The caller holds mu, or runs alone.
func (c *copier) held(key string, want auditlog.Expected) {
	if want.AbsentOK || strings.HasPrefix(key, locksPrefix) {
		return
	}
	if info, ok := c.src[key]; ok && allows(want, info) {
		return
	}
	c.suspects = append(c.suspects, key)
}

// allows reports whether the log allows an object as a listing shows it:
// by its size, and by the provider's checksum when there is one.
func allows(want auditlog.Expected, info store.Info) bool {
	if info.SHA256 != nil {
		return want.Matches(info.Size, [32]byte(info.SHA256))
	}
	return slices.ContainsFunc(want.Contents, func(x auditlog.Content) bool { return x.Size == info.Size })
}

// confirmLost asks the source again about each suspect, since an object
// written after the listing is not in it, and reports those it still
// lacks or holds damaged in Result.InReplicaOnly.
func (c *copier) confirmLost(ctx context.Context) error {
	var mu sync.Mutex
	var lost []Problem
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(max(c.o.Workers, 1))
	for _, key := range c.suspects {
		g.Go(func() error {
			info, err := c.o.Source.Stat(gctx, key)
			kind := "differs"
			switch {
			case errors.Is(err, fs.ErrNotExist):
				kind = "missing"
			case err != nil:
				return fmt.Errorf("stat %s: %w", key, err)
			case allows(c.expect[key], info):
				return nil
			}
			mu.Lock()
			defer mu.Unlock()
			lost = append(lost, Problem{Key: key, Kind: kind})
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	slices.SortFunc(lost, func(a, b Problem) int { return strings.Compare(a.Key, b.Key) })
	c.res.InReplicaOnly = lost
	return nil
}

func (c *copier) problem(key, kind string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if strings.HasPrefix(key, locksPrefix) {
		// A lock refreshed or released since the checkpoint: the process
		// holding it is still running.
		c.res.Pending = append(c.res.Pending, Problem{key, "changed"})
		return
	}
	c.res.Problems = append(c.res.Problems, Problem{key, kind})
}

// copied counts an object of n bytes written to the replica, planned in
// the totals at planned bytes (n differs when the log allows the object
// more than one size).
func (c *copier) copied(n, planned int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.res.Copied++
	c.res.CopiedBytes += n
	c.progress.Objects++
	c.progress.Bytes += n
	c.progress.TotalBytes += n - planned
	c.report()
}

// skipped takes an item that needs no copy, or cannot be copied, out of
// the totals.
func (c *copier) skipped(it item) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.progress.TotalObjects--
	c.progress.TotalBytes -= it.size()
	c.report()
}

// report passes the progress on; the caller holds mu.
func (c *copier) report() {
	if c.o.Progress != nil {
		c.o.Progress(c.progress)
	}
}

// publishLog copies the log's objects up to the checkpoint the copy
// planned for, the checkpoint last.
func (c *copier) publishLog(ctx context.Context) error {
	if c.pub.Size == 0 {
		return nil
	}
	// A write into the replica since survey would be lost by moving its
	// log on.
	now, err := store.ReadAll(ctx, c.o.Dest, auditlog.CheckpointKey)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("read %s in %s: %w", auditlog.CheckpointKey, c.o.Dest, err)
	}
	if !bytes.Equal(now, c.destCP) {
		return fmt.Errorf("%s: %w: its log changed during the copy (was something writing to it?)", c.o.Dest, ErrDiverged)
	}
	if bytes.Equal(c.destCP, c.pub.Checkpoint) {
		return nil
	}
	var todo []auditlog.LogObject
	for _, e := range c.pub.Entries {
		if have, ok := c.dest[e.Key]; !ok || have.Size != e.Size {
			todo = append(todo, e)
		}
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(c.o.Workers)
	for _, e := range todo {
		g.Go(func() error { return c.copyEntries(gctx, e) })
	}
	if err := g.Wait(); err != nil {
		return err
	}
	if err := c.copyCheckpoints(ctx); err != nil {
		return err
	}
	if err := c.o.Dest.Put(ctx, auditlog.CheckpointKey, c.pub.Checkpoint); err != nil {
		return fmt.Errorf("write %s in %s: %w", auditlog.CheckpointKey, c.o.Dest, err)
	}
	return nil
}

// copyEntries copies one entries object, checked against what the log
// verified.
func (c *copier) copyEntries(ctx context.Context, e auditlog.LogObject) error {
	data, err := store.ReadAll(ctx, c.o.Source, e.Key)
	if err != nil {
		return fmt.Errorf("read %s: %w", e.Key, err)
	}
	sum := sha256.Sum256(data)
	if int64(len(data)) != e.Size || (e.SHA256 != nil && !bytes.Equal(sum[:], e.SHA256)) {
		return fmt.Errorf("%s of %s changed since its log was verified: run 'tunesafe audit'", e.Key, c.o.Source)
	}
	if err := c.o.Dest.Put(ctx, e.Key, data); err != nil {
		return fmt.Errorf("write %s in %s: %w", e.Key, c.o.Dest, err)
	}
	return nil
}

// copyCheckpoints copies the archived checkpoints up to the published one,
// each verified against the log, and writes the published one's archive
// copy.
func (c *copier) copyCheckpoints(ctx context.Context) error {
	for info, err := range c.o.Source.List(ctx, checkpoints) {
		if err != nil {
			return fmt.Errorf("list %s: %w", checkpoints, err)
		}
		n, ok := auditlog.ParseCheckpointArchiveKey(info.Key)
		if !ok || n >= c.pub.Size {
			continue
		}
		if _, there := c.dest[info.Key]; there {
			continue
		}
		data, err := store.ReadAll(ctx, c.o.Source, info.Key)
		if err != nil {
			return fmt.Errorf("read %s: %w", info.Key, err)
		}
		if cp, err := c.o.Log.VerifyCheckpoint(data); err != nil || cp.Size != n {
			continue // not part of the verified log: not copied
		}
		if err := c.o.Dest.Put(ctx, info.Key, data); err != nil {
			return fmt.Errorf("write %s in %s: %w", info.Key, c.o.Dest, err)
		}
	}
	key := auditlog.CheckpointArchiveKey(c.pub.Size)
	if err := c.o.Dest.Put(ctx, key, c.pub.Checkpoint); err != nil {
		return fmt.Errorf("write %s in %s: %w", key, c.o.Dest, err)
	}
	return nil
}

// deleteGone deletes from the replica what the source's log says was
// deleted. An object the replica refuses to delete (Object Lock) is
// reported and kept.
func (c *copier) deleteGone(ctx context.Context) error {
	for _, key := range c.gone {
		err := c.o.Dest.Delete(ctx, key)
		switch {
		case err == nil:
			c.res.Deleted++
		case store.IsPermanent(err):
			c.res.NotDeleted = append(c.res.NotDeleted, key)
		default:
			return fmt.Errorf("delete %s in %s: %w", key, c.o.Dest, err)
		}
	}
	return nil
}

// FirstCopyDone reports whether a copy into the replica in s has ever
// completed: the replica's log/checkpoint, written last (step 4), is
// there. A replica without it is still being filled, or its first copy
// was interrupted; its snapshots, written just before, may be missing.
func FirstCopyDone(ctx context.Context, s store.Store) (bool, error) {
	_, err := s.Stat(ctx, auditlog.CheckpointKey)
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, fs.ErrNotExist):
		return false, nil
	}
	return false, fmt.Errorf("stat %s: %w", auditlog.CheckpointKey, err)
}
