//go:build !(aix || darwin || dragonfly || freebsd || linux || netbsd || openbsd || solaris)

package restore

import "github.com/tunesafe/tunesafe/internal/vault"

// lchtimesSupported reports whether symlinks get their own mtime.
const lchtimesSupported = false

// lchtimes leaves a symlink's times alone where the system cannot set them.
func (tg *target) lchtimes(string, *vault.Node) error { return nil }
