package main

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"

	"github.com/spf13/cobra"
	"github.com/tunesafe/tunesafe/internal/vault"
)

// versionInfo is what `tunesafe version` reports: enough to tell which
// build wrote a vault or a bug report.
type versionInfo struct {
	Version string `json:"version"`
	// Commit is the source revision the binary was built from, when the
	// build recorded it ("+dirty" when the tree had changes).
	Commit   string `json:"commit,omitempty"`
	Go       string `json:"go"`
	Platform string `json:"platform"`
	Format   string `json:"format"` // the newest vault format this build writes
}

func currentVersion() versionInfo {
	v := versionInfo{
		Version:  version,
		Go:       runtime.Version(),
		Platform: runtime.GOOS + "/" + runtime.GOARCH,
		Format:   fmt.Sprintf("%d.%d", vault.MajorFormat, vault.MinorFormat),
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		var rev, dirty string
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.modified":
				if s.Value == "true" {
					dirty = "+dirty"
				}
			}
		}
		if len(rev) > 12 {
			rev = rev[:12]
		}
		if rev != "" {
			v.Commit = rev + dirty
		}
	}
	return v
}

func (a *app) versionCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version of tunesafe and the vault format it writes",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			v := currentVersion()
			if a.json {
				return a.printJSON(v)
			}
			build := v.Go + ", " + v.Platform
			if v.Commit != "" {
				build = v.Commit + ", " + build
			}
			_, err := fmt.Fprintf(a.stdout, "tunesafe %s (%s)\nvault format %s\n", v.Version, build, v.Format)
			return err
		},
	}
}

// helpCommand replaces cobra's, which answers a topic it does not know
// with a usage text and exit status 0: here that is a command-line
// mistake like any other (exit 2, one line and a hint).
func (a *app) helpCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "help [COMMAND]",
		Short: "Help about any command",
		RunE: func(c *cobra.Command, args []string) error {
			cmd, rest, err := c.Root().Find(args)
			if err != nil || cmd == nil || len(rest) > 0 {
				return usagef("run 'tunesafe help' to list the commands", "no help for %q: not a tunesafe command", strings.Join(args, " "))
			}
			cmd.InitDefaultHelpFlag()
			cmd.InitDefaultVersionFlag()
			return cmd.Help()
		},
	}
}
