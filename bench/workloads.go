package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/tunesafe/tunesafe/internal/bytesize"
	"github.com/tunesafe/tunesafe/internal/faultrelay"
)

// benchmark runs the workloads. Each workload runs every tool in turn, so
// that all tools see the library in the same state; nothing else uses the
// relay meanwhile, so its counters measure one command at a time.
type benchmark struct {
	o      options
	tools  []tool
	py     string
	work   string
	srv    *s3Server
	relay  *faultrelay.Relay
	runner *runner
	rep    *report

	music string   // the working copy of the library
	retag []string // files the retag workload edits
	many  string   // the small files
}

// The workloads, in table order.
const (
	rowInitial      = "initial"
	rowNoChange     = "no-change"
	rowRetag        = "retag"
	rowKill         = "kill"
	rowRestore      = "restore"
	rowCheck        = "check"
	rowManyInitial  = "many-initial"
	rowManyNoChange = "many-no-change"
)

// killAt is the fraction of the library uploaded when a backup is killed.
const killAt = 0.5

func (b *benchmark) addRows() {
	lib, many := b.rep.Library, b.rep.Many
	for _, r := range []struct{ id, title, bytes string }{
		{rowInitial, fmt.Sprintf("Initial backup (%d files, %s)", lib.Files, bytesize.Format(lib.Bytes)), "up"},
		{rowNoChange, "Re-run, nothing changed", "up"},
		{rowRetag, fmt.Sprintf("Re-run after retagging %d of %d files (%.0f%%) with mutagen", len(b.retag), lib.Files, 100*float64(len(b.retag))/float64(lib.Files)), "up"},
		{rowKill, fmt.Sprintf("Backup SIGKILLed at %.0f%% uploaded, then run again to completion (both runs)", 100*killAt), "up"},
		{rowRestore, "Restore everything (then SHA-256 of every file compared)", "down"},
		{rowCheck, "Routine integrity check, no content downloaded (tunesafe verify, restic check, rclone check)", "down"},
		{rowManyInitial, fmt.Sprintf("Initial backup of %d small files (%s)", many.Files, bytesize.Format(many.Bytes)), "up"},
		{rowManyNoChange, fmt.Sprintf("Re-run on %d small files, nothing changed", many.Files), "up"},
	} {
		b.rep.Rows = append(b.rep.Rows, &row{ID: r.id, Workload: r.title, Bytes: r.bytes, Cells: map[string]*cell{}})
	}
}

// set records a tool's result for a workload; a failure is also listed.
func (b *benchmark) set(rowID string, t tool, c *cell) {
	for _, r := range b.rep.Rows {
		if r.ID == rowID {
			r.Cells[t.ID()] = c
		}
	}
	if c.NotApplicable {
		return
	}
	if c.Error != "" {
		b.rep.Failures = append(b.rep.Failures, fmt.Sprintf("%s, %s: %s", t.Title(), rowID, c.Error))
		logf("%s %s: FAILED: %s", t.ID(), rowID, c.Error)
		return
	}
	logf("%s %s: %s · %s up · %s down · peak RSS %s %s", t.ID(), rowID, formatSeconds(c.Seconds),
		bytesize.Format(c.BytesUp), bytesize.Format(c.BytesDown), bytesize.Format(c.PeakRSS), c.Note)
}

func cellOf(m measurement, err error) *cell {
	c := &cell{Seconds: m.Wall.Seconds(), BytesUp: m.Up, BytesDown: m.Down, PeakRSS: m.PeakRSS}
	if err != nil {
		c.Error = err.Error()
	}
	return c
}

// applies reports whether t runs the workload rowID, and if not records
// so in the table (a control takes part in a few workloads only).
func (b *benchmark) applies(rowID string, t tool) bool {
	if takesPart(t, rowID) {
		return true
	}
	b.set(rowID, t, &cell{NotApplicable: true, Note: "control"})
	return false
}

// skipped marks a workload that could not run because an earlier step of
// the same repository failed.
func skipped() *cell { return &cell{Error: "not run: an earlier step of this repository failed"} }

func (b *benchmark) runAll(ctx context.Context) {
	b.addRows()
	lib := b.rep.Library

	// Music: initial backup, no-change re-run, retag re-run, restore.
	// The first round's repositories are the ones the later workloads
	// use; those of further rounds (-repeat) are deleted once timed.
	repos := map[string]*repo{}
	b.rounds(ctx, rowInitial, b.tools, func(t tool, round int) *cell {
		name := "music"
		if round > 0 {
			name = fmt.Sprintf("music-%d", round+1)
		}
		rp, err := b.newRepo(ctx, t, name)
		if err != nil {
			return &cell{Error: err.Error()}
		}
		c := b.initial(ctx, t, rp, stepName(rowInitial, round))
		switch {
		case round > 0:
			b.dropRepo(ctx, rp)
		case c.Error == "":
			repos[t.ID()] = rp
		}
		return c
	})
	b.forEach(ctx, repos, rowNoChange, func(t tool, rp *repo, _ int) *cell {
		return cellOf(b.backup(ctx, t, rp, b.music, rowNoChange, 0))
	})
	if ctx.Err() != nil {
		return
	}
	logf("retagging %d files with mutagen", len(b.retag))
	if err := retag(ctx, b.py, b.retag); err != nil {
		for _, t := range b.tools {
			if b.applies(rowRetag, t) {
				b.set(rowRetag, t, &cell{Error: err.Error()})
			}
		}
	} else {
		b.forEach(ctx, repos, rowRetag, func(t tool, rp *repo, _ int) *cell {
			return cellOf(b.backup(ctx, t, rp, b.music, rowRetag, 0))
		})
	}
	if ctx.Err() != nil {
		return
	}
	want, err := hashTree(b.music)
	if err != nil {
		b.rep.Failures = append(b.rep.Failures, "hash the source: "+err.Error())
		return
	}
	b.forEach(ctx, repos, rowRestore, func(t tool, rp *repo, round int) *cell {
		return b.restore(ctx, t, rp, want, stepName(rowRestore, round))
	})
	b.forEach(ctx, repos, rowCheck, func(t tool, rp *repo, _ int) *cell {
		j := t.Check(rp, b.music)
		j.name = t.ID() + "-" + rowCheck
		return cellOf(b.runner.run(ctx, j))
	})

	// Music again, into a fresh repository: killed half-way, then completed.
	for _, t := range b.tools {
		if ctx.Err() != nil {
			return
		}
		if b.applies(rowKill, t) {
			b.set(rowKill, t, b.killed(ctx, t, int64(float64(lib.Bytes)*killAt)))
		}
	}

	// Many small files: initial backup, no-change re-run.
	repos = map[string]*repo{}
	for _, t := range b.tools {
		if ctx.Err() != nil {
			return
		}
		if !b.applies(rowManyInitial, t) {
			continue
		}
		rp, err := b.newRepo(ctx, t, "many")
		if err != nil {
			b.set(rowManyInitial, t, &cell{Error: err.Error()})
			continue
		}
		c := cellOf(b.backup(ctx, t, rp, b.many, rowManyInitial, 0))
		b.set(rowManyInitial, t, c)
		if c.Error == "" {
			repos[t.ID()] = rp
		}
	}
	b.forEach(ctx, repos, rowManyNoChange, func(t tool, rp *repo, _ int) *cell {
		return cellOf(b.backup(ctx, t, rp, b.many, rowManyNoChange, 0))
	})
}

// forEach runs step for every tool that takes part in the workload and
// still has a working repository (rounds times it again with -repeat), and
// marks the others skipped. A failed step retires the repository.
func (b *benchmark) forEach(ctx context.Context, repos map[string]*repo, rowID string, step func(t tool, rp *repo, round int) *cell) {
	var ready []tool
	for _, t := range b.tools {
		if repos[t.ID()] == nil && takesPart(t, rowID) {
			b.set(rowID, t, skipped())
			continue
		}
		ready = append(ready, t)
	}
	b.rounds(ctx, rowID, ready, func(t tool, round int) *cell {
		c := step(t, repos[t.ID()], round)
		if c.Error != "" {
			delete(repos, t.ID())
		}
		return c
	})
}

// newRepo makes a bucket and an empty repository for t.
func (b *benchmark) newRepo(ctx context.Context, t tool, name string) (*repo, error) {
	rp := &repo{
		name:     name,
		bucket:   bucketName(t.ID(), name),
		endpoint: "http://" + b.relay.Addr(),
		home:     filepath.Join(b.work, "home", t.ID()+"-"+name),
		srv:      b.srv,
	}
	if err := os.MkdirAll(rp.home, 0o700); err != nil {
		return nil, err
	}
	if err := b.srv.makeBucket(ctx, rp.bucket); err != nil {
		return nil, err
	}
	if err := t.Setup(ctx, b.runner, rp); err != nil {
		return nil, fmt.Errorf("set up the repository: %w", err)
	}
	return rp, nil
}

// initial backs the library up into rp, the repository's first backup. A
// control backs up what it prepares from the library, in a folder of its
// own that is removed afterwards (it is as big as the library, and no
// other workload of a control reads it).
func (b *benchmark) initial(ctx context.Context, t tool, rp *repo, step string) *cell {
	ctl, ok := t.(control)
	if !ok {
		return cellOf(b.backup(ctx, t, rp, b.music, step, 0))
	}
	src := filepath.Join(b.work, "src", t.ID())
	defer os.RemoveAll(src)
	logf("%s: preparing its copy of the library in %s", t.ID(), src)
	note, err := ctl.Prepare(b.music, src)
	if err != nil {
		return &cell{Error: fmt.Sprintf("prepare the control's copy of the library: %v", err)}
	}
	c := cellOf(b.backup(ctx, t, rp, src, step, 0))
	if c.Error == "" {
		c.Note = note
	}
	return c
}

func (b *benchmark) backup(ctx context.Context, t tool, rp *repo, src, step string, killAfter int64) (measurement, error) {
	j := t.Backup(rp, src)
	j.name, j.killAfterUp = t.ID()+"-"+step, killAfter
	return b.runner.run(ctx, j)
}

// restore restores rp into an empty folder, compares every file with want
// (a control's with what it backed up) by size and SHA-256, and removes
// the copy.
func (b *benchmark) restore(ctx context.Context, t tool, rp *repo, want map[string]fileSum, step string) *cell {
	dst := filepath.Join(b.work, "restore", t.ID())
	defer os.RemoveAll(dst)
	if err := os.MkdirAll(dst, 0o755); err != nil {
		return &cell{Error: err.Error()}
	}
	j := t.Restore(rp, dst)
	j.name = t.ID() + "-" + step
	c := cellOf(b.runner.run(ctx, j))
	if c.Error != "" {
		return c
	}
	note, err := verifyRestore(t, t.Restored(dst, b.music), want)
	if err != nil {
		c.Error = "RESTORE MISMATCH: " + err.Error()
		return c
	}
	c.Note = note
	return c
}

// verifyRestore compares the copy of the library in restored with want; a
// control compares it with what it backed up.
func verifyRestore(t tool, restored string, want map[string]fileSum) (note string, err error) {
	if ctl, ok := t.(control); ok {
		return ctl.Verify(restored)
	}
	got, err := hashTree(restored)
	if err == nil {
		err = compareTrees(want, got)
	}
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%d files verified", len(got)), nil
}

// killed backs the library up into a fresh repository, SIGKILLs the backup
// once killBytes have gone up, runs it again to completion, and reports
// both runs together. With -short the uplink is throttled during the first
// run so that the kill lands mid-way even on a tiny library.
func (b *benchmark) killed(ctx context.Context, t tool, killBytes int64) *cell {
	rp, err := b.newRepo(ctx, t, "kill")
	if err != nil {
		return &cell{Error: err.Error()}
	}
	if b.o.short {
		b.relay.SetUpRate(max(killBytes, 64<<10)) // about two seconds for the whole library
	}
	m1, err := b.backup(ctx, t, rp, b.music, rowKill+"-killed", killBytes)
	b.relay.SetUpRate(0)
	if err != nil {
		return cellOf(m1, err)
	}
	if !m1.Killed {
		return &cell{Error: fmt.Sprintf("the backup finished (%s up in %v) before it could be killed at %s",
			bytesize.Format(m1.Up), m1.Wall.Round(time.Millisecond), bytesize.Format(killBytes))}
	}
	m2, err := b.backup(ctx, t, rp, b.music, rowKill+"-completed", 0)
	c := cellOf(m2, err)
	c.Seconds += m1.Wall.Seconds()
	c.BytesUp += m1.Up
	c.BytesDown += m1.Down
	c.PeakRSS = max(c.PeakRSS, m1.PeakRSS)
	if c.Error == "" {
		c.Note = fmt.Sprintf("%s before the kill; total %.0f%% of the library", bytesize.Format(m1.Up),
			100*float64(c.BytesUp)/float64(b.rep.Library.Bytes))
	}
	return c
}
