package main

import (
	"cmp"
	"context"
	"fmt"
	"os"
	"slices"
)

// Repeated workloads.
//
// On a shared two-core machine one run of a workload can take 40% longer
// than the next, so a single run cannot say whether 9.8 s against 9.1 s
// is a difference. With -repeat N the workloads whose time the issue's
// targets compare (the initial backup and the restore) run N times per
// tool, a round at a time: every tool once, then every tool again, the
// order rotating each round, so that a slow minute of the machine falls
// on every tool alike. The cell keeps the median run and lists them all.

// repeated lists the workloads -repeat applies to.
var repeated = map[string]bool{rowInitial: true, rowRestore: true}

// rounds runs step o.repeat times for every tool of tools that takes part
// in rowID, round by round, and sets each tool's median cell. step gets
// the round (0 for the first) and reports one run. A tool whose run fails
// is not run again; its cell is the failure.
func (b *benchmark) rounds(ctx context.Context, rowID string, tools []tool, step func(t tool, round int) *cell) {
	n := 1
	if repeated[rowID] {
		n = b.o.repeat
	}
	runs := map[string][]*cell{}
	failed := map[string]bool{}
	for round := range n {
		for _, t := range rotate(tools, round) {
			if ctx.Err() != nil {
				return
			}
			if failed[t.ID()] || !b.applies(rowID, t) {
				continue
			}
			c := step(t, round)
			if n > 1 && c.Error == "" {
				logf("%s %s, run %d of %d: %s", t.ID(), rowID, round+1, n, formatSeconds(c.Seconds))
			}
			runs[t.ID()] = append(runs[t.ID()], c)
			failed[t.ID()] = c.Error != ""
		}
	}
	for _, t := range tools {
		if rs := runs[t.ID()]; len(rs) > 0 {
			b.set(rowID, t, median(rs))
		}
	}
}

// rotate returns tools starting at index round (mod their number).
func rotate(tools []tool, round int) []tool {
	if len(tools) == 0 {
		return nil
	}
	k := round % len(tools)
	return append(slices.Clone(tools[k:]), tools[:k]...)
}

// median returns the run of median time (the faster of the two middle
// ones for an even count) with the times of all runs, in order, in Runs.
// A failed run makes the result that failure.
func median(runs []*cell) *cell {
	for _, c := range runs {
		if c.Error != "" {
			return c
		}
	}
	if len(runs) == 1 {
		return runs[0]
	}
	sorted := slices.Clone(runs)
	slices.SortStableFunc(sorted, func(a, b *cell) int { return cmp.Compare(a.Seconds, b.Seconds) })
	m := *sorted[(len(sorted)-1)/2]
	m.Runs = make([]float64, len(runs))
	for i, c := range runs {
		m.Runs[i] = c.Seconds
	}
	return &m
}

// stepName names a run's log file: the workload, and the round after the
// first.
func stepName(rowID string, round int) string {
	if round == 0 {
		return rowID
	}
	return fmt.Sprintf("%s-%d", rowID, round+1)
}

// dropRepo deletes a repository made only to be timed again: its bucket,
// directly on the server, and its home.
func (b *benchmark) dropRepo(ctx context.Context, rp *repo) {
	if err := b.srv.removeBucket(ctx, rp.bucket); err != nil {
		logf("remove the bucket %s: %v (it stays until the server is stopped)", rp.bucket, err)
	}
	os.RemoveAll(rp.home)
}
