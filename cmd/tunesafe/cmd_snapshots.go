package main

import (
	"context"
	"fmt"
	"strings"
	"text/tabwriter"
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
			out = append(out, snapshotJSON{ID: sn.ID.String(), Time: sn.Time, Host: sn.Host, Paths: sn.Paths,
				Files: sn.Stats.Files, Bytes: sn.Stats.Bytes, Partial: sn.Partial, Tags: sn.Tags, Tree: sn.Tree.String()})
		}
		return a.printJSON(out)
	}
	if len(all) == 0 {
		a.printf("no snapshots yet\n")
		return nil
	}
	tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tTIME\tHOST\tPATHS\tFILES\tSIZE\t")
	for _, sn := range all {
		id := short(sn.ID.String())
		if sn.Partial {
			id += " (checkpoint)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\t\n", id, sn.Time.Local().Format("2006-01-02 15:04:05"), sn.Host,
			strings.Join(sn.Paths, ", "), sn.Stats.Files, bytesize.Format(sn.Stats.Bytes))
	}
	return tw.Flush()
}
