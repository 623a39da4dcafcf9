package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
)

// fileConfig is the user's config file, written by init and editable by
// hand. Flags and environment variables override it.
type fileConfig struct {
	// Vault is the default vault location.
	Vault string `json:"vault,omitempty"`
	// Endpoint is the S3 endpoint for the default vault.
	Endpoint string `json:"endpoint,omitempty"`
	// Paths are the folders the agent backs up by default.
	Paths []string `json:"paths,omitempty"`
	// Exclude lists patterns of files and folders no backup includes (see
	// excludeHelp).
	Exclude []string `json:"exclude,omitempty"`
	// Library is the iTunes/Music library XML to back up with the paths.
	Library string `json:"library,omitempty"`
	// LimitUpload and LimitDownload are rates such as "36KB" or "2Mbit",
	// or a timetable "Mon-Fri 08:00 256KiB; 18:00 2MiB; 23:00 off".
	LimitUpload   string `json:"limit_upload,omitempty"`
	LimitDownload string `json:"limit_download,omitempty"`
	// Windows tell the agent when to run, e.g. ["23:00-07:00", "idle 10m"].
	Windows []string `json:"windows,omitempty"`
	// Copies are replicas of the vault that 'tunesafe copy' without --to
	// and every completed backup of the vault bring up to date.
	Copies []copyTarget `json:"copies,omitempty"`
	// Verify says how often the agent checks the vault's integrity.
	Verify *verifyConfig `json:"verify,omitempty"`

	// notes are the top-level keys starting with "_" ("_comment"), which
	// JSON offers for remarks in place of comments: ignored, and kept
	// when the file is written again.
	notes map[string]json.RawMessage
	// vaultErr is why Vault, as written, cannot be used (a relative
	// folder); see resolveLocations.
	vaultErr error
	// written maps a location resolveLocations resolved back to its
	// spelling in the file ("~/vault"), which saveConfig keeps.
	written map[string]string
}

func xdgDir(env, fallback string) string {
	if d := os.Getenv(env); d != "" && filepath.IsAbs(d) {
		return d
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return filepath.Join(os.TempDir(), "tunesafe")
	}
	return filepath.Join(home, fallback)
}

func (a *app) configFile() string {
	if a.configPath != "" {
		return a.configPath
	}
	return filepath.Join(xdgDir("XDG_CONFIG_HOME", ".config"), "tunesafe", "config.json")
}

func (a *app) cacheFile() string {
	if a.statePath != "" {
		return a.statePath
	}
	return filepath.Join(xdgDir("XDG_STATE_HOME", filepath.Join(".local", "state")), "tunesafe", "cache.db")
}

// loadConfig reads the config file; a missing file is an empty config.
func (a *app) loadConfig() (*fileConfig, error) {
	var c fileConfig
	b, err := os.ReadFile(a.configFile())
	if errors.Is(err, fs.ErrNotExist) {
		return &c, nil
	}
	if err != nil {
		return nil, err
	}
	if err := decodeConfig(b, &c); err != nil {
		return nil, usagef("fix the file (see the README's examples), or remove it", "config file %s: %v", a.configFile(), err)
	}
	c.resolveLocations(a.configFile())
	return &c, nil
}

// resolveLocations resolves the config file's "vault" and each copy's
// "to" as configPath does "paths", so that every command, and the agent
// in whatever folder its service manager starts it in, names the same
// folders, and compares them with the locations it opens. S3 locations
// are left as they are. A location that cannot be resolved (a relative
// folder) is kept as written, with its error, for the commands that use
// it to return: a replica named wrongly then does not stop backups of the
// vault (they warn), nor a wrong "vault" the commands given --vault.
func (c *fileConfig) resolveLocations(file string) {
	resolve := func(key, loc string) (string, error) {
		if loc == "" || isS3(loc) || mistypedS3(loc) {
			return loc, nil // a mistyped S3 location is reported when opened
		}
		p, err := configPath(file, key, loc)
		if err != nil {
			return loc, err
		}
		if p != loc {
			if c.written == nil {
				c.written = map[string]string{}
			}
			c.written[p] = loc
		}
		return p, nil
	}
	c.Vault, c.vaultErr = resolve("vault", c.Vault)
	for i := range c.Copies {
		t := &c.Copies[i]
		t.To, t.err = resolve("copies", t.To)
	}
}

// isVault reports whether loc, a location as opened (--vault, relative to
// the working directory, or the config file's), is the config file's
// vault: a folder named by another spelling ("./v", "v/") is the same
// folder, and an S3 location is compared without a trailing slash.
func (c *fileConfig) isVault(loc string) bool {
	if c.Vault == "" || c.vaultErr != nil {
		return false
	}
	if isS3(loc) || isS3(c.Vault) {
		return strings.TrimSuffix(c.Vault, "/") == strings.TrimSuffix(loc, "/")
	}
	return filepath.Clean(absLocation(c.Vault)) == filepath.Clean(absLocation(loc))
}

// asWritten is loc as the config file spelled it, if resolveLocations
// resolved it.
func (c *fileConfig) asWritten(loc string) string {
	if w, ok := c.written[loc]; ok {
		return w
	}
	return loc
}

// decodeConfig parses a config file strictly: a key it does not know is
// an error, not ignored, since a misspelt "window" or "limit-upload"
// would otherwise leave the agent running all day or unthrottled.
func decodeConfig(b []byte, c *fileConfig) error {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(b, &top); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			line, col := position(b, se.Offset)
			return fmt.Errorf("line %d, column %d: %v", line, col, err)
		}
		return err
	}
	for k, v := range top {
		if strings.HasPrefix(k, "_") {
			if c.notes == nil {
				c.notes = map[string]json.RawMessage{}
			}
			c.notes[k] = v
			delete(top, k)
		}
	}
	rest, err := json.Marshal(top)
	if err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(rest))
	dec.DisallowUnknownFields()
	err = dec.Decode(c)
	if name, ok := strings.CutPrefix(fmt.Sprint(err), "json: unknown field "); ok {
		name = strings.Trim(name, `"`)
		msg := fmt.Sprintf("unknown key %q", name)
		if near := closestKey(name); near != "" {
			msg += fmt.Sprintf(" (did you mean %q?)", near)
		}
		return errors.New(msg + `; keys starting with "_" are remarks`)
	}
	return err
}

// position is the line and column of byte offset off in b, from 1.
func position(b []byte, off int64) (line, col int) {
	off = min(max(off, 0), int64(len(b)))
	before := b[:off]
	line = bytes.Count(before, []byte("\n")) + 1
	col = int(off) - (bytes.LastIndexByte(before, '\n') + 1)
	return line, max(col, 1)
}

// closestKey is the known config key nearest to name (case, '-' for '_',
// a letter or two), or "".
func closestKey(name string) string {
	best, bestD := "", 3
	for _, k := range configKeys(reflect.TypeFor[fileConfig]()) {
		d := editDistance(strings.ReplaceAll(strings.ToLower(name), "-", "_"), k)
		if d < bestD {
			best, bestD = k, d
		}
	}
	return best
}

// configKeys are the JSON keys of a config struct and of the structs
// inside it.
func configKeys(t reflect.Type) []string {
	var keys []string
	for f := range t.Fields() {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "" || name == "-" {
			continue
		}
		keys = append(keys, name)
		ft := f.Type
		for ft.Kind() == reflect.Pointer || ft.Kind() == reflect.Slice {
			ft = ft.Elem()
		}
		if ft.Kind() == reflect.Struct {
			keys = append(keys, configKeys(ft)...)
		}
	}
	return keys
}

// editDistance is the Levenshtein distance of a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}

// saveConfig writes the config file atomically.
func (a *app) saveConfig(c *fileConfig) error {
	p := a.configFile()
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		return err
	}
	// Locations go back as the user wrote them ("~/vault").
	out := *c
	out.Vault = c.asWritten(c.Vault)
	out.Copies = slices.Clone(c.Copies)
	for i := range out.Copies {
		out.Copies[i].To = c.asWritten(out.Copies[i].To)
	}
	b, err := json.MarshalIndent(&out, "", "  ")
	if err != nil {
		return err
	}
	if len(c.notes) > 0 {
		// The user's remarks go back in, with the keys in order.
		var all map[string]json.RawMessage
		if err := json.Unmarshal(b, &all); err != nil {
			return err
		}
		for k, v := range c.notes {
			all[k] = v
		}
		if b, err = json.MarshalIndent(all, "", "  "); err != nil {
			return err
		}
	}
	tmp := p + ".tmp"
	if err := os.WriteFile(tmp, append(b, '\n'), 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, p)
}

// vaultLocation resolves --vault, $TUNESAFE_VAULT, then the config file.
// A folder named by the first two is relative to the working directory,
// as typed in a shell; the config file's is absolute (resolveLocations).
func (a *app) vaultLocation() (string, error) {
	loc := a.vaultFlag
	if loc == "" {
		loc = os.Getenv("TUNESAFE_VAULT")
	}
	if loc != "" {
		// The config file's vault named again: its endpoint still applies.
		if a.endpoint == "" && isS3(loc) {
			if c, err := a.loadConfig(); err == nil && c.isVault(loc) {
				a.endpoint = c.Endpoint
			}
		}
		return loc, nil
	}
	c, err := a.loadConfig()
	if err != nil {
		return "", err
	}
	if c.vaultErr != nil {
		return "", c.vaultErr
	}
	if c.Vault != "" {
		if a.endpoint == "" {
			a.endpoint = c.Endpoint
		}
		return c.Vault, nil
	}
	return "", usagef("pass --vault s3://bucket/prefix or --vault /path/to/folder, set TUNESAFE_VAULT, or run 'tunesafe init LOCATION' once", "no vault given")
}

// sourcePaths returns the config file's "paths", with "~" and "~/..."
// expanded to the home folder. A relative path is refused: the agent runs
// in whatever folder its service manager starts it in ("/" under systemd),
// so it would name another folder there than in the user's shell.
func (c *fileConfig) sourcePaths(file string) ([]string, error) {
	var out []string
	for _, p := range c.Paths {
		abs, err := configPath(file, "paths", p)
		if err != nil {
			return nil, err
		}
		out = append(out, abs)
	}
	return out, nil
}

// libraryPath returns the config file's "library" as sourcePaths does its
// paths; "auto" and "" are returned as they are.
func (c *fileConfig) libraryPath(file string) (string, error) {
	if c.Library == "" || c.Library == "auto" {
		return c.Library, nil
	}
	return configPath(file, "library", c.Library)
}

// configPath expands "~" in p, the value of key in the config file file,
// and refuses a relative path.
func configPath(file, key, p string) (string, error) {
	hint := fmt.Sprintf(`write absolute paths in %s, such as %s`, file, pathExample(key))
	if p == "~" || strings.HasPrefix(p, "~/") || strings.HasPrefix(p, "~"+string(filepath.Separator)) {
		home, err := os.UserHomeDir()
		if err != nil {
			return "", usagef(hint, "config file %s: %q: %q: no home folder to expand ~ to", file, key, p)
		}
		return filepath.Join(home, p[1:]), nil
	}
	if !filepath.IsAbs(p) {
		return "", usagef(hint, "config file %s: %q: %q is a relative path; it must be absolute", file, key, p)
	}
	return filepath.Clean(p), nil
}

// pathExample is what a path under key looks like, for hints.
func pathExample(key string) string {
	switch key {
	case "vault", "copies":
		return `"/media/usb/tunesafe" or "~/tunesafe" (or an S3 location, "s3://bucket/prefix")`
	}
	return `"/home/me/Music" or "~/Music"`
}
