package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tunesafe/tunesafe/internal/faultrelay"
	"github.com/tunesafe/tunesafe/internal/s3test"
)

// tunesafeBinary returns a path that runs this test binary as the
// tunesafe command (testscript.Main dispatches on the program name), so a
// test can kill a real backup process with SIGKILL.
func tunesafeBinary(t *testing.T) string {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "tunesafe")
	if err := os.Symlink(self, p); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestKilledBackupsResume kills a backup through a throttled link to a real
// S3 server with SIGKILL at random moments, three times, then lets it
// finish: the vault restores byte for byte, and all the kills together
// cost at most the blobs that were in flight, which on a line this slow
// is about two seconds of upload (the upload window, package backup).
func TestKilledBackupsResume(t *testing.T) {
	if testing.Short() {
		t.Skip("takes about half a minute")
	}
	srv := s3test.Servers(t)[0]
	cfg := srv.NewBucket(t)
	u, _ := url.Parse(srv.Endpoint)
	relay, err := faultrelay.Start(u.Host)
	if err != nil {
		t.Fatal(err)
	}
	defer relay.Close()
	const rate = 1 << 20
	relay.SetUpRate(rate)

	dir := t.TempDir()
	music := filepath.Join(dir, "Music")
	r := rand.New(rand.NewPCG(1, 2))
	// TUNESAFE_RESUME_TRACKS makes the library larger for a measurement
	// (each track is 1-2 MiB; the default keeps the test short).
	tracks := 10
	if n, err := strconv.Atoi(os.Getenv("TUNESAFE_RESUME_TRACKS")); err == nil && n > 0 {
		tracks = n
	}
	var total int64
	for i := range tracks {
		b := make([]byte, 1<<20+r.IntN(1<<20))
		for j := range b {
			b[j] = byte(r.Uint32())
		}
		p := filepath.Join(music, fmt.Sprintf("Album %d", i%8), fmt.Sprintf("track %03d.flac", i))
		os.MkdirAll(filepath.Dir(p), 0o755)
		os.WriteFile(p, b, 0o644)
		total += int64(len(b))
	}
	bin := tunesafeBinary(t)
	loc := "s3://" + cfg.Bucket + "/vault"
	env := append(os.Environ(),
		"XDG_CONFIG_HOME="+filepath.Join(dir, "cfg"), "XDG_STATE_HOME="+filepath.Join(dir, "state"),
		"TUNESAFE_PASSPHRASE=resume test passphrase", "TUNESAFE_VAULT="+loc,
		"AWS_ACCESS_KEY_ID="+srv.AccessKey, "AWS_SECRET_ACCESS_KEY="+srv.SecretKey,
		"AWS_ENDPOINT_URL_S3=http://"+relay.Addr(), "AWS_REGION=us-east-1", "AWS_PROFILE=", "AWS_CA_BUNDLE=")
	cmd := func(args ...string) *exec.Cmd {
		c := exec.Command(bin, args...)
		c.Env = env
		return c
	}
	if out, err := cmd("init", loc, "--kdf-work", "10", "--no-default").CombinedOutput(); err != nil {
		t.Fatalf("init: %v\n%s", err, out)
	}
	start := relay.Stats().Up
	for kill := range 3 {
		c := cmd("backup", music)
		var stderr bytes.Buffer
		c.Stderr = &stderr
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
		// Kill at a random moment of the remaining upload time.
		left := time.Duration(float64(total-(relay.Stats().Up-start)) / rate * float64(time.Second))
		time.Sleep(time.Second + time.Duration(r.Int64N(int64(max(left/3, time.Second)))))
		if err := c.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		c.Wait()
		t.Logf("kill %d: %d bytes sent so far", kill+1, relay.Stats().Up-start)
	}
	final := cmd("backup", "--json", music)
	var finalErr bytes.Buffer
	final.Stderr = &finalErr
	out, err := final.Output()
	if err != nil {
		t.Fatalf("final backup: %v\n%s%s", err, out, finalErr.Bytes())
	}
	// No backup before it completed: every track is new, though the
	// killed passes stored some already.
	var summary struct {
		New       int `json:"files_new"`
		Changed   int `json:"files_changed"`
		Unchanged int `json:"files_unchanged"`
	}
	if err := json.Unmarshal(out, &summary); err != nil {
		t.Fatalf("final backup: %v\n%s", err, out)
	}
	if summary.New != tracks || summary.Changed != 0 || summary.Unchanged != 0 {
		t.Fatalf("final backup counts %+v; want all %d tracks new", summary, tracks)
	}
	sent := relay.Stats().Up - start
	// Each kill may waste the blobs in flight: what the line carried in
	// the window's horizon (2 s, 2 MiB here), or one blob alone (at most
	// 2 MiB here, the largest track), plus request overhead. With a fixed
	// 16 MiB in flight, a kill here would waste up to 16 MiB.
	limit := total + 3*(3<<20)
	t.Logf("library %d bytes; sent %d bytes (%.1f%%) over three kills and a completion", total, sent, 100*float64(sent)/float64(total))
	if sent > limit {
		t.Fatalf("sent %d bytes for a %d-byte library: more than the in-flight blobs were re-sent", sent, total)
	}
	restored := filepath.Join(dir, "restored")
	if out, err := cmd("restore", "--to", restored).CombinedOutput(); err != nil {
		t.Fatalf("restore: %v\n%s", err, out)
	}
	cmp := compareTrees(music, filepath.Join(restored, "Music"))
	if cmp != "" {
		t.Fatalf("restore differs:\n%s", cmp)
	}
	// Only complete snapshots and at most one checkpoint remain.
	out, _ = cmd("snapshots", "--json").CombinedOutput()
	if strings.Count(string(out), `"partial": false`) != 1 {
		t.Fatalf("snapshots after resume:\n%s", out)
	}
}

// TestUploadLimitHolds backs up through a counting relay with
// --limit-upload and samples the bytes on the wire: over every window of a
// few seconds the rate stays near the limit, with no burst above it.
func TestUploadLimitHolds(t *testing.T) {
	if testing.Short() {
		t.Skip("takes several seconds")
	}
	rv := newRelayedVault(t, 3, 5<<20)
	relay, env, music := rv.relay, rv.env, rv.music
	const limit = 1 << 20
	stopSampling := sampleRelay(relay, 500*time.Millisecond)
	start := time.Now()
	code, _, stderr := tunesafe(t, env, "backup", "--limit-upload", "1MiB", music)
	elapsed := time.Since(start)
	samples := stopSampling()
	if code != 0 {
		t.Fatal(stderr)
	}
	if elapsed < 4*time.Second {
		t.Fatalf("5 MiB went up in %v at a 1 MiB/s limit", elapsed)
	}
	// Over any 4 s window (8 samples): at most the limit plus 10% and one
	// burst. Over the whole upload, at least 80% of it: the link is used.
	for i := 8; i < len(samples); i++ {
		got := samples[i].up - samples[i-8].up
		if got > limit*4*11/10+64<<10 {
			t.Fatalf("%d bytes in 4 s at a %d B/s limit", got, limit)
		}
	}
	// The link's use is measured while the data goes up, from the sample
	// after the first megabyte to the one that saw the last: the start
	// (opening the vault, reading the files) and the end (the snapshot,
	// the log) are the process's, and slow on a loaded machine.
	first, last := -1, -1
	for i, sm := range samples {
		if first < 0 && sm.up >= 1<<20 {
			first = i
		}
		if last < 0 && sm.up >= 5<<20 {
			last = i
		}
	}
	if first >= 0 && last > first {
		bytes := samples[last].up - samples[first].up
		if avg := float64(bytes) / samples[last].at.Sub(samples[first].at).Seconds(); avg < 0.8*limit {
			t.Fatalf("the upload used only %.0f B/s of a %d B/s limit", avg, limit)
		}
	}
	t.Logf("5 MiB in %v at 1 MiB/s", elapsed.Round(time.Millisecond))
}

// TestSlowLinkUtilization uploads through a 36 kB/s limit (a 2 Mbit ADSL
// uplink) and measures, on the wire, how much of the limit the upload uses
// while it runs.
func TestSlowLinkUtilization(t *testing.T) {
	if testing.Short() {
		t.Skip("takes about ten seconds")
	}
	rv := newRelayedVault(t, 7, 360_000)
	relay, env, music := rv.relay, rv.env, rv.music
	const limit = 36_000
	stopSampling := sampleRelay(relay, 250*time.Millisecond)
	code, _, stderr := tunesafe(t, env, "backup", "--limit-upload", "36kB", music)
	samples := stopSampling()
	if code != 0 {
		t.Fatal(stderr)
	}
	// The transfer of the track: from the first sample with 10 kB sent to
	// the one with all but 10 kB sent.
	base := samples[0].up
	last := samples[len(samples)-1].up
	var from, to *wireSample
	for i := range samples {
		s := &samples[i]
		if from == nil && s.up-base >= 10_000 {
			from = s
		}
		if s.up <= last-10_000 {
			to = s
		}
	}
	if from == nil || to == nil || !to.at.After(from.at) {
		t.Fatalf("no transfer seen: %v", samples)
	}
	use := float64(to.up-from.up) / to.at.Sub(from.at).Seconds() / limit
	t.Logf("upload used %.1f%% of a %d B/s link", 100*use, limit)
	if use < 0.9 || use > 1.1 {
		t.Fatalf("upload used %.1f%% of the limit, want 90-110%%", 100*use)
	}
}

// relayedVault is an unencrypted vault on a real S3 server reached through
// a counting relay, with one random track of size bytes to back up.
type relayedVault struct {
	relay *faultrelay.Relay
	music string
	env   map[string]string
}

func newRelayedVault(t *testing.T, seed uint64, size int) relayedVault {
	t.Helper()
	srv := s3test.Servers(t)[0]
	cfg := srv.NewBucket(t)
	u, _ := url.Parse(srv.Endpoint)
	relay, err := faultrelay.Start(u.Host)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { relay.Close() })
	dir := t.TempDir()
	music := filepath.Join(dir, "Music")
	os.MkdirAll(music, 0o755)
	r := rand.New(rand.NewPCG(seed, seed+1))
	b := make([]byte, size)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	os.WriteFile(filepath.Join(music, "track.flac"), b, 0o644)
	loc := "s3://" + cfg.Bucket + "/v"
	env := map[string]string{"XDG_CONFIG_HOME": filepath.Join(dir, "cfg"), "XDG_STATE_HOME": filepath.Join(dir, "state"),
		"TUNESAFE_PASSPHRASE": "", "TUNESAFE_VAULT": loc, "AWS_ACCESS_KEY_ID": srv.AccessKey, "AWS_SECRET_ACCESS_KEY": srv.SecretKey,
		"AWS_ENDPOINT_URL_S3": "http://" + relay.Addr(), "AWS_REGION": "us-east-1", "AWS_PROFILE": "", "AWS_CA_BUNDLE": ""}
	if code, _, stderr := tunesafe(t, env, "init", loc, "--no-encrypt", "--no-default"); code != 0 {
		t.Fatal(stderr)
	}
	return relayedVault{relay: relay, music: music, env: env}
}

// wireSample is the relay's upload count at a moment.
type wireSample struct {
	at time.Time
	up int64
}

// sampleRelay records the bytes the relay has sent up at every tick, until
// the returned function is called; it returns the samples.
func sampleRelay(relay *faultrelay.Relay, every time.Duration) func() []wireSample {
	var samples []wireSample
	done, stop := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		tk := time.NewTicker(every)
		defer tk.Stop()
		for {
			select {
			case <-stop:
				return
			case now := <-tk.C:
				samples = append(samples, wireSample{now, relay.Stats().Up})
			}
		}
	}()
	return func() []wireSample {
		close(stop)
		<-done
		return samples
	}
}
