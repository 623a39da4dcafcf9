//go:build !linux

package testenv

import "testing"

// AsUnprivileged runs the test as it is: only Linux tests switch users.
func AsUnprivileged(t *testing.T) bool { return false }

// Unprivileged reports whether this is a child AsUnprivileged started:
// never, here.
func Unprivileged() bool { return false }
