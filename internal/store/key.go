package store

import (
	"context"
	"fmt"
	"strings"
)

// ValidKey reports whether key is acceptable to every store: non-empty,
// relative, slash-separated, with no empty, "." or ".." segment and only
// printable ASCII other than backslash.
func ValidKey(key string) bool {
	if key == "" || len(key) > 1024 {
		return false
	}
	for i := 0; i < len(key); i++ {
		c := key[i]
		if c < 0x21 || c > 0x7e || c == '\\' {
			return false
		}
	}
	for _, seg := range strings.Split(key, "/") {
		if seg == "" || seg == "." || seg == ".." {
			return false
		}
	}
	return true
}

// CheckKey rejects an invalid key (permanently) and a done context, the two
// failures every store method checks before touching anything.
func CheckKey(ctx context.Context, key string) error {
	if !ValidKey(key) {
		return Permanent(KindInvalid, fmt.Errorf("invalid key %q", key))
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("%s: %w", key, err)
	}
	return nil
}
