package main

import (
	"strings"
	"testing"
)

// TestNotApplicable checks that a workload a control does not take part
// in reads as such in the table, is no failure, and gets no ratio, while
// its measured cells are compared with unencrypted Tunesafe like rclone's.
func TestNotApplicable(t *testing.T) {
	r := &report{
		Tools: []toolInfo{{ID: "tunesafe"}, {ID: "tunesafe-plain"}, {ID: "rclone-1mib", Title: "rclone, 1 MiB pieces (control)"}},
		Rows: []*row{
			{ID: rowInitial, Workload: "initial", Bytes: "up", Cells: map[string]*cell{
				"tunesafe":       {Seconds: 4, BytesUp: 100},
				"tunesafe-plain": {Seconds: 2, BytesUp: 100},
				"rclone-1mib":    {Seconds: 3, BytesUp: 100, Note: "2,051 objects"},
			}},
			{ID: rowNoChange, Workload: "no change", Bytes: "up", Cells: map[string]*cell{
				"tunesafe":       {Seconds: 1, BytesUp: 10},
				"tunesafe-plain": {Seconds: 1, BytesUp: 10},
				"rclone-1mib":    {NotApplicable: true, Note: "control"},
			}},
		},
	}
	r.computeRatios()
	if c := r.Rows[0].Cells["rclone-1mib"]; c.Ratio == nil || c.Ratio.To != "tunesafe-plain" || *c.Ratio.Seconds != 1.5 {
		t.Errorf("initial: ratio %+v, want ×1.5 to tunesafe-plain", c.Ratio)
	}
	if c := r.Rows[1].Cells["rclone-1mib"]; c.Ratio != nil {
		t.Errorf("not applicable, yet a ratio: %+v", c.Ratio)
	}
	var b strings.Builder
	r.writeMarkdown(&b)
	if !strings.Contains(b.String(), "| no change | 1.00 s · 10 B ↑ · 0 B | 1.00 s · 10 B ↑ · 0 B | n/a (control) |") {
		t.Errorf("table:\n%s", b.String())
	}
	if strings.Contains(b.String(), "FAILED") {
		t.Errorf("not applicable shown as a failure:\n%s", b.String())
	}
}

func TestFormatCount(t *testing.T) {
	for n, want := range map[int]string{0: "0", 999: "999", 1000: "1,000", 2051: "2,051", 100000: "100,000", 1234567: "1,234,567", -2051: "-2,051", -205: "-205"} {
		if got := formatCount(n); got != want {
			t.Errorf("formatCount(%d) = %q, want %q", n, got, want)
		}
	}
}
