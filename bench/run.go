package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/tunesafe/tunesafe/internal/bytesize"
	"github.com/tunesafe/tunesafe/internal/faultrelay"
)

// run prepares the data, the server and the tools, runs every workload,
// and prints the table. It returns an error if anything failed, after
// printing what it could.
func run(ctx context.Context, o options) (err error) {
	rep := &report{Started: time.Now(), Short: o.short, Server: o.server, LatencyMS: o.latency.Milliseconds(), Machine: describeMachine()}
	work := o.workDir
	if work == "" {
		if work, err = os.MkdirTemp("", "tunesafe-bench-"); err != nil {
			return err
		}
	} else if err := os.MkdirAll(work, 0o755); err != nil {
		return err
	}
	if work, err = filepath.Abs(work); err != nil {
		return err
	}
	logDir := filepath.Join(work, "logs")
	if err := os.MkdirAll(logDir, 0o755); err != nil {
		return err
	}
	defer func() {
		if o.keep {
			logf("kept %s", work)
			return
		}
		if err != nil {
			// Keep the logs of a failed run, drop the bulk.
			cleanExcept(work, "logs")
			logf("logs of every command are in %s", logDir)
			return
		}
		os.RemoveAll(work)
	}()

	py, err := findPython()
	if err != nil {
		return err
	}
	root, err := moduleRoot(ctx)
	if err != nil {
		return err
	}
	tunesafeBin := o.tunesafe
	if tunesafeBin == "" {
		rep.Commit = gitDescribe(ctx, root)
		tunesafeBin = filepath.Join(work, "bin", "tunesafe")
		logf("building ./cmd/tunesafe")
		cmd := exec.CommandContext(ctx, "go", "build", "-o", tunesafeBin, "./cmd/tunesafe")
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("go build ./cmd/tunesafe: %w\n%s", err, out)
		}
	}
	tools, err := newTools(ctx, o, tunesafeBin)
	if err != nil {
		return err
	}
	for _, t := range tools {
		rep.Tools = append(rep.Tools, toolInfo{ID: t.ID(), Title: t.Title(), Version: t.Version(ctx)})
	}

	// The data: a working copy of the music (the retag workload edits it)
	// and the small files (only read, so used where they are cached).
	b := &benchmark{o: o, tools: tools, py: py, work: work, rep: rep}
	libSrc := o.library
	var m *manifest
	if libSrc == "" {
		if libSrc, m, err = generatedMusic(ctx, o, py); err != nil {
			return fmt.Errorf("generate the library: %w", err)
		}
		rep.Library.Source = "generated: " + formatMix(m)
	} else {
		rep.Library.Source = libSrc
	}
	b.music = filepath.Join(work, "src", "library")
	logf("copying the library to %s", b.music)
	if rep.Library.Files, rep.Library.Bytes, err = copyTree(libSrc, b.music); err != nil {
		return fmt.Errorf("copy the library: %w", err)
	}
	if rep.Library.Files == 0 {
		return fmt.Errorf("no files in the library %s", libSrc)
	}
	if b.retag, err = retagSelection(b.music, m); err != nil {
		return err
	}
	if b.many, rep.Many.Bytes, err = generatedMany(o.cacheDir, o.count); err != nil {
		return fmt.Errorf("generate small files: %w", err)
	}
	rep.Many.Files, rep.Many.Source = o.count, "generated"

	logf("starting %s", o.server)
	srv, err := startServer(ctx, o.server, root, work)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := srv.Close(); cerr != nil {
			logf("stopping %s: %v", srv.Name, cerr)
		}
	}()
	relay, err := faultrelay.Start(srv.Addr)
	if err != nil {
		return err
	}
	defer relay.Close()
	relay.SetLatency(o.latency)
	b.srv, b.relay = srv, relay
	b.runner = &runner{relay: relay, logDir: logDir, timeout: o.stepTimeout}

	b.runAll(ctx)

	rep.Machine.LoadEnd = loadAverage()
	rep.Seconds = time.Since(rep.Started).Seconds()
	rep.computeRatios()
	rep.writeMarkdown(os.Stdout)
	if o.jsonFile != "" {
		if err := rep.writeJSON(o.jsonFile); err != nil {
			return fmt.Errorf("write %s: %w", o.jsonFile, err)
		}
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if len(rep.Failures) > 0 {
		return fmt.Errorf("%d failure(s), listed above", len(rep.Failures))
	}
	return nil
}

// moduleRoot returns the Tunesafe module's folder, where ./cmd/tunesafe
// and .ci/minio.sh are.
func moduleRoot(ctx context.Context) (string, error) {
	out, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return "", errors.New("run the benchmark inside the Tunesafe module (go run ./bench)")
	}
	return filepath.Dir(gomod), nil
}

// gitDescribe names the commit of the tree in root, "+dirty" when it has
// uncommitted changes; "" if git cannot tell.
func gitDescribe(ctx context.Context, root string) string {
	out, err := exec.CommandContext(ctx, "git", "-C", root, "describe", "--always", "--dirty=+dirty").Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}

// retagSelection returns the files the retag workload edits: the tracks
// the generator marked (every tenth, by a "Last, First" composer), or for
// a -library folder every tenth audio file in path order.
func retagSelection(root string, m *manifest) ([]string, error) {
	var files []string
	if m != nil {
		for _, t := range m.Tracks {
			if t.Retag {
				files = append(files, filepath.Join(root, filepath.FromSlash(t.Path)))
			}
		}
		return files, nil
	}
	audio := map[string]bool{".mp3": true, ".m4a": true, ".flac": true, ".ogg": true, ".opus": true, ".oga": true}
	i := 0
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() || !audio[strings.ToLower(filepath.Ext(path))] {
			return err
		}
		if i%10 == 9 {
			files = append(files, path)
		}
		i++
		return nil
	})
	if err == nil && len(files) == 0 {
		err = fmt.Errorf("no audio files to retag in %s", root)
	}
	return files, err
}

// formatMix describes a generated library's formats.
func formatMix(m *manifest) string {
	count, covers := map[string]int{}, 0
	for _, t := range m.Tracks {
		count[t.Format]++
		if t.Cover != "" {
			covers++
		}
	}
	var parts []string
	for _, f := range musicFormats {
		parts = append(parts, fmt.Sprintf("%d %s", count[f.Name], strings.ToUpper(f.Name)))
	}
	return fmt.Sprintf("%s; %d with an embedded album cover; target %s", strings.Join(parts, ", "), covers, bytesize.Format(m.Size))
}

// cleanExcept removes everything in dir but the entry keep.
func cleanExcept(dir, keep string) {
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if e.Name() != keep {
			os.RemoveAll(filepath.Join(dir, e.Name()))
		}
	}
}
