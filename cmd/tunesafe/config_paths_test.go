package main

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// configApp is an app whose config file holds body, with HOME, the state
// folder and $TUNESAFE_VAULT set for the test.
func configApp(t *testing.T, body string) (a *app, home string) {
	t.Helper()
	dir := t.TempDir()
	home = filepath.Join(dir, "home")
	t.Setenv("HOME", home)
	t.Setenv("XDG_STATE_HOME", filepath.Join(dir, "state"))
	t.Setenv("TUNESAFE_VAULT", "")
	a = newApp(strings.NewReader(""), io.Discard, io.Discard)
	a.configPath = filepath.Join(dir, "config.json")
	if err := os.WriteFile(a.configPath, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return a, home
}

// wantUsage checks that err is a usage error whose message has all of
// want in it.
func wantUsage(t *testing.T, err error, want ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error; want one with %q", want)
	}
	code, msg, _ := classify(err)
	if code != exitUsage {
		t.Errorf("exit code %d for %v; want %d (usage)", code, err, exitUsage)
	}
	for _, w := range want {
		if !strings.Contains(msg, w) {
			t.Errorf("error %q does not say %q", msg, w)
		}
	}
}

// The config file's vault names one folder from every working directory;
// --vault and $TUNESAFE_VAULT are as typed.
func TestConfigVaultLocation(t *testing.T) {
	for _, c := range []struct {
		name, config, flag, env string
		want                    string // "~" for the home folder; "" for an error
		endpoint                string
	}{
		{name: "relative", config: `{"vault": "my-vault"}`},
		{name: "dot", config: `{"vault": "./vault"}`},
		{name: "parent", config: `{"vault": "../vault"}`},
		{name: "home", config: `{"vault": "~/vaults/music"}`, want: "~/vaults/music"},
		{name: "home alone", config: `{"vault": "~"}`, want: "~"},
		{name: "absolute cleaned", config: `{"vault": "/srv//vault/"}`, want: "/srv/vault"},
		{name: "s3", config: `{"vault": "s3://b/p/", "endpoint": "http://e"}`, want: "s3://b/p/", endpoint: "http://e"},
		{name: "mistyped s3 left to open", config: `{"vault": "S3://b"}`, want: "S3://b"},
		{name: "flag relative", config: `{"vault": "my-vault"}`, flag: "v", want: "v"},
		{name: "env relative", config: `{"vault": "my-vault"}`, env: "./v", want: "./v"},
		{name: "flag names the config's s3 vault", config: `{"vault": "s3://b/p", "endpoint": "http://e"}`, flag: "s3://b/p/", want: "s3://b/p/", endpoint: "http://e"},
		{name: "flag names another s3 vault", config: `{"vault": "s3://b/p", "endpoint": "http://e"}`, flag: "s3://b/q", want: "s3://b/q"},
	} {
		t.Run(c.name, func(t *testing.T) {
			a, home := configApp(t, c.config)
			a.vaultFlag = c.flag
			t.Setenv("TUNESAFE_VAULT", c.env)
			got, err := a.vaultLocation()
			if c.want == "" {
				wantUsage(t, err, "config file "+a.configFile()+":", `"vault"`, "relative path")
				return
			}
			want := c.want
			if rest, ok := strings.CutPrefix(want, "~"); ok {
				want = filepath.Join(home, rest)
			}
			if err != nil || got != want {
				t.Fatalf("vaultLocation() = %q, %v; want %q", got, err, want)
			}
			if a.endpoint != c.endpoint {
				t.Errorf("endpoint %q; want %q", a.endpoint, c.endpoint)
			}
		})
	}
}

// A replica named relatively in the config file is refused by check,
// naming the file; "~" is the home folder. --to stays as typed.
func TestConfigCopies(t *testing.T) {
	a, home := configApp(t, `{"copies": [{"to": "usb/tunesafe"}, {"to": "~/r2/"}, {"to": "s3://b/p", "profile": "b2"}, {}]}`)
	c, err := a.loadConfig()
	if err != nil {
		t.Fatal(err)
	}
	wantUsage(t, c.Copies[0].check(), "config file "+a.configFile()+":", `"copies"`, `"usb/tunesafe" is a relative path`)
	if c.Copies[1].To != filepath.Join(home, "r2") || c.Copies[1].check() != nil {
		t.Errorf("copy ~/r2/ is %q, %v; want %q", c.Copies[1].To, c.Copies[1].check(), filepath.Join(home, "r2"))
	}
	if c.Copies[2].To != "s3://b/p" || c.Copies[2].check() != nil {
		t.Errorf("copy s3://b/p is %q, %v", c.Copies[2].To, c.Copies[2].check())
	}
	wantUsage(t, c.Copies[3].check(), `no "to"`)
	if err := (copyTarget{To: "usb/tunesafe"}).check(); err != nil {
		t.Errorf("--to usb/tunesafe: %v; want it taken as typed", err)
	}

	// The relative replica is not left out of backups as if it were in
	// the working directory; the one in the home folder is.
	a.vaultFlag = "s3://b/v"
	set, err := a.exclusions(c, nil)
	if err != nil {
		t.Fatal(err)
	}
	if why, inside := set.Within(filepath.Join(home, "r2", "x")); !inside || why != "a copy of the vault" {
		t.Errorf("~/r2 is not left out of backups: %q, %v", why, inside)
	}
	wd, _ := os.Getwd()
	if why, inside := set.Within(filepath.Join(wd, "usb", "tunesafe")); inside {
		t.Errorf("usb/tunesafe in the working directory is left out: %s", why)
	}
}

// Writing the config file again (init) keeps the user's spelling of the
// locations it resolved when read.
func TestSaveConfigKeepsSpelling(t *testing.T) {
	body := `{"vault": "~/v", "copies": [{"to": "~/r"}, {"to": "rel"}, {"to": "/abs/"}]}`
	a, home := configApp(t, body)
	c, err := a.loadConfig()
	if err != nil {
		t.Fatal(err)
	}
	if c.Vault != filepath.Join(home, "v") {
		t.Fatalf("vault %q", c.Vault)
	}
	if err := a.saveConfig(c); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(a.configPath)
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{`"vault": "~/v"`, `"to": "~/r"`, `"to": "rel"`, `"to": "/abs/"`} {
		if !strings.Contains(string(b), w) {
			t.Errorf("saved file lacks %s:\n%s", w, b)
		}
	}
	// A vault init replaces is written as given.
	c.Vault = "/elsewhere"
	if err := a.saveConfig(c); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(a.configPath); !strings.Contains(string(b), `"vault": "/elsewhere"`) {
		t.Errorf("saved file lacks the new vault:\n%s", b)
	}
}

// A bad pattern in the config file's "exclude" names the file and the
// key; a bad --exclude keeps its own message.
func TestExclusionsNameTheirSource(t *testing.T) {
	a, _ := configApp(t, `{}`)
	a.vaultFlag = "s3://b/v"
	for _, bad := range []string{"A/.DS_Store", "", "[", "/"} {
		_, err := a.exclusions(&fileConfig{Exclude: []string{".DS_Store", bad}}, nil)
		wantUsage(t, err, "config file "+a.configFile()+":", `"exclude"`)
		if _, _, hint := classify(err); !strings.Contains(hint, a.configFile()) || strings.Contains(hint, "--exclude") {
			t.Errorf("config pattern %q: hint %q; want one about the config file", bad, hint)
		}

		_, err = a.exclusions(&fileConfig{Exclude: []string{".DS_Store"}}, []string{bad})
		wantUsage(t, err, "exclude pattern")
		_, msg, hint := classify(err)
		if strings.Contains(msg, "config file") || !strings.HasPrefix(hint, "for example --exclude") {
			t.Errorf("--exclude %q: %q, hint %q; want the flag's message", bad, msg, hint)
		}
	}
}
