package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/tunesafe/tunesafe/internal/agent"
	"github.com/tunesafe/tunesafe/internal/auditlog"
	"github.com/tunesafe/tunesafe/internal/backup"
	"github.com/tunesafe/tunesafe/internal/bytesize"
	"github.com/tunesafe/tunesafe/internal/locks"
	"github.com/tunesafe/tunesafe/internal/repair"
	"github.com/tunesafe/tunesafe/internal/retention"
	"github.com/tunesafe/tunesafe/internal/state"
	"github.com/tunesafe/tunesafe/internal/vault"
)

// Loss must be found early, while the files are still on the computer to
// repair it from. So the agent checks the vault's integrity on its own:
// after a completed pass, when the last check (its own, or a 'tunesafe
// verify' run by hand) is older than the config file's "verify" "every"
// (a week by default), it runs a verify. The default check downloads
// nothing: it compares the listing and the provider's checksums with the
// log. "sample" adds a rotating share downloaded and hashed each time, so
// that repeated checks read every object (see auditlog.AuditOptions).

// verifyConfig is the config file's "verify".
type verifyConfig struct {
	// Every is how often the agent checks: "7d" (default), "24h", "2w",
	// or "off".
	Every string `json:"every,omitempty"`
	// Sample is the share downloaded and hashed at each check ("1%");
	// none by default.
	Sample string `json:"sample,omitempty"`
}

// integrityPlan is a verifyConfig read.
type integrityPlan struct {
	every  time.Duration // 0: off
	sample float64
}

const defaultVerifyEvery = 7 * day

// plan reads the config; a mistake is a usage error naming the file.
func (c *verifyConfig) plan(file string) (integrityPlan, error) {
	p := integrityPlan{every: defaultVerifyEvery}
	if c == nil {
		return p, nil
	}
	switch c.Every {
	case "":
	case "off", "never":
		p.every = 0
	default:
		d, err := retention.ParseDays(c.Every)
		if err != nil || d < time.Hour {
			return p, usagef(`for example "verify": {"every": "7d", "sample": "1%"}, or "every": "off"`,
				"config file %s: \"verify\" \"every\" %q: want a duration of at least 1h, or \"off\"", file, c.Every)
		}
		p.every = d
	}
	if c.Sample != "" {
		f, err := parsePercent(c.Sample)
		if err != nil {
			return p, usagef(`for example "sample": "1%"`, "config file %s: \"verify\" \"sample\" %q: want a share above 0%% and at most 100%%", file, c.Sample)
		}
		p.sample = f
	}
	return p, nil
}

// integrityMetaKey is the cache's record (state meta) of the last check of
// the vault from this computer, an agent.Integrity in JSON.
const integrityMetaKey = "verify.last"

// recordIntegrity keeps the result of a completed audit in the cache, as
// a check made now, with the number of damage markers it retired, and
// returns it.
func (a *app) recordIntegrity(ctx context.Context, s *session, rep *auditlog.Report, retired int) (agent.Integrity, error) {
	i := agent.Integrity{
		Time: a.now().UTC(), Mode: rep.Mode, Objects: rep.Objects, Bytes: rep.Bytes,
		Problems: rep.Failures(), Foreign: rep.Counts.Foreign, Retired: int64(retired),
	}
	b, err := json.Marshal(i)
	if err != nil {
		return i, err
	}
	if err := s.cache.SetMeta(ctx, integrityMetaKey, string(b)); err != nil {
		return i, fmt.Errorf("record the check in the cache: %w", err)
	}
	return i, nil
}

// forgetDamage makes this computer's cache forget every blob, list and
// tree the audit found lost or corrupted, and the cached files and folders
// that name them (backup.ForgetDamaged): the next backup then stores them
// again from the files and folders that still hold them, instead of
// pointing its snapshot at objects the vault no longer has. Then it tells
// the other computers (announceDamage).
func (a *app) forgetDamage(ctx context.Context, s *session, rep *auditlog.Report) error {
	ids := damagedIDs(rep, nil)
	if err := backup.ForgetDamaged(ctx, s.cache, s.vault, ids); err != nil {
		return fmt.Errorf("forget damaged objects in the cache: %w", err)
	}
	return a.announceDamage(ctx, s, ids)
}

// damagedIDs returns the blobs, lists and trees the audit found lost or
// corrupted, but for the keys in except.
func damagedIDs(rep *auditlog.Report, except map[string]bool) []vault.ID {
	var ids []vault.ID
	for _, f := range rep.Findings {
		if f.Class != auditlog.Lost && f.Class != auditlog.Corrupted || except[f.Key] {
			continue
		}
		if id, _, ok := vault.ParseObjectKey(f.Key); ok {
			ids = append(ids, id)
		}
	}
	return ids
}

// damageAnnouncedMeta keys, in the cache, the SHA-256 of the IDs this
// computer last named in a damage marker, a space, and the marker's key.
const damageAnnouncedMeta = "damage-announced"

// announceDamage writes a damage marker naming ids (vault.MarkDamage): at
// its next backup, every other computer's cache forgets them too, and
// stores again what it still has of them, instead of trusting that the
// vault holds them. Nothing is written when ids is empty, when the vault
// is only read here (a replica), or when this computer named the same
// objects last and that marker is still there: a check repeated before a
// repair writes no new marker, and one after the marker was retired
// (repair.Retire) and the same objects were damaged again does.
func (a *app) announceDamage(ctx context.Context, s *session, ids []vault.ID) error {
	if len(ids) == 0 || s.log == nil || s.log.ReadOnly() {
		return nil
	}
	sorted := slices.Clone(ids)
	slices.SortFunc(sorted, func(x, y vault.ID) int { return bytes.Compare(x[:], y[:]) })
	h := sha256.New()
	for _, id := range sorted {
		h.Write(id[:])
	}
	sum := hex.EncodeToString(h.Sum(nil))
	if last, err := s.cache.Meta(ctx, damageAnnouncedMeta); err == nil {
		// A value without a key (written by an older version) names a
		// marker that may be retired: the marker is written again.
		if lastSum, lastKey, ok := strings.Cut(last, " "); ok && lastSum == sum {
			_, err := s.vault.Store().Stat(ctx, lastKey)
			if err == nil {
				return nil
			}
			if !errors.Is(err, fs.ErrNotExist) {
				return fmt.Errorf("look for the damage marker %s: %w", lastKey, err)
			}
		}
	}
	host, _ := os.Hostname()
	key, err := s.vault.MarkDamage(ctx, a.now(), host, sorted)
	if err != nil {
		return fmt.Errorf("tell other computers of the damage (a marker under prunes/): %w", err)
	}
	if err := backup.OwnMarker(ctx, s.cache, s.vault, key); err != nil {
		return fmt.Errorf("record the damage marker in the cache: %w", err)
	}
	return s.cache.SetMeta(ctx, damageAnnouncedMeta, sum+" "+key)
}

// checkedSummary says how a verify checked the objects, for its summary
// line: how many it downloaded and hashed, compared by the provider's
// checksums, and by size alone, as the report counts them. It claims no
// more than was done: on S3 an object without a provider checksum was
// compared by its size only, and a folder's listing has no checksums.
func checkedSummary(rep auditlog.Report) string {
	var parts []string
	if rep.Downloaded > 0 {
		parts = append(parts, fmt.Sprintf("%d downloaded and hashed, %s", rep.Downloaded, bytesize.Format(rep.Bytes)))
	}
	if n := rep.Hashed - rep.Downloaded; n > 0 { // a download is hashed once, whatever the provider says
		parts = append(parts, fmt.Sprintf("%d by the provider's checksums", n))
	}
	if rep.SizeOnly > 0 {
		parts = append(parts, fmt.Sprintf("%d by size only", rep.SizeOnly))
	}
	if rep.Downloaded == 0 {
		parts = append(parts, "nothing downloaded")
	}
	return strings.Join(parts, "; ")
}

// lastIntegrity returns the last check recorded in the cache, or nil.
func lastIntegrity(ctx context.Context, cache *state.Cache) (*agent.Integrity, error) {
	v, err := cache.Meta(ctx, integrityMetaKey)
	if err != nil || v == "" {
		return nil, err
	}
	var i agent.Integrity
	if json.Unmarshal([]byte(v), &i) != nil {
		return nil, nil // written by a newer version, or damaged: check again
	}
	return &i, nil
}

// verifyAfterPass checks the vault's integrity after a completed agent
// pass when a check is due, and returns what it found and its summary
// (nil when it did not run). A vault that another computer is writing to is left for the
// next pass. The pass must have released its own lock.
func (a *app) verifyAfterPass(ctx context.Context, s *session, plan integrityPlan, log *slog.Logger) (*auditlog.Report, *agent.Integrity, error) {
	if plan.every == 0 || s.replicaOf != "" {
		return nil, nil, nil
	}
	last, err := lastIntegrity(ctx, s.cache)
	if err != nil {
		return nil, nil, err
	}
	if last != nil && a.now().Sub(last.Time) < plan.every {
		return nil, nil, nil
	}
	ctx = a.deleteReason(ctx, "agent")
	lock, err := locks.Acquire(ctx, s.vault.Store(), locks.Audit)
	var conflict *locks.ConflictError
	if errors.As(err, &conflict) {
		log.Info("integrity check postponed: the vault is in use", "conflict", conflict.Error())
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	logCleared(log, lock)
	defer func() {
		if err := lock.Release(ctx); err != nil {
			log.Warn("the vault's lock stays", "err", err)
		}
	}()
	log.Info("checking the vault's integrity", "sample", plan.sample)
	marks, err := readDamageMarks(ctx, s.vault)
	if err != nil {
		return nil, nil, err
	}
	rep, err := auditlog.Audit(ctx, s.log, s.raw, auditlog.AuditOptions{Sample: plan.sample, Checksums: true, Workers: checkWorkers, Hash: marks.hash})
	if err != nil {
		return nil, nil, err
	}
	retired, err := a.retireDamage(ctx, s, marks, &rep)
	if err != nil {
		return &rep, nil, err
	}
	if len(retired) > 0 {
		log.Info("damage markers retired: nothing named there is damaged any more", "markers", len(retired))
	}
	if err := a.forgetDamage(ctx, s, &rep); err != nil {
		return &rep, nil, err
	}
	i, err := a.recordIntegrity(ctx, s, &rep, len(retired))
	if err != nil {
		return &rep, nil, err
	}
	log.Info("integrity checked", "mode", rep.Mode, "objects", rep.Objects, "downloaded", rep.Bytes,
		"lost", rep.Counts.Lost, "corrupted", rep.Counts.Corrupted, "tampered", rep.Counts.Tampered, "foreign", rep.Counts.Foreign)
	return &rep, &i, nil
}

// integrityWarnings turns what a check after a pass found, or what kept
// it from finishing, into warnings of the pass.
func integrityWarnings(loc string, rep *auditlog.Report, err error) []backup.Warning {
	if err != nil {
		return []backup.Warning{{Path: loc, Err: fmt.Sprintf("integrity check: %v (the next pass tries again; or run 'tunesafe verify')", err)}}
	}
	if rep != nil && rep.Failures() > 0 {
		return []backup.Warning{{Path: loc, Err: fmt.Sprintf("integrity check: %s lost, corrupted or tampered with: run 'tunesafe audit' to see which and whose fault, then 'tunesafe repair'", plural(rep.Failures(), "object", "objects"))}}
	}
	return nil
}

// integrityLine is what 'tunesafe status' says of the last check.
func integrityLine(i *agent.Integrity, every time.Duration) string {
	schedule := "the agent checks every " + formatEvery(every)
	if every == 0 {
		schedule = "automatic checks are off (\"verify\" in the config file)"
	}
	if i == nil {
		return "not checked from this computer yet; " + schedule + ", or run 'tunesafe verify'"
	}
	what := fmt.Sprintf("%s checked %s (%s)", plural(i.Objects, "object", "objects"), stamp(i.Time), i.Mode)
	switch {
	case i.Problems > 0:
		return fmt.Sprintf("%s lost, corrupted or tampered with (%s): run 'tunesafe audit'", plural(i.Problems, "object", "objects"), what)
	case i.Foreign > 0:
		return fmt.Sprintf("%s: nothing lost; %s Tunesafe did not write ('tunesafe audit' lists them); %s", what, plural(i.Foreign, "object", "objects"), schedule)
	}
	if i.Retired > 0 {
		return fmt.Sprintf("%s: nothing lost or damaged; the damage found before is repaired (%s retired); %s", what, plural(i.Retired, "damage marker", "damage markers"), schedule)
	}
	return fmt.Sprintf("%s: nothing lost or damaged; %s", what, schedule)
}

// formatEvery prints an interval in days when it is whole days.
func formatEvery(d time.Duration) string {
	if d%day == 0 {
		if d == day {
			return "day"
		}
		return fmt.Sprintf("%d days", d/day)
	}
	return d.String()
}

// damageMarks is what the vault's damage markers name (vault.MarkDamage),
// read before a check: an audit downloads and hashes their objects
// whatever its mode (auditlog.AuditOptions.Hash, with hash), since a check
// on another computer, or a deep one here, found them lost or corrupted,
// which a quick or sampled audit, comparing sizes and the provider's
// checksums, may not see. One stored again since hashes right and is no
// finding. A marker names IDs, not kinds: both the blob's and the tree's
// key are named, and only the one the log describes is looked at.
type damageMarks struct {
	markers []vault.DamageMarker
	keys    map[string]bool
}

// readDamageMarks reads the vault's damage markers.
func readDamageMarks(ctx context.Context, v *vault.Vault) (damageMarks, error) {
	markers, err := v.DamageMarkers(ctx, "")
	if err != nil {
		return damageMarks{}, fmt.Errorf("read damage markers: %w", err)
	}
	m := damageMarks{markers: markers, keys: map[string]bool{}}
	for _, marker := range markers {
		for _, id := range marker.Damaged {
			m.keys[vault.BlobKey(id)] = true
			m.keys[vault.TreeKey(id)] = true
		}
	}
	return m, nil
}

// hash is the audit's Hash option.
func (m damageMarks) hash(key string) bool { return m.keys[key] }

// retireDamage deletes the damage markers whose job the audit rep shows
// done (repair.Retire says when: every object each names stored again
// and intact, or deleted), through the logged store, and returns their
// keys. Run it while the check's lock is held. Nothing is deleted when
// the vault is only read here (a replica, a read-only disk, a damaged
// log, a rebuilt tunesafe.json), or when the audit is not complete.
func (a *app) retireDamage(ctx context.Context, s *session, m damageMarks, rep *auditlog.Report) ([]string, error) {
	if len(m.markers) == 0 || s.log == nil || s.log.ReadOnly() || s.replicaOf != "" || s.readOnly != nil || s.lostConfig != nil ||
		!rep.Complete || rep.LogDamage != "" {
		return nil, nil
	}
	ctx = a.deleteReason(ctx, repair.ReasonRetired)
	retired, err := repair.Retire(ctx, s.vault, m.markers, func(key string) (repair.Checked, bool) {
		r, ok := rep.Rechecked[key]
		return repair.Checked{Intact: r.Intact, Written: r.Written, Gone: r.Gone}, ok
	})
	if err != nil {
		return retired, fmt.Errorf("delete damage markers whose objects are repaired: %w", err)
	}
	return retired, nil
}

// retiredLine is the one line a check prints when it retired markers.
func retiredLine(retired []string) string {
	return fmt.Sprintf("retired %s: nothing named there is damaged any more\n", plural(len(retired), "damage marker", "damage markers"))
}
