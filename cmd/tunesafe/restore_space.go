package main

import (
	"errors"
	"fmt"

	"github.com/tunesafe/tunesafe/internal/bytesize"
	"github.com/tunesafe/tunesafe/internal/restore"
)

// noSpaceHint gives a restore refused for want of free space in its
// target (a *restore.NoSpaceError, found before anything is written) the
// ways out.
func noSpaceHint(err error) error {
	var ns *restore.NoSpaceError
	if !errors.As(err, &ns) {
		return err
	}
	return withHint(err, fmt.Sprintf("nothing was written; the restore needs %s more than the %s free there: free some space, restore into another --to on a disk with room, or restore part of the snapshot at a time with PATTERNs (or --artist, --album, --playlist)",
		bytesize.Format(ns.Need-ns.Free), bytesize.Format(ns.Free)))
}
