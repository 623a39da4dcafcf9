// Package docs holds the documents that travel with the program; FORMAT.md,
// the vault format specification, is copied into every vault at init.
package docs

import _ "embed"

// Format is docs/FORMAT.md.
//
//go:embed FORMAT.md
var Format []byte
