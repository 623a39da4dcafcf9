package main

import (
	"net"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tunesafe/tunesafe/internal/s3test"
)

// TestS3Errors: a missing bucket, wrong or missing credentials and an
// unreachable endpoint each give one error line, a hint and their own exit
// code, against a real S3 server.
func TestS3Errors(t *testing.T) {
	srv := s3test.Servers(t)[0]
	cfg := srv.NewBucket(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + ln.Addr().String()
	ln.Close()
	dir := t.TempDir()
	base := map[string]string{
		"XDG_CONFIG_HOME": filepath.Join(dir, "cfg"), "XDG_STATE_HOME": filepath.Join(dir, "state"),
		"AWS_ACCESS_KEY_ID": srv.AccessKey, "AWS_SECRET_ACCESS_KEY": srv.SecretKey, "AWS_ENDPOINT_URL_S3": srv.Endpoint,
		"AWS_REGION": "us-east-1", "AWS_PROFILE": "", "AWS_CA_BUNDLE": "", "TUNESAFE_PASSPHRASE": "x", "TUNESAFE_VAULT": "",
		"AWS_SHARED_CREDENTIALS_FILE": filepath.Join(dir, "no-credentials"), "AWS_CONFIG_FILE": filepath.Join(dir, "no-config"),
	}
	cases := []struct {
		name string
		env  map[string]string
		loc  string
		code int
		want string
	}{
		{"no vault yet", nil, "s3://" + cfg.Bucket + "/none", exitNoVault, "no vault"},
		{"missing bucket", nil, "s3://no-such-bucket-here/v", exitNoBucket, "create the bucket"},
		{"wrong secret", map[string]string{"AWS_SECRET_ACCESS_KEY": "wrong"}, "s3://" + cfg.Bucket + "/v", exitCredentials, "AWS_ACCESS_KEY_ID"},
		{"no credentials", map[string]string{"AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": ""}, "s3://" + cfg.Bucket + "/v", exitCredentials, "AWS_PROFILE"},
		{"unreachable", map[string]string{"AWS_ENDPOINT_URL_S3": closed}, "s3://" + cfg.Bucket + "/v", exitUnreachable, "check the network"},
	}
	// The first request to the storage is retried a little (up to 10s, or
	// --retry-for when shorter), each retry told on a warning line.
	retryFor := map[string]string{"unreachable": "2s"}
	for _, c := range cases {
		env := map[string]string{}
		for k, v := range base {
			env[k] = v
		}
		for k, v := range c.env {
			env[k] = v
		}
		args := []string{"snapshots", "--vault", c.loc}
		if d := retryFor[c.name]; d != "" {
			args = append(args, "--retry-for", d)
		}
		code, _, stderr := tunesafe(t, env, args...)
		lines := strings.Split(strings.TrimSpace(stderr), "\n")
		retries := 0
		for len(lines) > 2 && strings.HasPrefix(lines[0], "tunesafe: warning: retrying check bucket ") {
			lines, retries = lines[1:], retries+1
		}
		if (retries > 0) != (retryFor[c.name] != "") {
			t.Errorf("%s: %d retries\n%s", c.name, retries, stderr)
		}
		if code != c.code || len(lines) != 2 || !strings.HasPrefix(lines[0], "tunesafe: error: ") || !strings.HasPrefix(lines[1], "tunesafe: hint: ") || !strings.Contains(stderr, c.want) {
			t.Errorf("%s: exit %d (want %d)\n%s", c.name, code, c.code, stderr)
		}
	}
}
