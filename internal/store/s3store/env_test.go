package s3store_test

import (
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/tunesafe/tunesafe/internal/s3test"
	"github.com/tunesafe/tunesafe/internal/store"
	"github.com/tunesafe/tunesafe/internal/store/s3store"
)

var awsVars = []string{
	"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_ACCESS_KEY", "AWS_SECRET_KEY",
	"AWS_PROFILE", "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3",
	"AWS_CA_BUNDLE", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS",
}

// isolateEnv clears the AWS variables and points HOME at an empty
// directory, which it returns, so that the machine's own AWS setup cannot
// leak into a test.
func isolateEnv(t *testing.T) string {
	t.Helper()
	for _, v := range awsVars {
		t.Setenv(v, "")
	}
	home := t.TempDir()
	t.Setenv("HOME", home)
	return home
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

func mustURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func credsOf(t *testing.T, cfg s3store.Config) credentials.Value {
	t.Helper()
	v, err := cfg.Credentials.GetWithContext(&credentials.CredContext{})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestConfigFromEnvVariables(t *testing.T) {
	isolateEnv(t)
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDENV")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "envsecret")
	t.Setenv("AWS_SESSION_TOKEN", "token")
	t.Setenv("AWS_DEFAULT_REGION", "eu-west-1")
	t.Setenv("AWS_REGION", "eu-north-1")
	t.Setenv("AWS_ENDPOINT_URL", "https://generic.example")
	t.Setenv("AWS_ENDPOINT_URL_S3", "https://s3only.example")
	t.Setenv("AWS_CA_BUNDLE", "/etc/ca.pem")

	cfg, err := s3store.ConfigFromEnv(mustURL(t, "s3://my-bucket/music/vault/"), "")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Bucket != "my-bucket" || cfg.Prefix != "music/vault" || cfg.Region != "eu-north-1" ||
		cfg.Endpoint != "https://s3only.example" || cfg.CABundle != "/etc/ca.pem" {
		t.Fatalf("ConfigFromEnv = %+v", cfg)
	}
	if v := credsOf(t, cfg); v.AccessKeyID != "AKIDENV" || v.SecretAccessKey != "envsecret" || v.SessionToken != "token" {
		t.Fatalf("credentials = %+v", v)
	}

	// The flag beats the variables; AWS_ENDPOINT_URL serves when
	// AWS_ENDPOINT_URL_S3 is unset; AWS_DEFAULT_REGION when AWS_REGION is.
	cfg, _ = s3store.ConfigFromEnv(mustURL(t, "s3://my-bucket"), "http://flag.example:9000")
	if cfg.Endpoint != "http://flag.example:9000" || cfg.Prefix != "" {
		t.Fatalf("with --endpoint: %+v", cfg)
	}
	t.Setenv("AWS_ENDPOINT_URL_S3", "")
	t.Setenv("AWS_REGION", "")
	cfg, _ = s3store.ConfigFromEnv(mustURL(t, "s3://my-bucket"), "")
	if cfg.Endpoint != "https://generic.example" || cfg.Region != "eu-west-1" {
		t.Fatalf("fallbacks: %+v", cfg)
	}
	t.Setenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true")
	cfg, _ = s3store.ConfigFromEnv(mustURL(t, "s3://my-bucket"), "")
	if cfg.Endpoint != "" {
		t.Fatalf("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS: endpoint %q, want AWS", cfg.Endpoint)
	}
}

func TestConfigFromEnvProfile(t *testing.T) {
	home := isolateEnv(t)
	writeFile(t, filepath.Join(home, ".aws", "credentials"), `
[default]
aws_access_key_id = AKIDDEFAULT
aws_secret_access_key = defaultsecret

[nas]
aws_access_key_id = AKIDNAS
aws_secret_access_key = nassecret
`)
	writeFile(t, filepath.Join(home, ".aws", "config"), `
[default]
region = us-west-2

[profile nas]
region = eu-central-1 # the NAS in the cellar
endpoint_url = http://nas.local:7070
ca_bundle = /home/me/nas-ca.pem
s3 =
  addressing_style = path
`)
	cfg, err := s3store.ConfigFromEnv(mustURL(t, "s3://b-1/p"), "")
	if err != nil {
		t.Fatal(err)
	}
	if v := credsOf(t, cfg); v.AccessKeyID != "AKIDDEFAULT" || cfg.Region != "us-west-2" || cfg.Endpoint != "" {
		t.Fatalf("default profile: %+v, %+v", cfg, v)
	}

	t.Setenv("AWS_PROFILE", "nas")
	cfg, err = s3store.ConfigFromEnv(mustURL(t, "s3://b-1/p"), "")
	if err != nil {
		t.Fatal(err)
	}
	v := credsOf(t, cfg)
	if v.AccessKeyID != "AKIDNAS" || v.SecretAccessKey != "nassecret" || cfg.Region != "eu-central-1" ||
		cfg.Endpoint != "http://nas.local:7070" || cfg.CABundle != "/home/me/nas-ca.pem" {
		t.Fatalf("profile nas: %+v, %+v", cfg, v)
	}

	// Files named by the variables replace the ones in HOME.
	other := t.TempDir()
	writeFile(t, filepath.Join(other, "creds"), "[nas]\naws_access_key_id = AKIDOTHER\naws_secret_access_key = s\n")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(other, "creds"))
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(other, "missing-config"))
	cfg, err = s3store.ConfigFromEnv(mustURL(t, "s3://b-1/p"), "")
	if err != nil {
		t.Fatal(err)
	}
	if v := credsOf(t, cfg); v.AccessKeyID != "AKIDOTHER" || cfg.Region != "" {
		t.Fatalf("AWS_SHARED_CREDENTIALS_FILE: %+v, %+v", cfg, v)
	}
}

// TestConfigFromEnvProfileDefault: in the config file, [profile default]
// names the default profile as [default] does, and section headers may
// carry comments; in the credentials file a [profile NAME] section is
// nobody's.
func TestConfigFromEnvProfileDefault(t *testing.T) {
	home := isolateEnv(t)
	writeFile(t, filepath.Join(home, ".aws", "credentials"), `
[default] # from the console
aws_access_key_id = AKIDDEFAULT
aws_secret_access_key = defaultsecret

[profile work]
aws_access_key_id = AKIDWORK
aws_secret_access_key = worksecret
`)
	writeFile(t, filepath.Join(home, ".aws", "config"), `
[profile default] ; written by hand
region = eu-west-3
endpoint_url = http://nas.local:7070

[profile work] # work
region = us-east-2
`)
	cfg, err := s3store.ConfigFromEnv(mustURL(t, "s3://b-1/p"), "")
	if err != nil {
		t.Fatal(err)
	}
	if v := credsOf(t, cfg); v.AccessKeyID != "AKIDDEFAULT" || cfg.Region != "eu-west-3" || cfg.Endpoint != "http://nas.local:7070" {
		t.Fatalf("default profile: %+v, %+v", cfg, v)
	}
	_, err = s3store.ConfigFromProfile(mustURL(t, "s3://b-1/p"), "", "work")
	if store.KindOf(err) != store.KindCredentials {
		t.Fatalf("profile work, with keys only under [profile work] in the credentials file: %v, want a credentials error", err)
	}
}

func TestConfigFromEnvErrors(t *testing.T) {
	home := isolateEnv(t)
	_, err := s3store.ConfigFromEnv(mustURL(t, "s3://bucket/p"), "")
	if store.KindOf(err) != store.KindCredentials || !strings.Contains(err.Error(), `"default"`) ||
		!strings.Contains(err.Error(), "AWS_ACCESS_KEY_ID") {
		t.Errorf("no credentials anywhere: %v (kind %q), want a credentials error naming where it looked", err, store.KindOf(err))
	}

	t.Setenv("AWS_PROFILE", "missing")
	writeFile(t, filepath.Join(home, ".aws", "credentials"), "[default]\naws_access_key_id = A\naws_secret_access_key = B\n")
	_, err = s3store.ConfigFromEnv(mustURL(t, "s3://bucket/p"), "")
	if store.KindOf(err) != store.KindCredentials || !strings.Contains(err.Error(), `"missing"`) {
		t.Errorf("unknown profile: %v, want a credentials error naming it", err)
	}
	t.Setenv("AWS_PROFILE", "")

	t.Setenv("AWS_ACCESS_KEY_ID", "A")
	_, err = s3store.ConfigFromEnv(mustURL(t, "s3://bucket/p"), "")
	if store.KindOf(err) != store.KindCredentials {
		t.Errorf("AWS_ACCESS_KEY_ID without AWS_SECRET_ACCESS_KEY: %v, want a credentials error", err)
	}
	t.Setenv("AWS_ACCESS_KEY_ID", "")

	for _, raw := range []string{"file:///tmp/x", "s3:///prefix", "s3://key:secret@bucket/p", "s3://bucket/a//b"} {
		_, err := s3store.ConfigFromEnv(mustURL(t, raw), "")
		if store.KindOf(err) != store.KindInvalid {
			t.Errorf("ConfigFromEnv(%s): %v, want an invalid-URL error", raw, err)
		}
	}
}

// TestConfigFromEnvServer configures a store from the environment alone,
// as the command line does, and uses it.
func TestConfigFromEnvServer(t *testing.T) {
	isolateEnv(t)
	bucket := s3test.NewBucket(t)
	endpoint, access, secret := s3test.Server(t)
	t.Setenv("AWS_ACCESS_KEY_ID", access)
	t.Setenv("AWS_SECRET_ACCESS_KEY", secret)
	t.Setenv("AWS_ENDPOINT_URL_S3", endpoint)
	cfg, err := s3store.ConfigFromEnv(mustURL(t, "s3://"+bucket.Bucket+"/vault"), "")
	if err != nil {
		t.Fatal(err)
	}
	s := newStore(t, cfg)
	if err := s.CheckBucket(t.Context()); err != nil {
		t.Fatal(err)
	}
	if err := s.Put(t.Context(), "k", []byte("v")); err != nil {
		t.Fatal(err)
	}
	if got, err := store.ReadAll(t.Context(), s, "k"); err != nil || string(got) != "v" {
		t.Fatalf("ReadAll = %q, %v", got, err)
	}
}

// TestConfigFromProfile: a second location named by its profile ignores
// the environment that describes the first one.
func TestConfigFromProfile(t *testing.T) {
	home := isolateEnv(t)
	writeFile(t, filepath.Join(home, ".aws", "credentials"), `
[b2]
aws_access_key_id = AKIDB2
aws_secret_access_key = b2secret

[empty]
region = x
`)
	writeFile(t, filepath.Join(home, ".aws", "config"), `
[profile b2]
region = us-west-004
endpoint_url = https://s3.us-west-004.backblazeb2.com
`)
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDFIRST")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "firstsecret")
	t.Setenv("AWS_REGION", "eu-central-1")
	t.Setenv("AWS_ENDPOINT_URL", "http://first.local:9000")

	cfg, err := s3store.ConfigFromProfile(mustURL(t, "s3://copy/tunesafe"), "", "b2")
	if err != nil {
		t.Fatal(err)
	}
	if v := credsOf(t, cfg); v.AccessKeyID != "AKIDB2" || v.SecretAccessKey != "b2secret" ||
		cfg.Region != "us-west-004" || cfg.Endpoint != "https://s3.us-west-004.backblazeb2.com" || cfg.Bucket != "copy" {
		t.Fatalf("profile b2: %+v, %+v", cfg, v)
	}
	cfg, err = s3store.ConfigFromProfile(mustURL(t, "s3://copy"), "http://flag.local", "b2")
	if err != nil || cfg.Endpoint != "http://flag.local" {
		t.Fatalf("the endpoint flag comes first: %+v %v", cfg, err)
	}
	// The environment's keys are not a fallback for a profile without any.
	for _, p := range []string{"empty", "missing"} {
		_, err = s3store.ConfigFromProfile(mustURL(t, "s3://copy"), "", p)
		if store.KindOf(err) != store.KindCredentials || !strings.Contains(err.Error(), p) {
			t.Fatalf("profile %s: %v", p, err)
		}
	}
}
