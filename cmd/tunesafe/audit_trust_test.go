package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tunesafe/tunesafe/internal/auditlog"
)

// auditVault is an encrypted folder vault with one backup, and the
// environment of the computer that made it.
type auditVault struct {
	t     *testing.T
	dir   string
	vault string
	music string
	env   map[string]string
}

func newAuditVault(t *testing.T, encrypt bool) *auditVault {
	t.Helper()
	dir := t.TempDir()
	v := &auditVault{t: t, dir: dir, vault: filepath.Join(dir, "vault"), music: filepath.Join(dir, "Music")}
	os.MkdirAll(v.music, 0o755)
	os.WriteFile(filepath.Join(v.music, "a.mp3"), []byte(strings.Repeat("first track ", 3000)), 0o644)
	os.WriteFile(filepath.Join(v.music, "b.mp3"), []byte(strings.Repeat("second track ", 3000)), 0o644)
	v.env = map[string]string{"XDG_CONFIG_HOME": filepath.Join(dir, "cfg"), "XDG_STATE_HOME": filepath.Join(dir, "state"),
		"TUNESAFE_PASSPHRASE": "the old passphrase", "TUNESAFE_VAULT": v.vault, "TUNESAFE_NEW_PASSPHRASE": ""}
	args := []string{"init", v.vault, "--no-default", "--no-encrypt"}
	if encrypt {
		args = []string{"init", v.vault, "--no-default", "--encrypt", "--kdf-work", "10"}
	} else {
		v.env["TUNESAFE_PASSPHRASE"] = ""
	}
	v.must(args...)
	v.must("backup", v.music)
	return v
}

// run runs tunesafe on the computer that made the vault.
func (v *auditVault) run(args ...string) (int, string, string) {
	v.t.Helper()
	return tunesafe(v.t, v.env, args...)
}

// fresh runs tunesafe on a computer that never saw the vault.
func (v *auditVault) fresh(args ...string) (int, string, string) {
	v.t.Helper()
	env := map[string]string{}
	for k, val := range v.env {
		env[k] = val
	}
	home := v.t.TempDir()
	env["XDG_CONFIG_HOME"], env["XDG_STATE_HOME"] = filepath.Join(home, "cfg"), filepath.Join(home, "state")
	return tunesafe(v.t, env, args...)
}

func (v *auditVault) must(args ...string) string {
	v.t.Helper()
	code, stdout, stderr := v.run(args...)
	if code != 0 {
		v.t.Fatalf("%v: exit %d\n%s%s", args, code, stdout, stderr)
	}
	return stdout
}

// keyFiles lists the vault's keys/.
func (v *auditVault) keyFiles() []string {
	v.t.Helper()
	des, err := os.ReadDir(filepath.Join(v.vault, "keys"))
	if err != nil {
		v.t.Fatal(err)
	}
	var out []string
	for _, de := range des {
		out = append(out, de.Name())
	}
	return out
}

// audit runs audit --json and returns its exit code and the class of
// each finding by key.
func (v *auditVault) audit(args ...string) (int, map[string]string, auditJSON) {
	v.t.Helper()
	code, stdout, stderr := v.run(append([]string{"audit", "--json"}, args...)...)
	var rep auditJSON
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		v.t.Fatalf("audit output: %v\n%s\n%s", err, stdout, stderr)
	}
	classOf := map[string]string{}
	for _, f := range rep.Findings {
		classOf[f.Key] = f.Class
	}
	return code, classOf, rep
}

// An old key file back after 'tunesafe passwd' opens the vault with the
// old passphrase: verify and audit fail on it, and audit says what it
// means and to delete it.
func TestAuditResurrectedKeyFile(t *testing.T) {
	v := newAuditVault(t, true)
	old := v.keyFiles()
	if len(old) != 1 {
		t.Fatalf("key files %v", old)
	}
	saved, err := os.ReadFile(filepath.Join(v.vault, "keys", old[0]))
	if err != nil {
		t.Fatal(err)
	}
	v.env["TUNESAFE_NEW_PASSPHRASE"] = "the new passphrase"
	v.must("passwd")
	v.env["TUNESAFE_PASSPHRASE"], v.env["TUNESAFE_NEW_PASSPHRASE"] = "the new passphrase", ""
	if code, _, _ := v.audit(); code != 0 {
		t.Fatalf("audit after passwd: exit %d", code)
	}
	os.WriteFile(filepath.Join(v.vault, "keys", old[0]), saved, 0o644)

	if code, stdout, stderr := v.run("verify"); code != exitIntegrity || !strings.Contains(stdout, "tampered 1") {
		t.Errorf("verify: exit %d\n%s%s", code, stdout, stderr)
	}
	code, classOf, _ := v.audit()
	if code != exitIntegrity || classOf["keys/"+old[0]] != "tampered" {
		t.Errorf("audit: exit %d, %v", code, classOf)
	}
	code, stdout, _ := v.run("audit")
	if code != exitIntegrity || !strings.Contains(stdout, "the old passphrase opens this vault again; delete this object") {
		t.Errorf("audit: exit %d\n%s", code, stdout)
	}
	// Deleted by hand, it is what passwd's DELETE says.
	os.Remove(filepath.Join(v.vault, "keys", old[0]))
	if code, classOf, _ := v.audit(); code != 0 || classOf["keys/"+old[0]] != "deleted_by_user" {
		t.Errorf("audit after deleting the old key file: exit %d, %v", code, classOf)
	}
}

// A key file the provider lost is lost, on the computer that knows the
// log; a computer that cannot open the vault without it says it is gone
// and where to get it back.
func TestAuditLostKeyFile(t *testing.T) {
	v := newAuditVault(t, true)
	keys := v.keyFiles()
	os.Remove(filepath.Join(v.vault, "keys", keys[0]))

	code, classOf, _ := v.audit()
	if code != exitIntegrity || classOf["keys/"+keys[0]] != "lost" {
		t.Errorf("audit: exit %d, %v", code, classOf)
	}
	if code, stdout, stderr := v.run("verify"); code != exitIntegrity || !strings.Contains(stdout, "lost 1,") || !strings.Contains(stdout, "tampered 0") {
		t.Errorf("verify: exit %d\n%s%s", code, stdout, stderr)
	}
	code, _, stderr := v.fresh("snapshots")
	if code != exitIntegrity || !strings.Contains(stderr, "keys/ holds no key file (lost by the provider?)") ||
		!strings.Contains(stderr, "hint: copy the key files") || strings.Contains(stderr, "tunesafe.json is damaged") {
		t.Errorf("snapshots on a new computer: exit %d\n%s", code, stderr)
	}
}

// blobHolding returns the key of the plain vault's blob whose content is
// data.
func (v *auditVault) blobHolding(data []byte) string {
	v.t.Helper()
	var found string
	filepath.WalkDir(filepath.Join(v.vault, "blobs"), func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if b, _ := os.ReadFile(p); string(b) == string(data) {
				rel, _ := filepath.Rel(v.vault, p)
				found = filepath.ToSlash(rel)
			}
		}
		return err
	})
	if found == "" {
		v.t.Fatalf("no blob holds %.20q", data)
	}
	return found
}

// A lost blob no snapshot needs keeps verify at exit 4 until 'repair
// --forget-unneeded' records it as gone; a lost blob a snapshot needs is
// never recorded so.
func TestRepairForgetUnneeded(t *testing.T) {
	v := newAuditVault(t, false)
	first, _ := os.ReadFile(filepath.Join(v.music, "a.mp3"))
	var snaps []struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal([]byte(v.must("snapshots", "--json")), &snaps); err != nil || len(snaps) != 1 {
		t.Fatalf("snapshots: %v %v", snaps, err)
	}
	os.WriteFile(filepath.Join(v.music, "a.mp3"), []byte(strings.Repeat("retagged first track ", 3000)), 0o644)
	v.must("backup", v.music)
	v.must("forget", snaps[0].ID)
	unneeded := v.blobHolding(first)
	second, _ := os.ReadFile(filepath.Join(v.music, "b.mp3"))
	needed := v.blobHolding(second)
	os.Remove(filepath.Join(v.vault, unneeded))
	os.Remove(filepath.Join(v.vault, needed))
	os.Remove(filepath.Join(v.music, "b.mp3")) // nothing to repair it from

	if code, stdout, stderr := v.run("verify"); code != exitIntegrity || !strings.Contains(stdout, "lost 2,") {
		t.Fatalf("verify: exit %d\n%s%s", code, stdout, stderr)
	}
	code, stdout, stderr := v.run("repair", "--forget-unneeded")
	if code != exitIntegrity || !strings.Contains(stdout, "recorded as gone "+unneeded+" (lost): no snapshot references it") ||
		!strings.Contains(stdout, "cannot repair "+needed) {
		t.Fatalf("repair --forget-unneeded: exit %d\n%s%s", code, stdout, stderr)
	}
	code, classOf, rep := v.audit()
	if code != exitIntegrity || classOf[unneeded] != "deleted_by_user" || classOf[needed] != "lost" || rep.Counts["lost"] != 1 {
		t.Errorf("audit: exit %d, %v", code, classOf)
	}
	if _, stdout, _ := v.run("audit"); !strings.Contains(stdout, "acknowledged-lost") {
		t.Errorf("audit does not show the reason:\n%s", stdout)
	}
	// Once the needed blob is put back, nothing is lost.
	os.MkdirAll(filepath.Dir(filepath.Join(v.vault, needed)), 0o755)
	os.WriteFile(filepath.Join(v.vault, needed), second, 0o644)
	if code, stdout, stderr := v.run("verify"); code != 0 || !strings.Contains(stdout, "lost 0,") {
		t.Errorf("verify: exit %d\n%s%s", code, stdout, stderr)
	}
}

// A vault whose log was rolled back opens for an audit: the log as this
// computer verified it, read-only, with the damage; the audit reports
// the damage first and classifies the objects, and writes nothing.
func TestOpenVaultForAuditDamagedLog(t *testing.T) {
	v := newAuditVault(t, false)
	saved := filepath.Join(v.dir, "saved-log")
	if err := os.CopyFS(saved, os.DirFS(filepath.Join(v.vault, "log"))); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(v.music, "c.mp3"), []byte(strings.Repeat("third track ", 3000)), 0o644)
	v.must("backup", v.music)
	// The provider serves the old log.
	os.RemoveAll(filepath.Join(v.vault, "log"))
	if err := os.CopyFS(filepath.Join(v.vault, "log"), os.DirFS(saved)); err != nil {
		t.Fatal(err)
	}
	if code, _, stderr := v.run("verify"); code != exitIntegrity || !strings.Contains(stderr, "rolled-back") {
		t.Fatalf("verify: exit %d\n%s", code, stderr)
	}
	for k, val := range v.env {
		t.Setenv(k, val)
	}
	var out, errb strings.Builder
	a := newApp(strings.NewReader(""), &out, &errb)
	a.vaultFlag = v.vault
	ctx := t.Context()
	s, err := a.openVaultForAudit(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s.readOnly == nil || s.log == nil || s.log.Damage() == nil {
		t.Fatalf("session: read-only %v, log %v", s.readOnly, s.log)
	}
	rep, err := auditlog.Audit(ctx, s.log, s.raw, auditlog.AuditOptions{Checksums: true})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(rep.LogDamage, "rolled-back") || rep.Complete || rep.Counts.Tampered != 1 || rep.Counts.Lost != 0 || rep.Counts.OK < 5 || rep.Recorded {
		t.Errorf("report %+v", rep)
	}
	// Nothing can be written to the vault.
	if err := s.vault.Store().Put(ctx, "locks/x", []byte("{}")); err == nil {
		t.Errorf("a write to a vault with a damaged log went through")
	}
}
