package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/tunesafe/tunesafe/internal/s3test"
)

// The endpoint init saved with the vault applies when the same vault is
// named again with --vault, not only when it comes from the config file.
func TestSavedEndpointForNamedVault(t *testing.T) {
	srv := s3test.Servers(t)[0]
	cfg := srv.NewBucket(t)
	dir := t.TempDir()
	env := map[string]string{
		"XDG_CONFIG_HOME": filepath.Join(dir, "cfg"), "XDG_STATE_HOME": filepath.Join(dir, "state"),
		"AWS_ACCESS_KEY_ID": srv.AccessKey, "AWS_SECRET_ACCESS_KEY": srv.SecretKey,
		"AWS_ENDPOINT_URL_S3": "", "AWS_ENDPOINT_URL": "",
		"AWS_REGION": "us-east-1", "AWS_PROFILE": "", "AWS_CA_BUNDLE": "", "TUNESAFE_PASSPHRASE": "a good passphrase", "TUNESAFE_VAULT": "",
		"AWS_SHARED_CREDENTIALS_FILE": filepath.Join(dir, "no-credentials"), "AWS_CONFIG_FILE": filepath.Join(dir, "no-config"),
	}
	loc := "s3://" + cfg.Bucket + "/v"
	if code, _, stderr := tunesafe(t, env, "init", loc, "--endpoint", srv.Endpoint, "--kdf-work", "10"); code != 0 {
		t.Fatalf("init: exit %d\n%s", code, stderr)
	}
	for _, named := range []string{loc, loc + "/"} {
		if code, _, stderr := tunesafe(t, env, "snapshots", "--vault", named); code != 0 {
			t.Errorf("snapshots --vault %s: exit %d\n%s", named, code, stderr)
		}
	}
	// Another vault in the same bucket is not the saved one: no endpoint.
	if code, _, _ := tunesafe(t, env, "snapshots", "--vault", "s3://"+cfg.Bucket+"/other"); code == 0 {
		t.Error("a vault that is not the config file's used its endpoint")
	}
}

// A vault is not made under another's prefix in a bucket; beside it is
// fine.
func TestInitRefusesPrefixInsideVault(t *testing.T) {
	for _, srv := range s3test.Servers(t) {
		t.Run(srv.Name, func(t *testing.T) {
			cfg := srv.NewBucket(t)
			dir := t.TempDir()
			env := map[string]string{
				"XDG_CONFIG_HOME": filepath.Join(dir, "cfg"), "XDG_STATE_HOME": filepath.Join(dir, "state"),
				"AWS_ACCESS_KEY_ID": srv.AccessKey, "AWS_SECRET_ACCESS_KEY": srv.SecretKey,
				"AWS_ENDPOINT_URL_S3": srv.Endpoint, "AWS_ENDPOINT_URL": "",
				"AWS_REGION": "us-east-1", "AWS_PROFILE": "", "AWS_CA_BUNDLE": "", "TUNESAFE_PASSPHRASE": "a good passphrase", "TUNESAFE_VAULT": "",
				"AWS_SHARED_CREDENTIALS_FILE": filepath.Join(dir, "no-credentials"), "AWS_CONFIG_FILE": filepath.Join(dir, "no-config"),
			}
			outer := "s3://" + cfg.Bucket + "/music/v"
			if code, _, stderr := tunesafe(t, env, "init", outer, "--no-default", "--kdf-work", "10"); code != 0 {
				t.Fatalf("init: exit %d\n%s", code, stderr)
			}
			code, _, stderr := tunesafe(t, env, "init", outer+"/a/b", "--no-default", "--kdf-work", "10")
			if code != exitUsage || !strings.Contains(stderr, "is inside the vault at s3://"+cfg.Bucket+"/music/v/") {
				t.Fatalf("init inside: exit %d\n%s", code, stderr)
			}
			if code, _, stderr := tunesafe(t, env, "init", "s3://"+cfg.Bucket+"/music/w", "--no-default", "--kdf-work", "10"); code != 0 {
				t.Fatalf("init beside: exit %d\n%s", code, stderr)
			}
			if code, stdout, stderr := tunesafe(t, env, "verify", "--vault", outer); code != 0 || !strings.Contains(stdout, "foreign 0") {
				t.Fatalf("verify of the outer vault: exit %d\n%s%s", code, stdout, stderr)
			}
		})
	}
}
