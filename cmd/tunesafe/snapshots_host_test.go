package main

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
)

// With snapshots of several computers in the vault, snapshots marks this
// computer's (the host a backup here records by default) with "*" beside
// its host, says so once below the table, and tells each snapshot's
// "this_host" in --json.
func TestSnapshotsThisHost(t *testing.T) {
	here, err := os.Hostname()
	if err != nil || here == "" || strings.ContainsAny(here, " *") {
		t.Skipf("no usable host name: %q %v", here, err)
	}
	v := newAuditVault(t, false) // one snapshot of this computer

	// One host: nothing to tell apart.
	if out := v.must("snapshots"); strings.Contains(out, "*") || strings.Contains(out, "this computer") {
		t.Errorf("snapshots of one host:\n%s", out)
	}

	v.must("backup", "--host", "ts-desktop", v.music)
	out := v.must("snapshots")
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != 4 || lines[3] != "* this computer ("+here+")" {
		t.Fatalf("snapshots of two hosts: want a header, two rows and the legend\n%s", out)
	}
	col := strings.Index(lines[0], "PATHS")
	for _, l := range lines[1:3] {
		mine := strings.Contains(l, " "+here+" *  ")
		other := strings.Contains(l, " ts-desktop  ") && !strings.Contains(l, "*")
		if mine == other {
			t.Errorf("row %q: want this computer's marked, the other's not", l)
		}
		// The PATHS column stays aligned past the marker.
		if col < 0 || strings.Index(l, v.music) != col {
			t.Errorf("row %q: paths not at column %d of the header\n%s", l, col, out)
		}
	}

	var snaps []map[string]any
	if err := json.Unmarshal([]byte(v.must("snapshots", "--json")), &snaps); err != nil || len(snaps) != 2 {
		t.Fatalf("snapshots --json: %v %v", snaps, err)
	}
	for _, s := range snaps {
		if want := s["host"] == here; s["this_host"] != want {
			t.Errorf("snapshot of %v: this_host %v, want %v", s["host"], s["this_host"], want)
		}
	}
}
