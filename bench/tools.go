package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"

	"github.com/tunesafe/tunesafe/internal/testenv"
)

// tool is one backup program under test, driven through its command line
// exactly as a user would, with its defaults except where noted.
type tool interface {
	// ID names the tool in -tools, in logs and in the JSON.
	ID() string
	// Title heads the tool's column in the table.
	Title() string
	// Version is what the program says its version is.
	Version(ctx context.Context) string
	// Setup makes an empty repository in rp's bucket (not measured).
	Setup(ctx context.Context, r *runner, rp *repo) error
	// Backup backs up the folder src (absolute) into rp.
	Backup(rp *repo, src string) job
	// Restore restores rp's latest backup into the empty folder dst.
	Restore(rp *repo, dst string) job
	// Restored returns where, under dst, Restore puts the copy of src.
	Restored(dst, src string) string
	// Check runs the tool's routine check of rp, the one that downloads
	// no stored content (src is what rp backs up, for tools that compare
	// with it).
	Check(rp *repo, src string) job
}

// control is a tool that is a control measurement rather than a backup
// program under test. It runs only the workloads TakesPart names (the
// table shows "n/a (control)" for the others), it backs up what Prepare
// made of the source instead of the source, and so it checks its restores
// itself.
type control interface {
	tool
	// TakesPart reports whether the tool runs the workload rowID.
	TakesPart(rowID string) bool
	// Prepare makes in dst, which must not exist, what Backup is given in
	// place of src; it is not measured. The note is for the cell.
	Prepare(src, dst string) (note string, err error)
	// Verify compares what Restore put in the folder restored with the
	// source as Prepare read it, every file by size and SHA-256.
	Verify(restored string) (note string, err error)
}

// takesPart reports whether t runs the workload rowID: every tool does,
// but a control only where it says.
func takesPart(t tool, rowID string) bool {
	c, ok := t.(control)
	return !ok || c.TakesPart(rowID)
}

// repo is one repository of one tool: a bucket on the S3 server, reached
// through the relay, and a home folder that stands for the user's computer
// (the tool's configuration and caches live there and nowhere else).
type repo struct {
	name     string // what the repository is for: "music", "kill", "many"
	bucket   string
	endpoint string // the relay, "http://127.0.0.1:port"
	home     string
	srv      *s3Server
}

// homeEnv is the environment every tool gets: a private home and XDG
// folders, the S3 credentials, nothing of the user's own configuration.
func (rp *repo) homeEnv(extra ...string) []string {
	return childEnv(append([]string{
		"HOME=" + rp.home,
		"XDG_CONFIG_HOME=" + filepath.Join(rp.home, ".config"),
		"XDG_CACHE_HOME=" + filepath.Join(rp.home, ".cache"),
		"XDG_STATE_HOME=" + filepath.Join(rp.home, ".local", "state"),
		"AWS_ACCESS_KEY_ID=" + rp.srv.AccessKey,
		"AWS_SECRET_ACCESS_KEY=" + rp.srv.SecretKey,
		"AWS_REGION=" + region,
	}, extra...)...)
}

var allToolIDs = []string{"tunesafe", "tunesafe-plain", "restic", "rclone", "rclone-1mib"}

func validToolID(id string) bool { return slices.Contains(allToolIDs, id) }

// benchPassphrase is the passphrase of every encrypted repository.
const benchPassphrase = "correct horse battery staple"

// newTools returns the tools -tools names, in table order. A missing peer
// program is installed with apt-get when o.install is set (never with
// -short, which must not need the network). Otherwise -short leaves it out
// with a warning, except in CI (TUNESAFE_CI=1), where that is an error so
// that the comparison cannot vanish silently; a full run always fails.
func newTools(ctx context.Context, o options, tunesafeBin string) ([]tool, error) {
	var tools []tool
	for _, id := range allToolIDs {
		if !slices.Contains(o.tools, id) {
			continue
		}
		switch id {
		case "tunesafe", "tunesafe-plain":
			t := &tunesafeTool{bin: tunesafeBin, encrypted: id == "tunesafe"}
			if o.short {
				t.kdfWork = 10 // a KDF of ~1 ms instead of ~1 s per command
			}
			tools = append(tools, t)
		case "restic", "rclone", "rclone-1mib":
			program, _, _ := strings.Cut(id, "-") // rclone-1mib is rclone too
			bin, err := findOrInstall(ctx, program, o.install)
			if err != nil {
				if o.short && !testenv.Strict() {
					logf("WARNING: leaving %s out: %v", id, err)
					continue
				}
				return nil, err
			}
			switch id {
			case "restic":
				tools = append(tools, &resticTool{bin: bin})
			case "rclone":
				tools = append(tools, &rcloneTool{bin: bin})
			case "rclone-1mib":
				tools = append(tools, &rclonePiecesTool{rcloneTool: &rcloneTool{bin: bin}})
			}
		}
	}
	return tools, nil
}

// findOrInstall finds a program named like its Debian package, installing
// the package when allowed.
func findOrInstall(ctx context.Context, name string, install bool) (string, error) {
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	if !install {
		return "", fmt.Errorf("%s is not installed (apt-get install %s, or leave it out with -tools)", name, name)
	}
	logf("installing %s with apt-get", name)
	cmd := exec.CommandContext(ctx, "apt-get", "install", "-y", "-qq", "--no-install-recommends", name)
	cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("apt-get install %s: %w\n%s", name, err, out)
	}
	return exec.LookPath(name)
}

// versionOf returns the first line a program prints for args.
func versionOf(ctx context.Context, bin string, args ...string) string {
	out, err := exec.CommandContext(ctx, bin, args...).Output()
	if err != nil {
		return "unknown version"
	}
	line, _, _ := strings.Cut(strings.TrimSpace(string(out)), "\n")
	return line
}
