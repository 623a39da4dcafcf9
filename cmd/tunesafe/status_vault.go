package main

import (
	"context"
	"encoding/json"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/tunesafe/tunesafe/internal/agent"
	"github.com/tunesafe/tunesafe/internal/exclude"
	"github.com/tunesafe/tunesafe/internal/state"
	"github.com/tunesafe/tunesafe/internal/store/s3store"
	"github.com/tunesafe/tunesafe/internal/vault"
)

// normalVault writes a vault location the same way however it was given,
// so that 'tunesafe status' can tell whether the vault it is asked about is
// the one the agent backs up: a folder as its absolute, cleaned path
// (symlinks are not resolved: a path is what the user names), S3 without a
// trailing slash, and with the endpoint when one was given (--endpoint, or
// the config file's for its vault).
func (a *app) normalVault(loc string) string {
	if isS3(loc) {
		loc = strings.TrimRight(loc, "/")
		if a.endpoint != "" {
			loc += " at " + strings.TrimRight(a.endpoint, "/")
		}
		return loc
	}
	if abs, err := filepath.Abs(loc); err == nil {
		return abs
	}
	return filepath.Clean(loc)
}

// stateKeyAt returns the key of this computer's state for the vault at loc
// (stateKey), found without asking the vault's storage: the state folders
// kept for the location are named by it. A vault made again at the same
// location has a folder of its own: the one whose copy of tunesafe.json
// was written last is taken. "" when this computer has used no vault at
// loc, or cannot tell.
func (a *app) stateKeyAt(ctx context.Context, loc string) string {
	canonical, ok := a.canonicalAt(ctx, loc)
	if !ok {
		return ""
	}
	dirs, _ := filepath.Glob(a.vaultStateDir("*@" + locationDigest(canonical)))
	var key string
	var written time.Time
	for _, d := range dirs {
		k := filepath.Base(d)
		fi, err := os.Stat(a.configCopyFile(k))
		if err == nil && (key == "" || fi.ModTime().After(written)) {
			key, written = k, fi.ModTime()
		}
	}
	return key
}

// canonicalAt is canonicalLocation of the store at loc, told without
// contacting the store: a folder's absolute path (as folder.New makes its
// root), S3's bucket, prefix and endpoint from a store that has not been
// used.
func (a *app) canonicalAt(ctx context.Context, loc string) (string, bool) {
	if !isS3(loc) {
		abs, err := filepath.Abs(loc)
		return filepath.Clean(abs), err == nil
	}
	u, err := url.Parse(loc)
	if err != nil {
		return "", false
	}
	cfg, err := s3store.ConfigFromEnv(u, a.endpoint)
	if err != nil {
		return "", false
	}
	s, err := s3store.New(ctx, cfg)
	if err != nil {
		return "", false
	}
	return canonicalLocation(s), true
}

// newestIn returns the newest snapshot of host, checkpoint or not, among
// the copies cache keeps (vault.Copies), and the time of the newest
// complete one: the snapshots this computer wrote, by the agent or by
// hand, and those it read. Nil and zero if none.
func newestIn(ctx context.Context, c *state.Cache, host string) (newest *agent.Snapshot, complete time.Time, err error) {
	keys, err := c.CopyKeys(ctx, vault.SnapshotsPrefix)
	if err != nil {
		return nil, time.Time{}, err
	}
	for _, k := range keys {
		id, err := vault.ParseID(strings.TrimPrefix(k, vault.SnapshotsPrefix))
		if err != nil {
			continue
		}
		plain, ok, err := c.Copy(ctx, k)
		if err != nil {
			return nil, time.Time{}, err
		}
		var s vault.Snapshot
		if !ok || json.Unmarshal(plain, &s) != nil || s.Host != host {
			continue
		}
		if newest == nil || s.Time.After(newest.Time) {
			n := snapshotInfo(id, &s)
			newest = &n
		}
		if !s.Partial && s.Time.After(complete) {
			complete = s.Time
		}
	}
	return newest, complete, nil
}

// newestOfHost returns the newest snapshot of host in all (oldest first),
// checkpoint or not, and the newest complete one; nil when there is none.
// otherHost is the newest snapshot of a computer other than this one.
type otherHost struct {
	Host  string    `json:"host"`
	ID    string    `json:"id"`
	Time  time.Time `json:"time"`
	Files int64     `json:"files"`
	Bytes int64     `json:"bytes"`
}

// otherHosts returns the newest snapshot of each host but host in all
// (oldest first, as ReadableSnapshots gives them), newest first.
func otherHosts(all []vault.SnapshotRef, host string) []otherHost {
	var out []otherHost
	seen := map[string]bool{host: true}
	for i := len(all) - 1; i >= 0; i-- {
		s := all[i]
		if seen[s.Host] {
			continue
		}
		seen[s.Host] = true
		out = append(out, otherHost{Host: s.Host, ID: s.ID.String(), Time: s.Time, Files: s.Stats.Files, Bytes: s.Stats.Bytes})
	}
	return out
}

func newestOfHost(all []vault.SnapshotRef, host string) (newest, complete *vault.SnapshotRef) {
	for i := len(all) - 1; i >= 0 && complete == nil; i-- {
		if all[i].Host != host {
			continue
		}
		if newest == nil {
			newest = &all[i]
		}
		if !all[i].Partial {
			complete = &all[i]
		}
	}
	return newest, complete
}

// unstored counts the files under paths that cache does not record as
// stored as they are now (the same size and modification time, and not
// lost by the vault), walking them as the backups do (estimate.Scan): no
// symbolic link followed, special files and what cannot be read left out,
// and what excluded matches. It is at most what a backup of paths has left
// to store. A file that a pass stopped in the middle of counts whole: the
// cache records a file once all its pieces are stored, and which pieces it
// is made of is known only by reading it again.
func unstored(ctx context.Context, c *state.Cache, paths []string, excluded *exclude.Set) (agent.Remaining, error) {
	var rem agent.Remaining
	var dir string
	var cached map[string]state.FileEntry
	for _, p := range paths {
		root, err := filepath.Abs(p)
		if err != nil {
			return rem, err
		}
		err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if cerr := ctx.Err(); cerr != nil {
				return cerr
			}
			if err != nil {
				if d != nil && d.IsDir() && path != root {
					return fs.SkipDir
				}
				return nil
			}
			if !d.IsDir() && !d.Type().IsRegular() {
				return nil
			}
			fi, err := d.Info()
			if err != nil {
				return nil // gone since the directory was listed
			}
			if _, ok := excluded.Match(path, fi); ok && path != root {
				if d.IsDir() {
					return fs.SkipDir
				}
				return nil
			}
			if d.IsDir() {
				return nil
			}
			if parent := filepath.Dir(path); parent != dir || cached == nil {
				if cached, err = c.Dir(ctx, parent); err != nil {
					return err
				}
				dir = parent
			}
			if e, ok := cached[d.Name()]; ok && !e.Lost && e.Size == fi.Size() && e.MTime == fi.ModTime().UnixNano() {
				return nil
			}
			rem.Files++
			rem.Bytes += fi.Size()
			return nil
		})
		if err != nil {
			return rem, err
		}
	}
	return rem, nil
}
