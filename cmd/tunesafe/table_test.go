package main

import (
	"strings"
	"testing"
)

// TestTable: columns are aligned two spaces apart, and no line ends in
// spaces, even where its last cells are empty.
func TestTable(t *testing.T) {
	var out strings.Builder
	tab := newTable(&out)
	tab.row("ID", "NOTES", "X")
	tab.row("abc", "", "")
	tab.row("a", "long note", "y")
	if err := tab.flush(); err != nil {
		t.Fatal(err)
	}
	want := "ID   NOTES      X\nabc\na    long note  y\n"
	if out.String() != want {
		t.Fatalf("table:\n%q\nwant\n%q", out.String(), want)
	}
}
