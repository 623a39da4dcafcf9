package main

import (
	"bytes"
	"io"
	"strings"
	"text/tabwriter"
)

// table lays out rows in columns two spaces apart, for a person to read.
// Unlike a bare tabwriter it leaves no spaces at the end of a line, where
// the last cells of a row are short or empty.
type table struct {
	w   io.Writer
	buf bytes.Buffer
	tw  *tabwriter.Writer
}

// newTable starts a table written to w by flush.
func newTable(w io.Writer) *table {
	t := &table{w: w}
	t.tw = tabwriter.NewWriter(&t.buf, 0, 4, 2, ' ', 0)
	return t
}

// row adds a line of cells.
func (t *table) row(cells ...string) {
	io.WriteString(t.tw, strings.Join(cells, "\t")+"\n")
}

// flush writes the table.
func (t *table) flush() error {
	if err := t.tw.Flush(); err != nil {
		return err
	}
	var out strings.Builder
	for line := range strings.Lines(t.buf.String()) {
		out.WriteString(strings.TrimRight(line, " \n"))
		out.WriteString("\n")
	}
	t.buf.Reset()
	_, err := io.WriteString(t.w, out.String())
	return err
}
