package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tunesafe/tunesafe/internal/bytesize"
)

// report is everything a run measured; it is printed as a Markdown table
// and, with -json, written as JSON.
type report struct {
	Started time.Time `json:"started"`
	Seconds float64   `json:"seconds"` // the whole run, generation included
	Short   bool      `json:"short"`
	Server  string    `json:"server"`
	// LatencyMS is the delay the relay added each way.
	LatencyMS int64      `json:"latency_ms,omitempty"`
	Commit    string     `json:"tunesafe_commit,omitempty"` // git describe of the tree measured
	Machine   machine    `json:"machine"`
	Library   dataset    `json:"library"`
	Many      dataset    `json:"many"`
	Tools     []toolInfo `json:"tools"`
	Rows      []*row     `json:"rows"`
	Failures  []string   `json:"failures"`
}

// dataset describes what a group of workloads backs up.
type dataset struct {
	Source string `json:"source"` // "generated" or the -library folder
	Files  int    `json:"files"`
	Bytes  int64  `json:"bytes"`
}

type toolInfo struct {
	ID      string `json:"id"`
	Title   string `json:"title"`
	Version string `json:"version"`
}

// row is one workload; Cells are keyed by tool ID.
type row struct {
	ID       string           `json:"id"`
	Workload string           `json:"workload"`
	Bytes    string           `json:"bytes"` // which count the table shows: "up" or "down"
	Cells    map[string]*cell `json:"cells"`
}

// cell is one tool on one workload.
type cell struct {
	Seconds float64 `json:"seconds"`
	// Runs are the times of every run, in order, when the workload ran
	// more than once (-repeat); Seconds and the rest are the median run's.
	Runs      []float64 `json:"runs,omitempty"`
	BytesUp   int64     `json:"bytes_up"`
	BytesDown int64     `json:"bytes_down"`
	PeakRSS   int64     `json:"peak_rss_bytes"`
	Note      string    `json:"note,omitempty"`
	Error     string    `json:"error,omitempty"`
	// NotApplicable marks a workload the tool does not take part in (a
	// control runs a few only); Note says why. It is not a failure.
	NotApplicable bool `json:"not_applicable,omitempty"`
	// Ratio compares a peer with Tunesafe: the peer's value divided by
	// Tunesafe's (restic with encrypted Tunesafe, rclone and its 1 MiB
	// control with unencrypted).
	Ratio *ratio `json:"ratio,omitempty"`
}

type ratio struct {
	To      string   `json:"to"`
	Seconds *float64 `json:"seconds,omitempty"`
	Bytes   *float64 `json:"bytes,omitempty"`
	PeakRSS *float64 `json:"peak_rss,omitempty"`
}

// measured reports whether c holds a measurement.
func (c *cell) measured() bool {
	return c != nil && c.Error == "" && !c.NotApplicable
}

func (c *cell) bytes(which string) int64 {
	if which == "down" {
		return c.BytesDown
	}
	return c.BytesUp
}

// baselineFor returns the Tunesafe column a peer is compared with: like
// with like (restic encrypts, rclone and its control do not), else
// whichever ran.
func baselineFor(peer string, have map[string]bool) string {
	order := []string{"tunesafe", "tunesafe-plain"}
	if peer == "rclone" || peer == "rclone-1mib" {
		order = []string{"tunesafe-plain", "tunesafe"}
	}
	for _, id := range order {
		if have[id] {
			return id
		}
	}
	return ""
}

// computeRatios fills in every peer cell's ratio to its Tunesafe baseline.
func (r *report) computeRatios() {
	have := map[string]bool{}
	for _, t := range r.Tools {
		have[t.ID] = true
	}
	div := func(a, b float64) *float64 {
		if b <= 0 || a < 0 {
			return nil
		}
		q := a / b
		return &q
	}
	for _, rw := range r.Rows {
		for _, t := range r.Tools {
			if strings.HasPrefix(t.ID, "tunesafe") {
				continue
			}
			base := baselineFor(t.ID, have)
			c, b := rw.Cells[t.ID], rw.Cells[base]
			if !c.measured() || !b.measured() {
				continue
			}
			c.Ratio = &ratio{
				To:      base,
				Seconds: div(c.Seconds, b.Seconds),
				Bytes:   div(float64(c.bytes(rw.Bytes)), float64(b.bytes(rw.Bytes))),
				PeakRSS: div(float64(c.PeakRSS), float64(b.PeakRSS)),
			}
		}
	}
}

// writeMarkdown prints the table and a legend.
func (r *report) writeMarkdown(w io.Writer) {
	fmt.Fprintf(w, "| workload |")
	for _, t := range r.Tools {
		fmt.Fprintf(w, " %s |", t.Title)
	}
	fmt.Fprintf(w, "\n|---|")
	for range r.Tools {
		fmt.Fprintf(w, "---|")
	}
	fmt.Fprintln(w)
	for _, rw := range r.Rows {
		fmt.Fprintf(w, "| %s |", rw.Workload)
		for _, t := range r.Tools {
			fmt.Fprintf(w, " %s |", formatCell(rw.Cells[t.ID], rw.Bytes))
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Each cell: wall time · bytes on the wire (↑ uploaded, ↓ downloaded, counted by the relay) · peak RSS of the process.")
	fmt.Fprintln(w, "Second line (peers only): the same three as a ratio to Tunesafe, restic to encrypted, rclone and its control to unencrypted Tunesafe; above 1 means the peer is slower, sends more or uses more memory.")
	fmt.Fprintln(w)
	line := "a counting relay on 127.0.0.1"
	if r.LatencyMS > 0 {
		line = fmt.Sprintf("a counting relay on 127.0.0.1 that delays every byte %d ms each way", r.LatencyMS)
	}
	fmt.Fprintf(w, "Library: %d files, %s (%s). Small files: %d, %s. Server: %s behind %s.\n",
		r.Library.Files, bytesize.Format(r.Library.Bytes), r.Library.Source, r.Many.Files, bytesize.Format(r.Many.Bytes), r.Server, line)
	fmt.Fprintf(w, "Machine: %d CPUs (%s), %s RAM, %s; load average (1, 5, 15 min) %s at start, %s at end. Run took %s.\n",
		r.Machine.CPUs, r.Machine.CPUModel, bytesize.Format(r.Machine.MemTotal), r.Machine.Kernel,
		r.Machine.LoadStart, r.Machine.LoadEnd, (time.Duration(r.Seconds) * time.Second).String())
	if r.Commit != "" {
		fmt.Fprintf(w, "Tunesafe built from %s.\n", r.Commit)
	}
	var versions []string
	for _, t := range r.Tools {
		versions = append(versions, t.Title+": "+t.Version)
	}
	fmt.Fprintf(w, "Versions: %s.\n", strings.Join(versions, "; "))
	if len(r.Failures) > 0 {
		fmt.Fprintf(w, "\n**%d FAILURE(S):**\n\n", len(r.Failures))
		for _, f := range r.Failures {
			fmt.Fprintf(w, "- %s\n", strings.ReplaceAll(f, "\n", "\n  "))
		}
	}
}

func formatCell(c *cell, which string) string {
	if c == nil {
		return "–"
	}
	if c.NotApplicable {
		if c.Note == "" {
			return "n/a"
		}
		return "n/a (" + c.Note + ")"
	}
	if c.Error != "" {
		msg, _, _ := strings.Cut(c.Error, "\n")
		return "**FAILED**: " + msg
	}
	arrow := "↑"
	if which == "down" {
		arrow = "↓"
	}
	s := fmt.Sprintf("%s%s · %s %s · %s", formatSeconds(c.Seconds), formatRuns(c.Runs), bytesize.Format(c.bytes(which)), arrow, bytesize.Format(c.PeakRSS))
	if c.Note != "" {
		s += " (" + c.Note + ")"
	}
	if c.Ratio != nil {
		s += fmt.Sprintf("<br>%s · %s · %s", formatRatio(c.Ratio.Seconds), formatRatio(c.Ratio.Bytes), formatRatio(c.Ratio.PeakRSS))
	}
	return s
}

func formatSeconds(s float64) string {
	if s < 10 {
		return fmt.Sprintf("%.2f s", s)
	}
	return fmt.Sprintf("%.1f s", s)
}

// formatRuns says, after a median time, how many runs it is the median of
// and their range: " (median of 3: 9.52–10.3 s)". One run says nothing.
func formatRuns(runs []float64) string {
	if len(runs) < 2 {
		return ""
	}
	lo, hi := slices.Min(runs), slices.Max(runs)
	return fmt.Sprintf(" (median of %d: %s–%s)", len(runs), strings.TrimSuffix(formatSeconds(lo), " s"), formatSeconds(hi))
}

// formatCount prints a count with its thousands grouped: "2,051".
func formatCount(n int) string {
	s := strconv.Itoa(n)
	start := 0
	if n < 0 {
		start = 1
	}
	for i := len(s) - 3; i > start; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

func formatRatio(q *float64) string {
	switch {
	case q == nil:
		return "×–"
	case *q < 10:
		return fmt.Sprintf("×%.2f", *q)
	}
	return fmt.Sprintf("×%.0f", *q)
}

// writeJSON writes the report to path: a temporary file, then a rename.
func (r *report) writeJSON(path string) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, append(b, '\n'), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
