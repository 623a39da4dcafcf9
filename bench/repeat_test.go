package main

import (
	"context"
	"slices"
	"strings"
	"testing"
)

// namedTool is a tool that only has a name; rounds asks nothing else.
type namedTool struct {
	tool
	id string
}

func (n namedTool) ID() string    { return n.id }
func (n namedTool) Title() string { return n.id }

// TestRoundsAlternateAndKeepTheMedian runs a repeated workload three
// times over three tools: each round must start with a different tool,
// every cell must be its tool's median run with all times listed, and a
// tool whose run fails must not run again and show the failure.
func TestRoundsAlternateAndKeepTheMedian(t *testing.T) {
	tools := []tool{namedTool{id: "a"}, namedTool{id: "b"}, namedTool{id: "c"}}
	b := &benchmark{o: options{repeat: 3}, rep: &report{}}
	b.rep.Rows = []*row{{ID: rowInitial, Bytes: "up", Cells: map[string]*cell{}}}
	times := map[string][]float64{"a": {5, 3, 4}, "b": {1, 9, 2}}
	var order []string
	b.rounds(context.Background(), rowInitial, tools, func(tl tool, round int) *cell {
		id := tl.ID()
		order = append(order, id)
		if id == "c" {
			return &cell{Error: "boom"}
		}
		secs := times[id][round]
		return &cell{Seconds: secs, BytesUp: int64(secs * 100)}
	})
	if want := []string{"a", "b", "c", "b", "a", "a", "b"}; !slices.Equal(order, want) {
		t.Errorf("runs in the order %v, want %v (rounds rotate; c failed in the first)", order, want)
	}
	cells := b.rep.Rows[0].Cells
	if c := cells["a"]; c.Seconds != 4 || c.BytesUp != 400 || !slices.Equal(c.Runs, []float64{5, 3, 4}) {
		t.Errorf("a: %+v, want the 4 s run with runs [5 3 4]", c)
	}
	if c := cells["b"]; c.Seconds != 2 || c.BytesUp != 200 || !slices.Equal(c.Runs, []float64{1, 9, 2}) {
		t.Errorf("b: %+v, want the 2 s run with runs [1 9 2]", c)
	}
	if c := cells["c"]; c.Error != "boom" {
		t.Errorf("c: %+v, want the failure", c)
	}
	if len(b.rep.Failures) != 1 {
		t.Errorf("failures %q, want c's one", b.rep.Failures)
	}
	if got := formatCell(cells["b"], "up"); !strings.HasPrefix(got, "2.00 s (median of 3: 1.00–9.00 s) · ") {
		t.Errorf("cell reads %q", got)
	}
}

// TestRoundsOnceForOtherWorkloads checks that -repeat leaves the workloads
// it does not time alone.
func TestRoundsOnceForOtherWorkloads(t *testing.T) {
	b := &benchmark{o: options{repeat: 3}, rep: &report{}}
	b.rep.Rows = []*row{{ID: rowNoChange, Bytes: "up", Cells: map[string]*cell{}}}
	n := 0
	b.rounds(context.Background(), rowNoChange, []tool{namedTool{id: "a"}}, func(tool, int) *cell {
		n++
		return &cell{Seconds: 1}
	})
	if c := b.rep.Rows[0].Cells["a"]; n != 1 || c == nil || c.Runs != nil {
		t.Errorf("%d runs, cell %+v; want one run and no list of runs", n, c)
	}
}

func TestMedianOfEvenCountIsTheFasterMiddle(t *testing.T) {
	m := median([]*cell{{Seconds: 4}, {Seconds: 1}, {Seconds: 3}, {Seconds: 2}})
	if m.Seconds != 2 || len(m.Runs) != 4 {
		t.Errorf("median %+v, want 2 s of 4 runs", m)
	}
}

// TestForEachSkipsToolsWithoutRepository checks that a tool whose
// repository failed earlier is marked skipped, not run, while the others
// run every round, and that a failing step retires its repository.
func TestForEachSkipsToolsWithoutRepository(t *testing.T) {
	b := &benchmark{o: options{repeat: 2}, rep: &report{}}
	b.rep.Rows = []*row{{ID: rowRestore, Bytes: "down", Cells: map[string]*cell{}}}
	b.tools = []tool{namedTool{id: "a"}, namedTool{id: "b"}, namedTool{id: "c"}}
	repos := map[string]*repo{"a": {name: "a"}, "c": {name: "c"}}
	var ran []string
	b.forEach(context.Background(), repos, rowRestore, func(tl tool, rp *repo, round int) *cell {
		ran = append(ran, rp.name)
		if rp.name == "c" {
			return &cell{Error: "mismatch"}
		}
		return &cell{Seconds: float64(round + 1)}
	})
	if want := []string{"a", "c", "a"}; !slices.Equal(ran, want) {
		t.Errorf("ran %v, want %v", ran, want)
	}
	cells := b.rep.Rows[0].Cells
	if c := cells["b"]; c == nil || !strings.HasPrefix(c.Error, "not run") {
		t.Errorf("b: %+v, want skipped", c)
	}
	if c := cells["a"]; c == nil || len(c.Runs) != 2 {
		t.Errorf("a: %+v, want two runs", c)
	}
	if repos["c"] != nil || repos["a"] == nil {
		t.Errorf("repositories left: %v, want c retired and a kept", repos)
	}
}
