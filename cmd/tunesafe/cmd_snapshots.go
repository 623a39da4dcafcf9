package main

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/tunesafe/tunesafe/internal/bytesize"
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
	Tags    []string  `json:"tags,omitempty"`
	Tree    string    `json:"tree"`
}

func (a *app) runSnapshots(ctx context.Context) error {
	s, err := a.openVault(ctx)
	if err != nil {
		return err
	}
	defer s.Close()
	all, err := s.vault.Snapshots(ctx)
	if err != nil {
		return err
	}
	if a.json {
		out := make([]snapshotJSON, 0, len(all))
		for _, sn := range all {
			paths := sn.Paths
			if paths == nil {
				paths = []string{} // a list, even when empty
			}
			out = append(out, snapshotJSON{ID: sn.ID.String(), Time: sn.Time, Host: sn.Host, Paths: paths,
				Files: sn.Stats.Files, Bytes: sn.Stats.Bytes, Partial: sn.Partial, Tags: sn.Tags, Tree: sn.Tree.String()})
		}
		return a.printJSON(out)
	}
	if len(all) == 0 {
		a.printf("no snapshots yet\n")
		return nil
	}
	t := newTable(a.stdout)
	t.row("ID", "TIME", "HOST", "PATHS", "FILES", "SIZE")
	for _, sn := range all {
		id := short(sn.ID.String())
		if sn.Partial {
			id += " (checkpoint)"
		}
		t.row(id, sn.Time.Local().Format(snapshotTime), sn.Host,
			strings.Join(sn.Paths, ", "), strconv.FormatInt(sn.Stats.Files, 10), bytesize.Format(sn.Stats.Bytes))
	}
	return t.flush()
}
