// Command bench compares Tunesafe with restic and rclone on the same music
// library, the same loopback S3 server and the same workloads, in one run:
//
//	go run ./bench                  # about 2 GB of music plus 100,000 small files
//	go run ./bench -short           # a few MB: checks that the benchmark works (CI)
//	go run ./bench -json out.json   # also write the results as JSON
//
// It generates a library of real, tagged audio files with ffmpeg (cached
// between runs), starts an S3 server on 127.0.0.1 behind a counting relay
// (package faultrelay) so that bytes on the wire are measured the same way
// for every tool, runs each tool on each workload, checks every restore
// byte for byte, and prints one Markdown table. docs/BENCHMARKS.md explains
// what is measured and holds the latest full results.
//
// The exit code is 0 only if every step of every tool succeeded and every
// restore matched the source.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"time"

	"github.com/tunesafe/tunesafe/internal/bytesize"
)

// options are the command line, parsed.
type options struct {
	short       bool
	size        int64  // bytes of music to generate
	count       int    // small files for the count workloads
	library     string // an existing library to use instead of generating one
	cacheDir    string // where generated libraries are kept between runs
	workDir     string // scratch space; "" means a new temporary folder
	keep        bool   // keep workDir afterwards
	jsonFile    string
	server      string // "minio" or "versitygw"
	tools       []string
	tunesafe    string // a prebuilt tunesafe binary; "" builds ./cmd/tunesafe
	jobs        int    // parallel encoders
	install     bool   // apt-get install missing peers
	stepTimeout time.Duration
	latency     time.Duration // added by the relay each way
	repeat      int           // runs of the timed workloads (repeat.go)
}

func main() {
	if isGatewayChild() {
		os.Exit(runGatewayChild())
	}
	o, err := parseFlags(os.Args[1:])
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(0)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "bench: error: %v\n", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, o); err != nil {
		fmt.Fprintf(os.Stderr, "bench: error: %v\n", err)
		os.Exit(1)
	}
}

func parseFlags(args []string) (options, error) {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	var o options
	var size, tools string
	fs.BoolVar(&o.short, "short", false, "a 4 MB library and 300 small files (overrides -size and -count): a run well under a minute, for CI")
	fs.StringVar(&size, "size", "2GB", "size of the generated music library")
	fs.IntVar(&o.count, "count", 100_000, "number of small files for the scan workloads")
	fs.StringVar(&o.library, "library", "", "use this music folder instead of generating one (it is copied, never modified)")
	fs.StringVar(&o.cacheDir, "cache", "", "folder for generated libraries (default $XDG_CACHE_HOME/tunesafe-bench)")
	fs.StringVar(&o.workDir, "work", "", "scratch folder for copies, servers and restores (default: a new temporary folder)")
	fs.BoolVar(&o.keep, "keep", false, "keep the scratch folder (logs of every command are in its logs/)")
	fs.StringVar(&o.jsonFile, "json", "", "also write the results as JSON to this file")
	fs.StringVar(&o.server, "server", "minio", "loopback S3 server: minio (built by .ci/minio.sh) or versitygw (embedded)")
	fs.StringVar(&tools, "tools", strings.Join(allToolIDs, ","), "tools to run, comma-separated")
	fs.StringVar(&o.tunesafe, "tunesafe", "", "tunesafe binary to measure (default: build ./cmd/tunesafe)")
	fs.IntVar(&o.jobs, "jobs", runtime.NumCPU(), "parallel ffmpeg encoders when generating")
	fs.BoolVar(&o.install, "install", true, "install missing restic/rclone with apt-get (never with -short)")
	fs.DurationVar(&o.stepTimeout, "step-timeout", 20*time.Minute, "give up on one command after this long")
	fs.DurationVar(&o.latency, "latency", 0, "delay every byte this long each way, like a provider far away (e.g. 20ms)")
	fs.IntVar(&o.repeat, "repeat", 1, "run the initial backup and the restore this many times per tool, alternating tools, and report the median")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	var err error
	if o.size, err = bytesize.Parse(size); err != nil {
		return o, fmt.Errorf("-size: %w", err)
	}
	if o.short {
		o.size, o.count, o.install = 4_000_000, 300, false
		if o.stepTimeout > 2*time.Minute {
			o.stepTimeout = 2 * time.Minute
		}
	}
	if o.repeat < 1 {
		return o, errors.New("-repeat must be at least 1")
	}
	if o.count < 1 {
		return o, errors.New("-count must be at least 1")
	}
	if o.server != "minio" && o.server != "versitygw" {
		return o, fmt.Errorf("-server %q: want minio or versitygw", o.server)
	}
	for _, id := range strings.Split(tools, ",") {
		id = strings.TrimSpace(id)
		if id == "" {
			continue
		}
		if !validToolID(id) {
			return o, fmt.Errorf("-tools: unknown tool %q (have %s)", id, strings.Join(allToolIDs, ", "))
		}
		o.tools = append(o.tools, id)
	}
	if len(o.tools) == 0 {
		return o, errors.New("-tools: no tool selected")
	}
	if o.cacheDir == "" {
		dir, err := os.UserCacheDir()
		if err != nil {
			return o, fmt.Errorf("no cache folder: %w (use -cache)", err)
		}
		o.cacheDir = filepath.Join(dir, "tunesafe-bench")
	}
	return o, nil
}

// logf reports progress on stderr; stdout carries only the results table.
func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "bench: "+format+"\n", args...)
}
