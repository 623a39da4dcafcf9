package main

import (
	"context"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/tunesafe/tunesafe/internal/bytesize"
	"github.com/tunesafe/tunesafe/internal/chunker"
	"github.com/tunesafe/tunesafe/internal/estimate"
)

type estimateOptions struct {
	uplink   string
	provider string
	exclude  []string
}

func (a *app) estimateCommand() *cobra.Command {
	var o estimateOptions
	c := &cobra.Command{
		Use:   "estimate [PATH...] --uplink RATE [--provider aws-s3|b2|wasabi|r2]",
		Short: "Estimate the first upload's duration and the monthly storage cost",
		Long: `Count the files and bytes under the paths (default: the config file's
"paths", as 'tunesafe backup' and the agent take them), as a backup would, and estimate
how long the first upload takes at the given uplink rate, in hours and in
nights of 8 hours, and what storing it costs each month at list prices.

Sizes and rates are payload bytes, and prefixes are those people write:
k, M, G are powers of 1000 (kB/s, GB), Ki, Mi, Gi powers of 1024 (KiB/s,
GiB), and "bit" or "b" counts bits (2Mbit is 250 kB/s). So 23.4 GB at
36 kB/s is 23.4e9 B / 36e3 B/s = 650,000 s, about 180.6 hours or 22.6
nights. On the wire it takes a few per cent longer (TCP/IP and TLS
headers: 180.6 h becomes about 187 h), and a speed test already reports
payload.

The byte count is an upper bound: identical files are stored once. Costs
assume the provider's cheapest region and standard class, with free
allowances unused by anything else.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.runEstimate(cmd.Context(), args, o)
		},
	}
	c.Flags().StringVar(&o.uplink, "uplink", "", "upload rate of your line, e.g. 36kB/s, 1MB/s, 2Mbit (required)")
	c.Flags().StringVar(&o.provider, "provider", "", "price the storage at one provider: aws-s3, b2, wasabi or r2 (default: all)")
	c.Flags().StringArrayVar(&o.exclude, "exclude", nil, excludeHelp)
	return c
}

// estimateReport is the --json output of estimate.
type estimateReport struct {
	Files    int64 `json:"files"`
	Dirs     int64 `json:"dirs"`
	Symlinks int64 `json:"symlinks"`
	Skipped  int64 `json:"skipped"`
	Excluded int64 `json:"excluded"`
	Bytes    int64 `json:"bytes"`
	// Objects estimates how many objects the vault will hold (see
	// estimateObjects); request fees are counted per object.
	Objects          int64          `json:"objects"`
	UplinkBytesPerS  float64        `json:"uplink_bytes_per_s"`
	UploadSeconds    float64        `json:"upload_s"`
	UploadHours      float64        `json:"upload_hours"`
	Nights           float64        `json:"nights"`
	NightHours       int            `json:"night_hours"`
	Formula          string         `json:"formula"`
	Costs            []estimateCost `json:"costs"`
	PricesAsOf       string         `json:"prices_as_of"`
	PayloadOnlyNotes string         `json:"note"`
}

type estimateCost struct {
	Provider        string   `json:"provider"`
	Title           string   `json:"title"`
	StoragePerMonth float64  `json:"storage_per_month_usd"`
	FirstUpload     float64  `json:"first_upload_usd"`
	FullRestore     float64  `json:"full_restore_usd"`
	Notes           []string `json:"notes,omitempty"`
}

func (a *app) runEstimate(ctx context.Context, paths []string, o estimateOptions) error {
	if o.uplink == "" {
		return usagef("for example --uplink 36kB/s (a speed test's upload figure)", "--uplink is required")
	}
	rate, err := parseRate(o.uplink)
	if err != nil {
		return usagef("for example 36kB/s, 1.5MB/s, 2Mbit/s", "--uplink: %v", err)
	}
	providers := estimate.Providers()
	if o.provider != "" {
		name, err := providerName(o.provider)
		if err != nil {
			return usagef("leave --provider out to compare them all", "--provider: %v", err)
		}
		providers = []string{name}
	}
	cfg, err := a.loadConfig()
	if err != nil {
		return err
	}
	if len(paths) == 0 {
		if paths, err = cfg.sourcePaths(a.configFile()); err != nil {
			return err
		}
		if len(paths) == 0 {
			return usagef(fmt.Sprintf("give folders: tunesafe estimate ~/Music --uplink 36kB/s, or set \"paths\" in %s", a.configFile()), "nothing to estimate: no paths given and none configured")
		}
	}
	excluded, err := a.exclusions(cfg, o.exclude)
	if err != nil {
		return err
	}
	t, err := estimate.Scan(ctx, paths, excluded)
	if err != nil {
		return usagef("check the path", "%v", err)
	}
	d, nights := estimate.Upload(t.Bytes, float64(rate))
	rep := estimateReport{
		Files: t.Files, Dirs: t.Dirs, Symlinks: t.Symlinks, Skipped: t.Skipped, Excluded: t.Excluded, Bytes: t.Bytes,
		Objects:         estimateObjects(t),
		UplinkBytesPerS: float64(rate), UploadSeconds: d.Seconds(), UploadHours: d.Hours(),
		Nights: nights, NightHours: estimate.NightHours,
		Formula:          estimate.UploadFormula(t.Bytes, float64(rate)),
		PricesAsOf:       estimate.PricesAsOf,
		PayloadOnlyNotes: "payload bytes; TCP/IP and TLS add about 3.6% on the wire",
	}
	for _, name := range providers {
		p, err := estimate.Lookup(name)
		if err != nil {
			return err
		}
		c, err := estimate.Monthly(name, t.Bytes, rep.Objects)
		if err != nil {
			return err
		}
		rep.Costs = append(rep.Costs, estimateCost{Provider: p.Name, Title: p.Title,
			StoragePerMonth: c.StoragePerMonth, FirstUpload: c.FirstUpload, FullRestore: c.FullRestore, Notes: c.Notes})
	}
	if a.json {
		return a.printJSON(rep)
	}
	a.printf("files:  %d in %s", t.Files, plural(t.Dirs, "folder", "folders"))
	if t.Symlinks > 0 || t.Skipped > 0 {
		a.printf(" (%s, %d skipped)", plural(t.Symlinks, "symbolic link", "symbolic links"), t.Skipped)
	}
	if t.Excluded > 0 {
		a.printf("; %d excluded", t.Excluded)
	}
	a.printf("\nsize:   %s (%s)\n", decimalSize(t.Bytes), bytesize.Format(t.Bytes))
	a.printf("upload: %s at %s/s = %.1f nights of %d hours\n", uploadTime(d), decimalSize(rate), nights, estimate.NightHours)
	a.printf("        %s; payload only, the wire adds a few per cent\n", rep.Formula)
	a.printf("\nmonthly cost of %s in about %s, at list prices of %s (US$):\n", decimalSize(t.Bytes), plural(rep.Objects, "object", "objects"), estimate.PricesAsOf)
	tab := newTable(a.stdout)
	tab.row("PROVIDER", "STORAGE/MONTH", "FIRST UPLOAD", "FULL RESTORE", "NOTES")
	for _, c := range rep.Costs {
		tab.row(c.Provider, dollars(c.StoragePerMonth), dollars(c.FirstUpload), dollars(c.FullRestore), strings.Join(c.Notes, "; "))
	}
	return tab.flush()
}

// estimateObjects guesses how many objects a vault of these files holds:
// a content-defined chunk per average chunk size of data, about one more
// per file for its tags (stored apart from the audio), and a tree per
// folder. It is the right order of magnitude, which is what request fees
// need.
func estimateObjects(t estimate.Totals) int64 {
	avg := int64(chunker.DefaultParams.Avg)
	return (t.Bytes+avg-1)/avg + 2*t.Files + t.Dirs
}

// parseRate reads an uplink rate: a size per second ("36kB/s", "2Mbit/s",
// "2Mbps", "36KB").
func parseRate(s string) (int64, error) {
	n, err := bytesize.ParseRate(s)
	if err != nil {
		return 0, err
	}
	if n <= 0 {
		return 0, fmt.Errorf("rate %q: want more than 0", s)
	}
	return n, nil
}

// providerName maps the names people use to estimate's names.
func providerName(s string) (string, error) {
	switch strings.ToLower(s) {
	case "aws-s3", "aws", "s3", "amazon":
		return "aws-s3", nil
	case "b2", "backblaze", "backblaze-b2":
		return "b2", nil
	case "r2", "cloudflare", "cloudflare-r2":
		return "r2", nil
	}
	p, err := estimate.Lookup(s)
	return p.Name, err
}

// decimalSize prints bytes with a decimal prefix ("23.4 GB"), as
// providers bill and people quote line rates.
func decimalSize(n int64) string {
	f := float64(n)
	for _, u := range []string{"B", "kB", "MB", "GB", "TB"} {
		if math.Abs(f) < 1000 || u == "TB" {
			if u == "B" {
				return fmt.Sprintf("%d B", n)
			}
			return fmt.Sprintf("%.1f %s", f, u)
		}
		f /= 1000
	}
	return fmt.Sprintf("%d B", n)
}

// uploadTime prints an upload's duration in hours, or exactly when it is
// shorter than one.
func uploadTime(d time.Duration) string {
	if d < time.Hour {
		return d.Round(time.Second).String()
	}
	return fmt.Sprintf("%.1f hours", d.Hours())
}

func dollars(v float64) string {
	if v > 0 && v < 0.01 {
		return "<$0.01"
	}
	return fmt.Sprintf("$%.2f", v)
}
