package s3store_test

import (
	"encoding/base64"
	"strings"
)

func hostOf(endpoint string) string {
	return strings.TrimPrefix(strings.TrimPrefix(endpoint, "http://"), "https://")
}

func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }
