package main

import (
	"errors"
	"fmt"
)

// pieceSize is the control's piece: the chunker's average chunk, so that
// the control stores about as many objects as a Tunesafe vault does.
const pieceSize = 1 << 20

// rclonePiecesTool is a control, not a backup program: rclone exactly as
// rcloneTool runs it, on a copy of the library cut into pieces of 1 MiB.
// Tunesafe stores one object per chunk of about 1 MiB, rclone one per
// file; with two cores shared with the server, the server's cost per
// object is a large part of the time. The control stores as many objects
// as Tunesafe with none of Tunesafe's work, so rclone against the control
// is what the number of objects costs, and the control against Tunesafe
// is what Tunesafe's own work costs. It takes part in the initial backup
// and the restore only.
type rclonePiecesTool struct {
	*rcloneTool
	sums map[string]fileSum // the library's files as Prepare read them
}

func (t *rclonePiecesTool) ID() string    { return "rclone-1mib" }
func (t *rclonePiecesTool) Title() string { return "rclone, 1 MiB pieces (control)" }

func (t *rclonePiecesTool) TakesPart(rowID string) bool {
	return rowID == rowInitial || rowID == rowRestore
}

// Prepare cuts the library into pieces; rcloneTool's Backup then syncs the
// pieces' folder.
func (t *rclonePiecesTool) Prepare(src, dst string) (string, error) {
	n, sums, err := cutPieces(src, dst, pieceSize)
	if err != nil {
		return "", err
	}
	t.sums = sums
	return formatCount(n) + " objects", nil
}

// Verify puts the pieces rcloneTool's Restore copied back together and
// compares them with the files Prepare cut. That is the library as it was
// before the retag workload edited it: the control backs it up only once.
func (t *rclonePiecesTool) Verify(restored string) (string, error) {
	if t.sums == nil {
		return "", errors.New("nothing to verify against: the pieces were never cut")
	}
	got, pieces, err := joinPieces(restored, pieceSize)
	if err == nil {
		err = compareTrees(t.sums, got)
	}
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%d files verified, from %s objects", len(got), formatCount(pieces)), nil
}
