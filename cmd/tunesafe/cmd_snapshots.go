package main

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/tunesafe/tunesafe/internal/bytesize"
	"github.com/tunesafe/tunesafe/internal/vault"
)

func (a *app) snapshotsCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "snapshots",
		Short: "List the snapshots in the vault",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.runSnapshots(cmd.Context())
		},
	}
}

// snapshotTime is how the snapshot tables show a snapshot's time.
const snapshotTime = "2006-01-02 15:04:05"

type snapshotJSON struct {
	ID      string    `json:"id"`
	Time    time.Time `json:"time"`
	Host    string    `json:"host"`
	Paths   []string  `json:"paths"`
	Files   int64     `json:"files"`
	Bytes   int64     `json:"bytes"`
	Partial bool      `json:"partial"`
	// ThisHost says the snapshot is of this computer: its host is the
	// one a backup here records by default.
	ThisHost bool     `json:"this_host"`
	Tags     []string `json:"tags,omitempty"`
	Tree     string   `json:"tree"`
}

// damagedJSON is a damaged snapshot in the list of 'snapshots --json':
// its ID and what is wrong with it, and none of the fields it cannot tell.
type damagedJSON struct {
	ID      string `json:"id"`
	Damaged string `json:"damaged"`
}

// newSnapshotJSON is a snapshot as snapshots and diff print it.
func newSnapshotJSON(sn vault.SnapshotRef) snapshotJSON {
	paths := sn.Paths
	if paths == nil {
		paths = []string{} // a list, even when empty
	}
	return snapshotJSON{ID: sn.ID.String(), Time: sn.Time, Host: sn.Host, Paths: paths,
		Files: sn.Stats.Files, Bytes: sn.Stats.Bytes, Partial: sn.Partial, ThisHost: ofThisComputer(sn.Host), Tags: sn.Tags, Tree: sn.Tree.String()}
}

func (a *app) runSnapshots(ctx context.Context) error {
	s, err := a.openVault(ctx)
	if err != nil {
		return err
	}
	defer s.Close()
	all, damaged, err := s.vault.ReadableSnapshots(ctx)
	if err != nil {
		return err
	}
	a.warnDamaged(damaged)
	listed := map[vault.ID]bool{}
	for _, sn := range all {
		listed[sn.ID] = true
	}
	for _, d := range damaged {
		listed[d.ID] = true
	}
	lost, err := lostSnapshots(ctx, s, listed)
	if err != nil {
		// The listing stands without it; audit reads the log too.
		fmt.Fprintf(a.stderr, "tunesafe: warning: could not tell whether the provider lost snapshots: %v\n", err)
	}
	a.warnLost(lost)
	if a.json {
		// Lost and damaged snapshots come first, so that the last
		// element is still the newest snapshot.
		out := make([]any, 0, len(lost)+len(damaged)+len(all))
		for _, l := range lost {
			out = append(out, lostJSON{ID: l.ID.String(), Time: l.Snapshot.Time, Host: l.Snapshot.Host,
				Lost: "missing from the vault; its log records no deletion"})
		}
		for _, d := range damaged {
			out = append(out, damagedJSON{ID: d.ID.String(), Damaged: d.Err.Err.Error()})
		}
		for _, sn := range all {
			out = append(out, newSnapshotJSON(sn))
		}
		return a.printJSON(out)
	}
	if len(all) == 0 && len(damaged) == 0 && len(lost) == 0 {
		var h *hinted
		if err := replicaWithout(ctx, s, vault.ErrNoSnapshots); errors.Is(err, errFirstCopy) && errors.As(err, &h) {
			a.printf("%v: %s\n", err, h.hint)
			return nil
		}
		a.printf("no snapshots yet\n")
		return nil
	}
	if len(all) == 0 {
		a.printf("no snapshot can be read\n")
		return nil
	}
	// The TAGS column shows only when some snapshot has tags. With
	// snapshots of several hosts, "*" marks this computer's.
	tagged, mine := false, false
	hosts := map[string]bool{}
	for _, sn := range all {
		tagged = tagged || len(sn.Tags) > 0
		mine = mine || ofThisComputer(sn.Host)
		hosts[sn.Host] = true
	}
	mark := mine && len(hosts) > 1
	t := newTable(a.stdout)
	head := []string{"ID", "TIME", "HOST", "PATHS", "FILES", "SIZE"}
	if tagged {
		head = append(head, "TAGS")
	}
	t.row(head...)
	for _, sn := range all {
		id := short(sn.ID.String())
		if sn.Partial {
			id += " (checkpoint)"
		}
		host := sn.Host
		if mark && ofThisComputer(sn.Host) {
			host += " *"
		}
		row := []string{id, sn.Time.Local().Format(snapshotTime), host,
			strings.Join(sn.Paths, ", "), strconv.FormatInt(sn.Stats.Files, 10), bytesize.Format(sn.Stats.Bytes)}
		if tagged {
			row = append(row, strings.Join(sn.Tags, ", "))
		}
		t.row(row...)
	}
	if err := t.flush(); err != nil {
		return err
	}
	if mark {
		a.printf("* this computer (%s)\n", thisHost())
	}
	return nil
}

// warnDamaged tells, one line each, of the damaged snapshots a reading
// command left out. The command goes on with the others: its exit code
// says whether it did what was asked, and audit says what was lost.
func (a *app) warnDamaged(damaged []vault.DamagedSnapshot) {
	for _, d := range damaged {
		fmt.Fprintf(a.stderr, "tunesafe: warning: snapshot %s is damaged and left out (%v); run 'tunesafe audit'\n", short(d.ID.String()), d.Err.Err)
	}
}
