package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"

	"github.com/tunesafe/tunesafe/internal/s3test"
	"github.com/tunesafe/tunesafe/internal/store/s3store"
)

// serverEnv is the environment that points commands at srv, and at
// nothing of the AWS set-up of the user running the tests.
func serverEnv(srv s3test.Target) map[string]string {
	return map[string]string{
		"AWS_ACCESS_KEY_ID": srv.AccessKey, "AWS_SECRET_ACCESS_KEY": srv.SecretKey,
		"AWS_ENDPOINT_URL_S3": srv.Endpoint, "AWS_REGION": "us-east-1", "AWS_CA_BUNDLE": srv.CABundle,
		"AWS_PROFILE": "", "AWS_SESSION_TOKEN": "",
	}
}

// serverEnvWith is serverEnv with config and state under dir, the
// passphrase pass and the vault loc.
func serverEnvWith(srv s3test.Target, dir, pass, loc string) map[string]string {
	env := serverEnv(srv)
	env["XDG_CONFIG_HOME"] = filepath.Join(dir, "cfg")
	env["XDG_STATE_HOME"] = filepath.Join(dir, "state")
	env["TUNESAFE_PASSPHRASE"] = pass
	env["TUNESAFE_VAULT"] = loc
	return env
}

// lockedVaultEnv is the environment of commands on the vault loc of srv,
// with config and state under dir.
func lockedVaultEnv(srv s3test.Target, dir, loc string) map[string]string {
	return serverEnvWith(srv, dir, "object lock passphrase", loc)
}

// oneTrackLibrary makes dir/Music holding the track a.mp3 that the Object
// Lock tests back up, and returns the folder.
func oneTrackLibrary(t *testing.T, dir string) string {
	t.Helper()
	music := filepath.Join(dir, "Music")
	if err := os.MkdirAll(music, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(music, "a.mp3"), []byte(oneTrack), 0o644); err != nil {
		t.Fatal(err)
	}
	return music
}

// oneTrack is the content of oneTrackLibrary's a.mp3.
var oneTrack = strings.Repeat("a.mp3", 2000)

// retainJSON is the --json output of a retention pass.
type retainJSON struct {
	Needed, Cached, Checked, Extended, Failed, Missing int
	RetainedUntil                                      time.Time `json:"retained_until"`
}

// lockStatusOf returns the object_lock part of 'tunesafe status --json'.
func lockStatusOf(t *testing.T, env map[string]string) *lockStatus {
	t.Helper()
	code, stdout, stderr := tunesafe(t, env, "status", "--json")
	var st statusReport
	if err := json.Unmarshal([]byte(stdout), &st); code != 0 || err != nil {
		t.Fatalf("status: exit %d, %v\n%s%s", code, err, stdout, stderr)
	}
	return st.ObjectLock
}

// bucketKeys lists the keys under prefix in bucket.
func bucketKeys(t *testing.T, client *minio.Client, bucket, prefix string) []string {
	t.Helper()
	var keys []string
	for obj := range client.ListObjectsIter(context.Background(), bucket, minio.ListObjectsOptions{Prefix: prefix, Recursive: true}) {
		if obj.Err != nil {
			t.Fatal(obj.Err)
		}
		keys = append(keys, obj.Key)
	}
	return keys
}

// retainedUntilOf returns the Object Lock retain-until date of an object.
func retainedUntilOf(t *testing.T, client *minio.Client, bucket, key string) time.Time {
	t.Helper()
	oi, err := client.StatObject(context.Background(), bucket, key, minio.StatObjectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	u, err := time.Parse(time.RFC3339, oi.Metadata.Get("X-Amz-Object-Lock-Retain-Until-Date"))
	if err != nil {
		t.Fatalf("%s: %v", key, err)
	}
	return u
}

// TestRetainCommand: on every real server, a vault with a one-day lock
// gets its retention checked after its first backup; 'tunesafe retain'
// trusts the dates this computer recorded, --recheck asks the server and
// extends a needed blob whose retention was cut short behind Tunesafe's
// back, but not a blob no snapshot needs any more; a needed blob hidden
// behind a delete marker is reported with exit code 4.
func TestRetainCommand(t *testing.T) {
	for _, srv := range s3test.Servers(t) {
		t.Run(srv.Name, func(t *testing.T) {
			ctx := context.Background()
			cfg := srv.NewLockedBucket(t)
			loc := "s3://" + cfg.Bucket + "/vault"
			dir := t.TempDir()
			music := oneTrackLibrary(t, dir)
			env := lockedVaultEnv(srv, dir, loc)
			run := func(args ...string) (int, string, string) { return tunesafe(t, env, args...) }
			client := srv.Client(t)
			blobs := func() []string { return bucketKeys(t, client, cfg.Bucket, "vault/blobs/") }
			retainedUntil := func(key string) time.Time { return retainedUntilOf(t, client, cfg.Bucket, key) }
			// shorten cuts a retention to an hour from now, as only
			// credentials allowed to bypass governance can.
			shorten := func(key string) {
				t.Helper()
				mode, until := minio.Governance, time.Now().Add(time.Hour).UTC().Truncate(time.Second)
				if err := client.PutObjectRetention(ctx, cfg.Bucket, key, minio.PutObjectRetentionOptions{Mode: &mode, RetainUntilDate: &until, GovernanceBypass: true}); err != nil {
					t.Fatalf("shorten the retention of %s: %v", key, err)
				}
			}

			if code, stdout, stderr := run("init", loc, "--encrypt", "--kdf-work", "10", "--no-default", "--object-lock", "1d"); code != 0 {
				t.Fatalf("init: exit %d\n%s%s", code, stdout, stderr)
			}
			if code, stdout, stderr := run("status"); code != 0 || !strings.Contains(stdout, "GOVERNANCE, 1 day; retention not checked from this computer yet") {
				t.Fatalf("status before the first backup: exit %d\n%s%s", code, stdout, stderr)
			}
			// The first backup checks the retention of everything it
			// needs, all fresh.
			code, stdout, stderr := run("backup", "--json", music)
			var b1 struct {
				Retention *retainJSON `json:"retention"`
			}
			if err := json.Unmarshal([]byte(stdout), &b1); code != 0 || err != nil || b1.Retention == nil {
				t.Fatalf("backup: exit %d, %v\n%s%s", code, err, stdout, stderr)
			}
			if r := b1.Retention; r.Needed < 7 || r.Checked != r.Needed || r.Extended != 0 || r.RetainedUntil.Before(time.Now().Add(23*time.Hour)) {
				t.Fatalf("the retention pass after the first backup: %+v", r)
			}
			kept := blobs()
			// status tells the policy and what the pass found.
			if st := lockStatusOf(t, env); st == nil || st.Mode != "GOVERNANCE" || st.Days != 1 || time.Since(st.LastPass) > time.Minute || !st.RetainedUntil.Equal(b1.Retention.RetainedUntil.Truncate(time.Second)) {
				t.Fatalf("status after the first backup: object lock %+v, want GOVERNANCE, 1 day, checked now, retained until %v", st, b1.Retention.RetainedUntil)
			}

			// A second backup the same day runs no pass. Its snapshot is
			// then forgotten: b.mp3's blob is needed no more.
			os.WriteFile(filepath.Join(music, "b.mp3"), []byte(strings.Repeat("b.mp3", 3000)), 0o644)
			code, stdout, stderr = run("backup", "--json", music)
			var b2 struct {
				SnapshotID string      `json:"snapshot_id"`
				Retention  *retainJSON `json:"retention"`
			}
			if err := json.Unmarshal([]byte(stdout), &b2); code != 0 || err != nil || b2.Retention != nil {
				t.Fatalf("second backup: exit %d, %v\n%s%s", code, err, stdout, stderr)
			}
			if code, _, stderr := run("forget", b2.SnapshotID); code != 0 {
				t.Fatalf("forget: %s", stderr)
			}
			var garbage string
			for _, k := range blobs() {
				if !slices.Contains(kept, k) {
					garbage = k
				}
			}
			needed := kept[0]
			shorten(needed)
			shorten(garbage)
			garbageUntil := retainedUntil(garbage)

			// A routine run trusts the dates it recorded: it asks only
			// about the objects it has not seen (the log written since).
			code, stdout, stderr = run("retain", "--json")
			var r retainJSON
			if err := json.Unmarshal([]byte(stdout), &r); code != 0 || err != nil || r.Checked == 0 || r.Checked >= r.Needed || r.Cached+r.Checked != r.Needed || r.Extended != 0 {
				t.Fatalf("retain: exit %d, %v, %+v\n%s%s", code, err, r, stdout, stderr)
			}

			// --recheck asks about everything: the needed blob is
			// extended to a day from now, the forgotten one is not. The
			// needed blob's retention was cut short behind this
			// computer's back, a sign of stolen credentials: a warning
			// names it, and the exit code is 4.
			start := time.Now()
			code, stdout, stderr = run("retain", "--recheck")
			if code != exitIntegrity || !strings.Contains(stdout, "Object Lock: extended 1 object until ") ||
				!strings.Contains(stdout, "Object Lock: the storage says every needed object is retained until at least ") {
				t.Fatalf("retain --recheck: exit %d\n%s%s", code, stdout, stderr)
			}
			for _, want := range []string{
				"tunesafe: warning: " + strings.TrimPrefix(needed, "vault/") + ": Object Lock: retained only until ",
				"tunesafe: error: Object Lock: the retention of 1 needed object was shorter than this computer recorded (extended again)",
				"tunesafe: hint: only credentials allowed to bypass GOVERNANCE retention can shorten it",
			} {
				if !strings.Contains(stderr, want) {
					t.Errorf("retain --recheck: stderr lacks %q\n%s", want, stderr)
				}
			}
			if strings.Contains(stderr, strings.TrimPrefix(garbage, "vault/")) {
				t.Errorf("retain --recheck warned of a blob no snapshot needs:\n%s", stderr)
			}
			if u := retainedUntil(needed); u.Before(start.Add(24*time.Hour).Truncate(time.Second)) || u.After(time.Now().Add(24*time.Hour+time.Second)) {
				t.Errorf("the needed blob is retained until %v, want a day after %v", u, start)
			}
			if u := retainedUntil(garbage); !u.Equal(garbageUntil) {
				t.Errorf("the forgotten blob is retained until %v, was %v", u, garbageUntil)
			}
			code, stdout, _ = run("retain", "--recheck", "--dry-run", "--json")
			if err := json.Unmarshal([]byte(stdout), &r); code != 0 || err != nil || r.Extended != 0 || r.Checked != r.Needed {
				t.Fatalf("retain --dry-run: exit %d, %v, %+v", code, err, r)
			}
			// A routine run states what this computer recorded as such.
			code, stdout, stderr = run("retain")
			if code != 0 || !strings.Contains(stdout, "Object Lock: according to this computer's records, every needed object is retained until at least ") {
				t.Fatalf("routine retain: exit %d\n%s%s", code, stdout, stderr)
			}

			// A needed blob behind a delete marker: exit 4.
			raw := cfg
			raw.Prefix = "vault"
			rs, err := s3store.New(ctx, raw)
			if err != nil {
				t.Fatal(err)
			}
			if err := rs.Delete(ctx, strings.TrimPrefix(needed, "vault/")); err != nil {
				t.Fatal(err)
			}
			code, _, stderr = run("retain", "--recheck")
			if code != exitIntegrity || !strings.Contains(stderr, "the snapshots need 1 object missing from the storage ("+strings.TrimPrefix(needed, "vault/")+")") {
				t.Fatalf("retain with a hidden blob: exit %d\n%s", code, stderr)
			}
			if code, stdout, stderr := run("status"); code != 0 || !strings.Contains(stdout, "found objects missing or not extended: run 'tunesafe retain'") {
				t.Fatalf("status after a pass that found a blob missing: exit %d\n%s%s", code, stdout, stderr)
			}
		})
	}
}

// TestRetainAfterAgentPass: an agent pass on a vault under Object Lock
// runs the retention pass too, which leaves its dates in the cache.
func TestRetainAfterAgentPass(t *testing.T) {
	srv := s3test.Servers(t)[0]
	cfg := srv.NewLockedBucket(t)
	loc := "s3://" + cfg.Bucket + "/vault"
	dir := t.TempDir()
	music := oneTrackLibrary(t, dir)
	env := lockedVaultEnv(srv, dir, loc)
	if code, stdout, stderr := tunesafe(t, env, "init", loc, "--encrypt", "--kdf-work", "10", "--object-lock", "30d"); code != 0 {
		t.Fatalf("init: exit %d\n%s%s", code, stdout, stderr)
	}
	config := filepath.Join(dir, "agent.json")
	b, _ := json.Marshal(fileConfig{Vault: loc, Paths: []string{music}, Windows: []string{"always"}})
	if err := os.WriteFile(config, b, 0o600); err != nil {
		t.Fatal(err)
	}
	if code, stdout, stderr := tunesafe(t, env, "agent", "--once", "--config", config); code != 0 || !strings.Contains(stderr, "Object Lock retention checked") || strings.Contains(stderr, "level=WARN") {
		t.Fatalf("agent --once: exit %d\n%s%s", code, stdout, stderr)
	}
	code, stdout, stderr := tunesafe(t, env, "retain", "--json", "--config", config)
	var r retainJSON
	if err := json.Unmarshal([]byte(stdout), &r); code != 0 || err != nil || r.Cached < 5 || r.Cached+r.Checked != r.Needed || r.Extended != 0 {
		t.Fatalf("retain after an agent pass: exit %d, %v, %+v\n%s%s", code, err, r, stdout, stderr)
	}
}

// TestRetainReplica: a copy to a replica under Object Lock extends the
// retention of what the replica's snapshots need when a pass is due (the
// first copy), not on every copy; 'tunesafe retain' on the replica
// extends a retention cut short, and writes nothing to it.
func TestRetainReplica(t *testing.T) {
	for _, srv := range s3test.Servers(t) {
		t.Run(srv.Name, func(t *testing.T) {
			ctx := context.Background()
			src, dst := srv.NewLockedBucket(t), srv.NewLockedBucket(t)
			loc, replica := "s3://"+src.Bucket+"/vault", "s3://"+dst.Bucket+"/vault"
			dir := t.TempDir()
			music := oneTrackLibrary(t, dir)
			env := lockedVaultEnv(srv, dir, loc)
			run := func(args ...string) (int, string, string) { return tunesafe(t, env, args...) }
			client := srv.Client(t)
			list := func(prefix string) []string { return bucketKeys(t, client, dst.Bucket, prefix) }
			retainedUntil := func(key string) time.Time { return retainedUntilOf(t, client, dst.Bucket, key) }

			if code, stdout, stderr := run("init", loc, "--encrypt", "--kdf-work", "10", "--no-default", "--object-lock", "1d"); code != 0 {
				t.Fatalf("init: exit %d\n%s%s", code, stdout, stderr)
			}
			if code, stdout, stderr := run("backup", music); code != 0 {
				t.Fatalf("backup: exit %d\n%s%s", code, stdout, stderr)
			}
			var c1 struct {
				Complete bool        `json:"complete"`
				Retain   *retainJSON `json:"retain"`
			}
			code, stdout, stderr := run("copy", "--to", replica, "--json")
			if err := json.Unmarshal([]byte(stdout), &c1); code != 0 || err != nil || !c1.Complete || c1.Retain == nil {
				t.Fatalf("first copy: exit %d, %v\n%s%s", code, err, stdout, stderr)
			}
			if r := c1.Retain; r.Needed < 7 || r.Checked != r.Needed || r.Failed != 0 || r.Missing != 0 || r.RetainedUntil.Before(time.Now().Add(23*time.Hour)) {
				t.Fatalf("the replica's retention pass: %+v", r)
			}
			// Not due again the same day.
			var c2 struct {
				Retain *retainJSON `json:"retain"`
			}
			code, stdout, stderr = run("copy", "--to", replica, "--json")
			if err := json.Unmarshal([]byte(stdout), &c2); code != 0 || err != nil || c2.Retain != nil {
				t.Fatalf("second copy: exit %d, %v\n%s%s", code, err, stdout, stderr)
			}

			// A needed blob of the replica whose retention was cut
			// short: retain on the replica extends it, warns of it with
			// exit code 4, and takes no lock.
			blob := list("vault/blobs/")[0]
			mode, short := minio.Governance, time.Now().Add(time.Hour).UTC().Truncate(time.Second)
			if err := client.PutObjectRetention(ctx, dst.Bucket, blob, minio.PutObjectRetentionOptions{Mode: &mode, RetainUntilDate: &short, GovernanceBypass: true}); err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			code, stdout, stderr = run("retain", "--vault", replica, "--recheck")
			if code != exitIntegrity || !strings.Contains(stdout, "Object Lock: extended 1 object until ") ||
				!strings.Contains(stderr, "tunesafe: warning: "+strings.TrimPrefix(blob, "vault/")+": Object Lock: retained only until ") {
				t.Fatalf("retain on the replica: exit %d\n%s%s", code, stdout, stderr)
			}
			if u := retainedUntil(blob); u.Before(start.Add(24 * time.Hour).Truncate(time.Second)) {
				t.Fatalf("the replica's blob is retained until %v, want a day after %v", u, start)
			}
			if locks := list("vault/locks/"); len(locks) != 0 {
				t.Fatalf("retain wrote to the replica: %v", locks)
			}
		})
	}
}
