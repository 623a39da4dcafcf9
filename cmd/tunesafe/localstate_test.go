package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/tunesafe/tunesafe/internal/state"
	"github.com/tunesafe/tunesafe/internal/store"
	"github.com/tunesafe/tunesafe/internal/store/folder"
	"github.com/tunesafe/tunesafe/internal/store/memstore"
	"github.com/tunesafe/tunesafe/internal/store/retry"
	"github.com/tunesafe/tunesafe/internal/store/s3store"
)

// TestStateKey: one location has one key however it is written, and two
// locations have two.
func TestStateKey(t *testing.T) {
	const id = "0123456789abcdef0123456789abcdef"
	dir := t.TempDir()
	t.Chdir(dir)
	newFolder := func(p string) store.Store {
		s, err := folder.New(p)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	newS3 := func(bucket, prefix, endpoint string) store.Store {
		s, err := s3store.New(t.Context(), s3store.Config{Bucket: bucket, Prefix: prefix, Endpoint: endpoint, Credentials: credentials.NewStaticV4("a", "b", "")})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	key := stateKey(id, newFolder("v1"))
	if !strings.HasPrefix(key, id+"@") || len(key) != len(id)+1+16 {
		t.Fatalf("key %q: want %s@ and 16 hex digits", key, id)
	}
	for _, s := range []store.Store{
		newFolder(filepath.Join(dir, "v1")),
		newFolder("./v1/"),
		newFolder(filepath.Join(dir, "x", "..", "v1")),
		retry.Wrap(newFolder("v1"), retry.Policy{}),
	} {
		if k := stateKey(id, s); k != key {
			t.Errorf("%s: key %s, want %s", s, k, key)
		}
	}
	if k := stateKey("fedcba9876543210fedcba9876543210", newFolder("v1")); k == key || !strings.HasSuffix(k, key[len(id):]) {
		t.Errorf("another vault at the same place: key %s", k)
	}
	s3 := stateKey(id, newS3("bucket", "vault", "http://MinIO.local:9000"))
	keys := map[string]string{
		"folder v1":               key,
		"folder v2":               stateKey(id, newFolder("v2")),
		"s3 on minio":             s3,
		"s3 on AWS":               stateKey(id, newS3("bucket", "vault", "")),
		"s3 on another server":    stateKey(id, newS3("bucket", "vault", "http://nas.local:9000")),
		"s3 under another prefix": stateKey(id, newS3("bucket", "other", "http://minio.local:9000")),
		"memory":                  stateKey(id, &memstore.Store{}),
	}
	seen := map[string]string{}
	for name, k := range keys {
		if other, ok := seen[k]; ok {
			t.Errorf("%s and %s share the key %s", name, other, k)
		}
		seen[k] = name
	}
	for _, s := range []store.Store{
		newS3("bucket", "/vault/", "http://minio.local:9000"),
		newS3("bucket", "vault", "minio.local:9000"),
		newS3("bucket", "vault", "https://MINIO.local:9000/"),
	} {
		if k := stateKey(id, s); k != s3 {
			t.Errorf("%s at %s: key %s, want %s", s, s.(*s3store.Store).Endpoint(), k, s3)
		}
	}
}

// backupJSON is the part of 'backup --json' the tests read.
type backupJSON struct {
	FilesNew       int64 `json:"files_new"`
	FilesUnchanged int64 `json:"files_unchanged"`
	BytesRead      int64 `json:"bytes_read"`
}

// TestUpgradeClaimsState: state that an older version kept under the bare
// vault ID (the log's state folder, the cache rows) is claimed by the
// first location of the vault opened, which then goes on where the old
// state left off: nothing is read again, and a rolled-back log is still
// caught. Another location of the vault starts afresh.
func TestUpgradeClaimsState(t *testing.T) {
	dir := t.TempDir()
	music := filepath.Join(dir, "Music")
	os.MkdirAll(music, 0o755)
	os.WriteFile(filepath.Join(music, "a.mp3"), []byte("first"), 0o644)
	os.WriteFile(filepath.Join(music, "b.mp3"), []byte("second"), 0o644)
	v1 := filepath.Join(dir, "v1")
	env := map[string]string{"XDG_CONFIG_HOME": filepath.Join(dir, "cfg"), "XDG_STATE_HOME": filepath.Join(dir, "state"),
		"TUNESAFE_PASSPHRASE": "", "TUNESAFE_VAULT": ""}
	backup := func(vault string) backupJSON {
		t.Helper()
		code, stdout, stderr := tunesafe(t, env, "backup", "--vault", vault, music, "--json")
		var res backupJSON
		if err := json.Unmarshal([]byte(stdout), &res); code != 0 || err != nil {
			t.Fatalf("backup %s: exit %d, %v\n%s%s", vault, code, err, stdout, stderr)
		}
		return res
	}
	backup(v1)
	old := filepath.Join(dir, "v1-old")
	if err := os.CopyFS(old, os.DirFS(v1)); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(music, "c.mp3"), []byte("third"), 0o644)
	backup(v1)

	// Put the state back where older versions kept it.
	vaults := filepath.Join(dir, "state", "tunesafe", "vaults")
	des, err := os.ReadDir(vaults)
	if err != nil || len(des) != 1 {
		t.Fatalf("state folders: %v %v", des, err)
	}
	key := des[0].Name()
	id, _, ok := strings.Cut(key, "@")
	if !ok {
		t.Fatalf("state folder %s is not named by a state key", key)
	}
	if err := os.MkdirAll(filepath.Join(vaults, id), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(filepath.Join(vaults, key, "auditlog"), filepath.Join(vaults, id, "auditlog")); err != nil {
		t.Fatal(err)
	}
	// (Older versions kept no copy of tunesafe.json either.)
	if err := os.RemoveAll(filepath.Join(vaults, key)); err != nil {
		t.Fatal(err)
	}
	cacheFile := filepath.Join(dir, "state", "tunesafe", "cache.db")
	objects := func(key string) int {
		t.Helper()
		db, err := state.Open(cacheFile)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		n := 0
		if err := db.Vault(key).Objects(t.Context(), func([]byte) { n++ }); err != nil {
			t.Fatal(err)
		}
		return n
	}
	known := objects(key)
	db, err := state.Open(cacheFile)
	if err != nil {
		t.Fatal(err)
	}
	if moved, err := db.Claim(t.Context(), key, id); !moved || err != nil {
		t.Fatalf("moving the rows to the bare ID: %v %v", moved, err)
	}
	db.Close()
	if known == 0 || objects(key) != 0 || objects(id) != known {
		t.Fatalf("rows under the bare ID: %d of %d", objects(id), known)
	}
	v2 := filepath.Join(dir, "v2")
	if err := os.CopyFS(v2, os.DirFS(v1)); err != nil {
		t.Fatal(err)
	}

	// The first location opened claims it all, and reads no file again.
	if res := backup(v1); res.FilesUnchanged != 3 || res.FilesNew != 0 || res.BytesRead != 0 {
		t.Fatalf("backup after the upgrade: %+v, want 3 files unchanged and nothing read", res)
	}
	if _, err := os.Stat(filepath.Join(vaults, key, "auditlog", "state.json")); err != nil {
		t.Fatalf("the log's state was not moved: %v", err)
	}
	if _, err := os.Stat(filepath.Join(vaults, id)); !os.IsNotExist(err) {
		t.Fatalf("the old state folder is left: %v", err)
	}
	if objects(id) != 0 || objects(key) < known {
		t.Fatalf("after the claim: %d rows under the bare ID, %d under the key (%d before)", objects(id), objects(key), known)
	}

	// Another location of the vault has nothing to claim.
	if res := backup(v2); res.FilesUnchanged != 0 || res.FilesNew != 3 {
		t.Fatalf("backup to the second location: %+v, want every file read", res)
	}

	// The claimed checkpoint still guards the first location.
	if err := os.RemoveAll(v1); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(old, v1); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := tunesafe(t, env, "snapshots", "--vault", v1)
	if code != 0 || !strings.Contains(stderr, "warning: ") || !strings.Contains(stderr, "rolled-back") {
		t.Fatalf("rolled-back vault: exit %d\n%s", code, stderr)
	}
}

// TestClaimLogStateKeepsOwn: a location with a log state of its own keeps
// it, and leaves the old one where it is.
func TestClaimLogStateKeepsOwn(t *testing.T) {
	dir := t.TempDir()
	a := newApp(strings.NewReader(""), os.Stdout, os.Stderr)
	a.statePath = filepath.Join(dir, "cache.db")
	for _, k := range []string{"id", "id@1"} {
		if err := os.MkdirAll(a.logStateDir(k), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(a.logStateDir(k), "state.json"), []byte(k), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := a.claimLogState("id", "id@1"); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"id", "id@1"} {
		if b, err := os.ReadFile(filepath.Join(a.logStateDir(k), "state.json")); err != nil || string(b) != k {
			t.Fatalf("%s: %q %v", k, b, err)
		}
	}
	// Nothing to claim is no error.
	if err := a.claimLogState("other", "other@1"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(a.logStateDir("other@1")); !os.IsNotExist(err) {
		t.Fatalf("claiming nothing made %s: %v", a.logStateDir("other@1"), err)
	}
}
