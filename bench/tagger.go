package main

import (
	"bytes"
	"context"
	_ "embed"
	"errors"
	"fmt"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
)

// Tags are edited by an independent tagger, mutagen (Debian's
// python3-mutagen), run by small scripts kept beside this file, so that the
// benchmark edits files the way real taggers do rather than the way Tunesafe
// expects.

var (
	//go:embed scripts/embed_cover.py
	embedCoverPy string
	//go:embed scripts/retag.py
	retagPy string
)

// findPython returns a python3 that can import mutagen: Debian's
// /usr/bin/python3 first, where python3-mutagen installs it.
func findPython() (string, error) {
	candidates := []string{"/usr/bin/python3"}
	if p, err := exec.LookPath("python3"); err == nil {
		candidates = append(candidates, p)
	}
	for _, py := range candidates {
		if exec.Command(py, "-c", "import mutagen").Run() == nil {
			return py, nil
		}
	}
	return "", errors.New("no python3 with mutagen (apt-get install python3-mutagen)")
}

// runPython runs script with lines on standard input and returns its
// standard output.
func runPython(ctx context.Context, py, script string, lines []string) (string, error) {
	cmd := exec.CommandContext(ctx, py, "-c", script)
	cmd.Stdin = strings.NewReader(strings.Join(lines, "\n") + "\n")
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("%w\n%s", err, errb.String())
	}
	return out.String(), nil
}

// embedCovers embeds each track's album cover, if it has one.
func embedCovers(ctx context.Context, py, entry string, tracks []track) error {
	var lines []string
	for _, t := range tracks {
		if t.Cover != "" {
			lines = append(lines, filepath.Join(entry, "lib", filepath.FromSlash(t.Path))+"\t"+filepath.Join(entry, filepath.FromSlash(t.Cover)))
		}
	}
	if len(lines) == 0 {
		return nil
	}
	if _, err := runPython(ctx, py, embedCoverPy, lines); err != nil {
		return fmt.Errorf("embed covers: %w", err)
	}
	return nil
}

// retag rewrites the tags of files (absolute paths) with mutagen.
func retag(ctx context.Context, py string, files []string) error {
	out, err := runPython(ctx, py, retagPy, files)
	if err != nil {
		return fmt.Errorf("retag: %w", err)
	}
	if n, err := strconv.Atoi(strings.TrimSpace(out)); err != nil || n != len(files) {
		return fmt.Errorf("retag: changed %q files, want %d", strings.TrimSpace(out), len(files))
	}
	return nil
}
