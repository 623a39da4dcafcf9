package main

import (
	"context"
	"os"
	"strings"
)

// deleteReason marks ctx with why the deletes made under it happen, for
// the tamper-evident log.
func (a *app) deleteReason(ctx context.Context, reason string) context.Context {
	return withDeleteReason(ctx, reason, strings.Join(os.Args, " "))
}
