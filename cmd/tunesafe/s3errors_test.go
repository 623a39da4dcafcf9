package main

import (
	"errors"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
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
	credFile := filepath.Join(dir, "credentials")
	if err := os.WriteFile(credFile, []byte("[nas]\naws_access_key_id = NASKEY\naws_secret_access_key = nas-secret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
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
		{"wrong secret", map[string]string{"AWS_SECRET_ACCESS_KEY": "wrong"}, "s3://" + cfg.Bucket + "/v", exitCredentials, "hint: the key is AWS_ACCESS_KEY_ID=" + srv.AccessKey + " with AWS_SECRET_ACCESS_KEY, from the environment"},
		{"wrong secret, profile set", map[string]string{"AWS_SECRET_ACCESS_KEY": "wrong", "AWS_PROFILE": "nas"}, "s3://" + cfg.Bucket + "/v", exitCredentials, "they come before AWS_PROFILE=nas: unset them"},
		{"no credentials", map[string]string{"AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": ""}, "s3://" + cfg.Bucket + "/v", exitCredentials, "AWS_ACCESS_KEY_ID"},
		// The credentials file has one profile, [nas]: the hints name it.
		{"no credentials, a profile in the file", map[string]string{"AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": "", "AWS_SHARED_CREDENTIALS_FILE": credFile},
			"s3://" + cfg.Bucket + "/v", exitCredentials, "to use profile nas, set AWS_PROFILE=nas"},
		{"no such profile", map[string]string{"AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": "", "AWS_SHARED_CREDENTIALS_FILE": credFile, "AWS_PROFILE": "nsa"},
			"s3://" + cfg.Bucket + "/v", exitCredentials, "AWS_PROFILE=nsa names no profile in ~/.aws/credentials or ~/.aws/config (profiles found: nas)"},
		{"unreachable", map[string]string{"AWS_ENDPOINT_URL_S3": closed}, "s3://" + cfg.Bucket + "/v", exitUnreachable, "cannot connect to " + strings.TrimPrefix(closed, "http://") + ": connection refused"},
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

// TestS3ErrorAnswers: answers of AWS S3 that the test servers cannot be
// made to give (they accept any region, and their clocks are this
// computer's), each with the error AWS documents, from a server that
// gives nothing else: a wrong region names the bucket's, a clock off by
// more than 15 minutes says so; both exit 2, touching nothing.
func TestS3ErrorAnswers(t *testing.T) {
	for _, c := range []struct {
		name, body, want string
		status           int
	}{
		{"wrong region", `<Error><Code>AuthorizationHeaderMalformed</Code><Message>The authorization header is malformed; the region 'us-east-1' is wrong; expecting 'eu-central-1'</Message><Region>eu-central-1</Region><RequestId>1</RequestId></Error>`,
			"tunesafe: hint: set AWS_REGION=eu-central-1", http.StatusBadRequest},
		{"clock", `<Error><Code>RequestTimeTooSkewed</Code><Message>The difference between the request time and the current time is too large.</Message><RequestId>1</RequestId></Error>`,
			"tunesafe: hint: set this computer's clock right", http.StatusForbidden},
	} {
		t.Run(c.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/xml")
				w.WriteHeader(c.status)
				io.WriteString(w, `<?xml version="1.0" encoding="UTF-8"?>`+"\n"+c.body)
			}))
			defer srv.Close()
			dir := t.TempDir()
			env := map[string]string{
				"XDG_CONFIG_HOME": filepath.Join(dir, "cfg"), "XDG_STATE_HOME": filepath.Join(dir, "state"),
				"AWS_ACCESS_KEY_ID": "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY": "secret", "AWS_ENDPOINT_URL_S3": srv.URL,
				"AWS_REGION": "us-east-1", "AWS_PROFILE": "", "AWS_CA_BUNDLE": "", "TUNESAFE_PASSPHRASE": "x", "TUNESAFE_VAULT": "",
				"AWS_SHARED_CREDENTIALS_FILE": filepath.Join(dir, "no-credentials"), "AWS_CONFIG_FILE": filepath.Join(dir, "no-config"),
			}
			for _, args := range [][]string{{"snapshots", "--vault", "s3://music/v"}, {"init", "s3://music/v", "--no-encrypt", "--no-default"}} {
				code, _, stderr := tunesafe(t, env, args...)
				lines := strings.Split(strings.TrimSpace(stderr), "\n")
				if code != exitUsage || len(lines) != 2 || !strings.HasPrefix(lines[0], "tunesafe: error: ") || !strings.HasPrefix(lines[1], c.want) {
					t.Errorf("%v: exit %d (want %d)\n%s", args, code, exitUsage, stderr)
				}
			}
			if _, err := os.Stat(filepath.Join(dir, "cfg", "tunesafe", "config.json")); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("a refused init wrote the config file: %v", err)
			}
		})
	}
}
