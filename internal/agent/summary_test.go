package agent

import (
	"testing"
	"time"

	"github.com/tunesafe/tunesafe/internal/backup"
)

// A pass's summary in the status file carries its result's counts, the
// files found removed among them.
func TestSummaryCarriesCounts(t *testing.T) {
	res := &backup.Result{SnapshotID: "abc", FilesNew: 1, FilesChanged: 2, FilesUnchanged: 3, FilesRemoved: 4, BytesRead: 5, BytesUploaded: 6}
	now := time.Now()
	s := summary(now, now, res, &backup.Progress{}, "completed")
	want := PassSummary{Started: now, Ended: now, Outcome: "completed", Snapshot: "abc", FilesNew: 1, FilesChanged: 2, FilesUnchanged: 3, FilesRemoved: 4, BytesRead: 5, BytesUploaded: 6}
	if *s != want {
		t.Fatalf("summary = %+v, want %+v", *s, want)
	}
}
