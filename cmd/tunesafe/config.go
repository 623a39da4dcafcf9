package main

import (
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
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
	if err := json.Unmarshal(b, &c); err != nil {
		return nil, usagef("fix or remove the file", "config file %s: %v", a.configFile(), err)
	}
	return &c, nil
}

// saveConfig writes the config file atomically.
func (a *app) saveConfig(c *fileConfig) error {
	p := a.configFile()
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		return err
	}
	b, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return err
	}
	tmp := p + ".tmp"
	if err := os.WriteFile(tmp, append(b, '\n'), 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, p)
}

// vaultLocation resolves --vault, $TUNESAFE_VAULT, then the config file.
func (a *app) vaultLocation() (string, error) {
	loc := a.vaultFlag
	if loc == "" {
		loc = os.Getenv("TUNESAFE_VAULT")
	}
	if loc != "" {
		// The config file's vault named again: its endpoint still applies.
		if a.endpoint == "" && isS3(loc) {
			if c, err := a.loadConfig(); err == nil && strings.TrimSuffix(c.Vault, "/") == strings.TrimSuffix(loc, "/") {
				a.endpoint = c.Endpoint
			}
		}
		return loc, nil
	}
	c, err := a.loadConfig()
	if err != nil {
		return "", err
	}
	if c.Vault != "" {
		if a.endpoint == "" {
			a.endpoint = c.Endpoint
		}
		return c.Vault, nil
	}
	return "", usagef("pass --vault s3://bucket/prefix or --vault /path/to/folder, set TUNESAFE_VAULT, or run 'tunesafe init LOCATION' once", "no vault given")
}
