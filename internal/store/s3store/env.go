package s3store

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/tunesafe/tunesafe/internal/store"
)

// ConfigFromEnv builds a Config for the vault URL u ("s3://bucket/prefix")
// the way the AWS CLI and SDKs would, so that existing AWS setups work:
//
//   - Credentials: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and
//     AWS_SESSION_TOKEN; else the profile AWS_PROFILE ("default") in
//     AWS_SHARED_CREDENTIALS_FILE (~/.aws/credentials) and AWS_CONFIG_FILE
//     (~/.aws/config), including SSO and credential_process profiles.
//   - Region: AWS_REGION, else AWS_DEFAULT_REGION, else the profile's
//     "region" in the config file.
//   - Endpoint: endpointFlag (the --endpoint option), else
//     AWS_ENDPOINT_URL_S3, else AWS_ENDPOINT_URL, else the profile's
//     "endpoint_url", else AWS S3 in the region. AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true
//     ignores all but the flag.
//   - CA bundle: AWS_CA_BUNDLE, else the profile's "ca_bundle".
//
// Missing credentials are a store.KindCredentials error that says where
// they were looked for.
func ConfigFromEnv(u *url.URL, endpointFlag string) (Config, error) {
	return configFor(u, endpointFlag, "")
}

// ConfigFromProfile is ConfigFromEnv for a second location named by an
// AWS profile, as the AWS CLI's --profile: credentials come from that
// profile only (AWS_ACCESS_KEY_ID and friends, which belong to the first
// location, are ignored), its "region" comes before AWS_REGION, and its
// "endpoint_url" is used unless endpointFlag is set (AWS_ENDPOINT_URL_S3
// and AWS_ENDPOINT_URL are ignored).
func ConfigFromProfile(u *url.URL, endpointFlag, profile string) (Config, error) {
	if profile == "" {
		return Config{}, store.Permanent(store.KindInvalid, errors.New("ConfigFromProfile: no profile named"))
	}
	return configFor(u, endpointFlag, profile)
}

// configFor builds the Config of ConfigFromEnv, or of ConfigFromProfile
// when named is a profile name.
func configFor(u *url.URL, endpointFlag, named string) (Config, error) {
	var cfg Config
	if u == nil || u.Scheme != "s3" {
		return cfg, store.Permanent(store.KindInvalid, fmt.Errorf("vault URL %v: want s3://bucket/prefix", u))
	}
	if u.User != nil {
		return cfg, store.Permanent(store.KindInvalid, errors.New("vault URL: credentials do not belong in the URL; set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY or use an AWS profile"))
	}
	if u.Host == "" {
		return cfg, store.Permanent(store.KindInvalid, fmt.Errorf("vault URL %s: no bucket; want s3://bucket/prefix", u))
	}
	cfg.Bucket = u.Host
	cfg.Prefix = strings.Trim(u.Path, "/")
	if _, err := cfg.keyPrefix(); err != nil {
		return cfg, store.Permanent(store.KindInvalid, fmt.Errorf("vault URL %s: %w", u, err))
	}

	profileName := firstNonEmpty(named, os.Getenv("AWS_PROFILE"))
	if profileName == "" {
		profileName = "default"
	}
	profile, err := readProfile(profileName)
	if err != nil {
		return cfg, store.Permanent(store.KindInvalid, err)
	}

	cfg.Region = firstNonEmpty(os.Getenv("AWS_REGION"), os.Getenv("AWS_DEFAULT_REGION"), profile["region"])
	cfg.Endpoint = endpointFlag
	if cfg.Endpoint == "" && !strings.EqualFold(os.Getenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"), "true") {
		cfg.Endpoint = firstNonEmpty(os.Getenv("AWS_ENDPOINT_URL_S3"), os.Getenv("AWS_ENDPOINT_URL"), profile["endpoint_url"])
	}
	cfg.CABundle = firstNonEmpty(os.Getenv("AWS_CA_BUNDLE"), profile["ca_bundle"])
	if named != "" {
		cfg.Region = firstNonEmpty(profile["region"], cfg.Region)
		cfg.Endpoint = firstNonEmpty(endpointFlag, profile["endpoint_url"])
		cfg.CABundle = firstNonEmpty(profile["ca_bundle"], cfg.CABundle)
	}
	// Caught here, it would surface later as a TLS or DNS failure.
	if e := strings.TrimSpace(cfg.Endpoint); e != "" && !strings.Contains(e, "://") {
		return cfg, store.Permanent(store.KindInvalid, fmt.Errorf("endpoint %q has no scheme: write http://%s or https://%s", e, e, e))
	}
	if named != "" {
		cfg.Credentials, err = credentialsFromProfile(profileName)
		return cfg, err
	}

	cfg.Credentials, err = credentialsFromEnv(profileName)
	if err != nil {
		return cfg, err
	}
	return cfg, nil
}

// credentialsFromEnv returns the AWS chain of the environment and the shared
// files, after checking that it yields a key.
func credentialsFromEnv(profile string) (*credentials.Credentials, error) {
	id, secret := os.Getenv("AWS_ACCESS_KEY_ID"), os.Getenv("AWS_SECRET_ACCESS_KEY")
	if (id == "") != (secret == "") {
		return nil, store.Permanent(store.KindCredentials,
			errors.New("S3 credentials: set both AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or neither"))
	}
	file := &credentials.FileAWSCredentials{Profile: profile}
	creds := credentials.NewChainCredentials([]credentials.Provider{&credentials.EnvAWS{}, file})
	v, _ := creds.GetWithContext(&credentials.CredContext{})
	if v.AccessKeyID != "" && v.SecretAccessKey != "" {
		return creds, nil
	}
	// The chain hides why the profile gave nothing; ask it again.
	why := "it has no aws_access_key_id"
	if _, err := (&credentials.FileAWSCredentials{Profile: profile}).RetrieveWithCredContext(&credentials.CredContext{}); err != nil {
		why = err.Error()
	}
	return nil, store.Permanent(store.KindCredentials, fmt.Errorf(
		"no S3 credentials: AWS_ACCESS_KEY_ID is not set, and AWS profile %q in %s gave none (%s)",
		profile, sharedFiles(), why))
}

// credentialsFromProfile returns the credentials of one named profile of
// the shared files, after checking that it yields a key.
func credentialsFromProfile(profile string) (*credentials.Credentials, error) {
	file := &credentials.FileAWSCredentials{Profile: profile}
	v, err := file.RetrieveWithCredContext(&credentials.CredContext{})
	if err == nil && v.AccessKeyID != "" && v.SecretAccessKey != "" {
		return credentials.New(file), nil
	}
	why := "it has no aws_access_key_id"
	if err != nil {
		why = err.Error()
	}
	return nil, store.Permanent(store.KindCredentials, fmt.Errorf("no S3 credentials: AWS profile %q in %s gave none (%s)", profile, sharedFiles(), why))
}

// Profiles returns the names of the AWS profiles in the shared files
// (AWS_SHARED_CREDENTIALS_FILE, AWS_CONFIG_FILE, or those in ~/.aws), in
// the order found, each once: for a hint that names the profile a user
// may have meant. Unreadable files give none.
func Profiles() []string {
	home, _ := os.UserHomeDir()
	var names []string
	seen := map[string]bool{}
	for _, f := range []struct {
		path   string
		prefix string // "profile " in the config file
	}{
		{firstNonEmpty(os.Getenv("AWS_SHARED_CREDENTIALS_FILE"), filepath.Join(home, ".aws", "credentials")), ""},
		{firstNonEmpty(os.Getenv("AWS_CONFIG_FILE"), filepath.Join(home, ".aws", "config")), "profile "},
	} {
		b, err := os.ReadFile(f.path)
		if err != nil {
			continue
		}
		for line := range strings.Lines(string(b)) {
			name, ok := sectionName(strings.TrimSpace(line))
			if !ok || !strings.HasPrefix(strings.TrimSpace(line), "[") {
				continue
			}
			if f.prefix != "" && name != "default" {
				if name, ok = strings.CutPrefix(name, f.prefix); !ok {
					continue // [sso-session x], [services y]
				}
			}
			if name != "" && !seen[name] {
				seen[name] = true
				names = append(names, name)
			}
		}
	}
	return names
}

func sharedFiles() string {
	home, _ := os.UserHomeDir()
	creds := firstNonEmpty(os.Getenv("AWS_SHARED_CREDENTIALS_FILE"), filepath.Join(home, ".aws", "credentials"))
	config := firstNonEmpty(os.Getenv("AWS_CONFIG_FILE"), filepath.Join(home, ".aws", "config"))
	return creds + " or " + config
}

// readProfile returns the keys of one profile in the AWS config file
// (AWS_CONFIG_FILE, default ~/.aws/config): section [profile NAME], or for
// the default profile [default] as well. Only top-level "key = value"
// lines are read; nested sections (s3 = …) are skipped. A missing file is
// an empty profile.
//
// Only the config file is read here. The credentials file, whose sections
// are bare profile names and never [profile NAME], is read with the
// credentials by minio's FileAWSCredentials, which merges both files the
// way the AWS SDKs do.
func readProfile(name string) (map[string]string, error) {
	path := os.Getenv("AWS_CONFIG_FILE")
	if path == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return map[string]string{}, nil
		}
		path = filepath.Join(home, ".aws", "config")
	}
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return map[string]string{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("AWS config: %w", err)
	}
	defer f.Close()
	keys, err := parseProfile(f, name)
	if err != nil {
		return nil, fmt.Errorf("AWS config %s: %w", path, err)
	}
	return keys, nil
}

// parseProfile reads the keys of profile name from the text of an AWS
// config file, as readProfile describes.
//
// The default profile has two sections: [default], and [profile default]
// as for any other profile. When both are there, [profile default] wins
// wherever it stands and [default] is ignored, as in the AWS SDKs and in
// the credentials loader (FileAWSCredentials), so that the region and the
// keys come from the same section. Sections of one name repeated are
// merged, later keys winning.
func parseProfile(r io.Reader, name string) (map[string]string, error) {
	want := "profile " + name
	keys := map[string]string{}
	// bare holds the keys of [default] when name is "default", prefixed
	// whether a [profile default] section was seen.
	var bare map[string]string
	prefixed := false
	var in map[string]string // the keys the current section sets, if wanted
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line := sc.Text()
		trimmed := strings.TrimSpace(line)
		switch {
		case trimmed == "" || trimmed[0] == '#' || trimmed[0] == ';':
			continue
		case trimmed[0] == '[':
			section, ok := sectionName(trimmed)
			switch {
			case ok && section == want:
				in, prefixed = keys, true
			case ok && section == "default" && name == "default":
				if bare == nil {
					bare = map[string]string{}
				}
				in = bare
			default:
				in = nil
			}
			continue
		case in == nil || line[0] == ' ' || line[0] == '\t':
			continue // another profile, or a nested value
		}
		k, v, ok := strings.Cut(trimmed, "=")
		if !ok {
			continue
		}
		v = strings.TrimSpace(v)
		if i := strings.Index(v, " #"); i >= 0 {
			v = strings.TrimSpace(v[:i])
		}
		in[strings.ToLower(strings.TrimSpace(k))] = v
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if !prefixed && bare != nil {
		return bare, nil
	}
	return keys, nil
}

// sectionName returns the name in a section header line (trimmed, starting
// with '['): the text between the brackets with runs of spaces made one,
// so that "[profile  nas ]" is "profile nas". A comment may follow the
// header ("[default] # mine", "[profile nas] ; cellar"); any other text
// after it, or a missing ']', makes the line no header of any section.
func sectionName(line string) (string, bool) {
	end := strings.IndexByte(line, ']')
	if end < 0 {
		return "", false
	}
	if rest := strings.TrimSpace(line[end+1:]); rest != "" && rest[0] != '#' && rest[0] != ';' {
		return "", false
	}
	return strings.Join(strings.Fields(line[1:end]), " "), true
}

func firstNonEmpty(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}
