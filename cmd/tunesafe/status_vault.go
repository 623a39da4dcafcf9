package main

import (
	"path/filepath"
	"strings"
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
